// games/arena.js is the arena's module (game/arena; rules in docs/game.md):
// it draws the map, players with their health bar and gun barrel, and
// projectiles where their age puts them; maps WASD or the arrows, the mouse
// (or the touch controls) to the input fields move, aim and buttons;
// predicts the own player's movement bit for bit as game/arena/move.go
// computes it, and shows its own shots at once; and words the kill and hit
// events. Every number of the rules comes from the welcome's world
// (world.rules, world.w, world.h, world.walls), none is copied here. The
// interface it implements is documented in ../game.js.

import { COLORS, clampCam, playerColor } from "../draw.js";

// The arena's input bits and entity flags, as its schema documents them.
const UP = 1, DOWN = 2, LEFT = 4, RIGHT = 8;
const FIRE = 1;
const DEAD = 1, AWAY = 2;

const KEYS = [
  [UP, ["KeyW", "ArrowUp"]], [DOWN, ["KeyS", "ArrowDown"]],
  [LEFT, ["KeyA", "ArrowLeft"]], [RIGHT, ["KeyD", "ArrowRight"]],
];

// A jump longer than this between two snapshots is a respawn, px.
const TELEPORT_PX = 200;
// Longest a predicted shot waits for the server's, ms.
const GHOST_TTL_MS = 1000;
// The least zoom, CSS px per world px, so a small window still sees some.
const MIN_SCALE = 0.35;
const GRID = 64;
const EFFECT_MS = 1000;

const COLOR = {
  wall: "#3a4458",
  wallEdge: "#55627d",
  hpBack: "rgba(0,0,0,0.55)",
  hp: "#4ade80",
  hpLow: "#f87171",
};

// rulesOf reads the arena's rules and map from the welcome's world: rules
// in px, px/s and ticks, walls as {x, y, w, h} in px.
export function rulesOf(world) {
  const r = world.rules || {};
  const flat = world.walls || [];
  const walls = [];
  for (let i = 0; i + 3 < flat.length; i += 4) walls.push({ x: flat[i], y: flat[i + 1], w: flat[i + 2], h: flat[i + 3] });
  return { ...r, w: world.w, h: world.h, walls };
}

// quantize rounds v to the nearest 1/q, halves toward +∞: q is the
// position's scale on the wire (8: positions travel in 1/8 px).
export function quantize(v, q) {
  return Math.floor(v * q + 0.5) / q;
}

function moveAxes(move, diag) {
  const dx = (move & RIGHT ? 1 : 0) - (move & LEFT ? 1 : 0);
  const dy = (move & DOWN ? 1 : 0) - (move & UP ? 1 : 0);
  if (dx !== 0 && dy !== 0) return [dx * diag, dy * diag];
  return [dx, dy];
}

function overlapsWall(x, y, r, w) {
  return x - r < w.x + w.w && x + r > w.x && y - r < w.y + w.h && y + r > w.y;
}

function pushOut(p, v, lo, size, r) {
  if (v > 0) p = lo - r;
  else if (v < 0) p = lo + size + r;
  return [p, 0];
}

// movePlayer advances body b ({x, y, vx, vy} in px and px/s) by one tick of
// dt seconds following the move bits, pushing it out of the walls in their
// order, with rules R (rulesOf) and positions quantized to 1/q px. Every
// operation matches game/arena's MovePlayer, so both produce the same bits.
export function movePlayer(b, move, dt, R, q) {
  const [ax, ay] = moveAxes(move, R.diag);
  b.vx = b.vx + (ax * R.accel) * dt;
  b.vy = b.vy + (ay * R.accel) * dt;
  b.vx = b.vx - (b.vx * R.friction) * dt;
  b.vy = b.vy - (b.vy * R.friction) * dt;
  b.vx = quantize(b.vx, q);
  b.vy = quantize(b.vy, q);

  const r = R.playerRadius;
  b.x = b.x + b.vx * dt;
  for (const w of R.walls) {
    if (overlapsWall(b.x, b.y, r, w)) [b.x, b.vx] = pushOut(b.x, b.vx, w.x, w.w, r);
  }
  b.y = b.y + b.vy * dt;
  for (const w of R.walls) {
    if (overlapsWall(b.x, b.y, r, w)) [b.y, b.vy] = pushOut(b.y, b.vy, w.y, w.h, r);
  }
  b.x = quantize(b.x, q);
  b.y = quantize(b.y, q);
}

// runTrajectory replays a golden trajectory (game/arena/testdata/
// trajectory.json) under rules (the world's rules, as the welcome has
// them) and returns the states after each input as [x, y, vx, vy] in 1/8
// units, the wire's.
export function runTrajectory(t, rules) {
  const dt = 1 / t.tick_rate;
  const R = { ...rules, walls: t.walls.map((w) => ({ x: w.x, y: w.y, w: w.w, h: w.h })) };
  const b = { x: t.start.x, y: t.start.y, vx: t.start.vx, vy: t.start.vy };
  const out = [];
  for (const move of t.inputs) {
    movePlayer(b, move, dt, R, 8);
    out.push([b.x * 8, b.y * 8, b.vx * 8, b.vy * 8]);
  }
  return out;
}

// create makes the arena's game for one welcome (see ../game.js).
export function create(env) {
  return new Arena(env);
}

class Arena {
  constructor(env) {
    this.env = env;
    this.R = rulesOf(env.world);
    const player = env.schema.kind("player");
    // Positions and velocities travel in 1/q px, angles in 1/turn turns.
    this.q = player.field("x").scale;
    this.vq = player.field("vx").scale;
    this.turn = player.field("angle").scale;
    this.dt = 1 / env.tickRate;
    this.viewW = 2 * this.R.viewHalfW;
    this.viewH = 2 * this.R.viewHalfH;
    this.aimAngle = 0; // radians, 0 = +x, π/2 = +y (down)
    this.fireReady = 0; // input seq from which a predicted shot may fire
    this.ghosts = []; // own shots predicted, not yet seen from the server
    this.seenShots = new Set();
    this.effects = [];
    this.scene = null; // the last frame drawn
    this.ownScreen = null; // the own avatar on screen, CSS px
    this.view = null;
    this.ownShotCount = 0;
    this.predict = {
      snap: 64,
      body: (me) => (me.flags & DEAD ? null : { x: me.x / this.q, y: me.y / this.q, vx: me.vx / this.vq, vy: me.vy / this.vq }),
      step: (b, input) => movePlayer(b, input.move, this.dt, this.R, this.q),
    };
  }

  // --- input --------------------------------------------------------------

  input(c) {
    let move = 0;
    for (const [bit, codes] of KEYS) if (c.held(...codes)) move |= bit;
    if (c.stick && Math.hypot(c.stick.x, c.stick.y) > 12) {
      const a = Math.atan2(c.stick.y, c.stick.x);
      if (Math.cos(a) > 0.38) move |= RIGHT;
      if (Math.cos(a) < -0.38) move |= LEFT;
      if (Math.sin(a) > 0.38) move |= DOWN;
      if (Math.sin(a) < -0.38) move |= UP;
    }
    return { move, aim: this.aim(c), buttons: c.pressed || c.held("Space") ? FIRE : 0 };
  }

  // aim is the angle from the own avatar on screen to the pointer, in the
  // wire's fraction of a turn; it holds when there is no pointer.
  aim(c) {
    const from = this.ownScreen;
    if (c.pointer && from) {
      const dx = c.pointer.x - from.x, dy = c.pointer.y - from.y;
      if (dx || dy) this.aimAngle = Math.atan2(dy, dx);
    }
    const t = this.turn;
    return ((Math.round((this.aimAngle / (2 * Math.PI)) * t) % t) + t) % t;
  }

  // sent shows an own shot at once, as the arena would fire it.
  sent(seq, input, b) {
    if (!(input.buttons & FIRE) || !b || seq < this.fireReady) return;
    this.fireReady = seq + this.R.fireTicks;
    const turn = (input.aim / this.turn) * 2 * Math.PI;
    const c = Math.cos(turn), s = Math.sin(turn);
    this.ghosts.push({
      x: b.x + c * this.R.shotOffset, y: b.y + s * this.R.shotOffset,
      vx: c * this.R.shotSpeed, vy: s * this.R.shotSpeed,
      born: performance.now(),
    });
  }

  // snapshot retires a predicted shot for each new own shot the server
  // reports, oldest first.
  snapshot(state) {
    for (const e of state.values()) {
      if (e.kind !== "projectile" || this.seenShots.has(e.id)) continue;
      this.seenShots.add(e.id);
      if (e.owner === this.env.playerId) this.ghosts.shift();
    }
    if (this.seenShots.size > 512) {
      this.seenShots = new Set([...this.seenShots].filter((id) => state.has(id)));
    }
    const now = performance.now();
    this.ghosts = this.ghosts.filter((g) => now - g.born < GHOST_TTL_MS);
  }

  teleported(a, b) {
    return a.kind === "player" && Math.hypot(b.x - a.x, b.y - a.y) / this.q > TELEPORT_PX;
  }

  score(e) {
    return e.kind === "player" ? e.score : undefined;
  }

  banner(scene) {
    return scene.me && scene.me.flags & DEAD ? "You were killed — respawning…" : "";
  }

  // --- events -------------------------------------------------------------

  event(e, { def, name }) {
    switch (def && def.name) {
      case "kill":
        this.effect("death", e.b);
        return `${name(e.a)} killed ${name(e.b)}.`;
      case "hit":
        this.effect("hit", e.b);
        if (e.b === this.env.playerId) this.env.flash();
        return "";
    }
    return "";
  }

  // effect places a hit or death effect where its victim is drawn now. A
  // hit shows the health it cost once a snapshot has it.
  effect(kind, id) {
    const at = this.drawnAt(id);
    if (!at) return;
    const s = this.scene;
    const victim = s && s.latest.get(id);
    this.effects.push({
      kind, id, x: at.x, y: at.y, t0: performance.now(), hp0: victim ? victim.hp : null, cost: null,
      color: playerColor(id, id === this.env.playerId), spin: Math.random() * Math.PI,
    });
  }

  drawnAt(id) {
    const s = this.scene;
    if (!s) return null;
    if (id === this.env.playerId && s.predicted) return s.predicted;
    const e = s.entities.get(id);
    return e ? { x: e.x / this.q, y: e.y / this.q } : null;
  }

  // --- drawing ------------------------------------------------------------

  draw(view, scene) {
    this.scene = scene;
    this.view = view;
    const R = this.R;
    const { me, predicted } = scene;
    const scale = Math.max(view.cssW / this.viewW, view.cssH / this.viewH, MIN_SCALE);
    const target = predicted || (me && { x: me.x / this.q, y: me.y / this.q });
    const cam = view.cam;
    const halfW = view.cssW / 2 / scale, halfH = view.cssH / 2 / scale;
    const cx = target ? clampCam(target.x, halfW, R.w) : cam.x;
    const cy = target ? clampCam(target.y, halfH, R.h) : cam.y;
    view.look(cx, cy, scale);
    this.ownScreen = predicted ? view.toScreen(predicted.x, predicted.y) : null;

    this.drawMap(view.ctx);
    const id = this.env.playerId;
    for (const e of scene.entities.values()) {
      if (e.kind === "projectile" && e.owner !== id) {
        const p = this.flying(e, scene.renderTime);
        if (!this.inWall(p.x, p.y)) this.drawShot(view.ctx, p.x, p.y, false);
      }
    }
    const own = this.ownShots(scene);
    this.ownShotCount = own.length;
    for (const s of own) this.drawShot(view.ctx, s.x, s.y, true);
    for (const e of scene.entities.values()) {
      if (e.kind === "player" && e.id !== id && !(e.flags & DEAD)) {
        this.drawPlayer(view, e, e.x / this.q, e.y / this.q, e.angle, false);
      }
    }
    if (me && predicted && !(me.flags & DEAD)) {
      const aim = (this.aimAngle / (2 * Math.PI)) * this.turn;
      this.drawPlayer(view, me, predicted.x, predicted.y, aim, true);
    }
    this.drawEffects(view, scene);
  }

  // flying places projectile e at room time t: it left x, y at tick born
  // at vx, vy.
  flying(e, t) {
    const s = (t - this.env.tickTime(e.born)) / 1000;
    return { x: e.x / this.q + (e.vx / this.q) * s, y: e.y / this.q + (e.vy / this.q) * s };
  }

  inWall(x, y) {
    return this.R.walls.some((w) => x > w.x && x < w.x + w.w && y > w.y && y < w.y + w.h);
  }

  // ownShots places own projectiles in the present, level with the
  // predicted avatar (which is ahead of the newest snapshot by the inputs
  // not yet applied) rather than 100 ms in the past, with the shots
  // predicted and not yet seen.
  ownShots(scene) {
    const out = [];
    const at = scene.latestTime + Math.min(300, scene.lead);
    if (scene.latest) {
      for (const e of scene.latest.values()) {
        if (e.kind !== "projectile" || e.owner !== this.env.playerId) continue;
        const p = this.flying(e, at);
        if (!this.inWall(p.x, p.y)) out.push(p);
      }
    }
    for (const g of this.ghosts) {
      const t = (scene.now - g.born) / 1000;
      const x = g.x + g.vx * t, y = g.y + g.vy * t;
      if (!this.inWall(x, y)) out.push({ x, y, ghost: true });
    }
    return out;
  }

  drawMap(ctx) {
    const { w, h, walls } = this.R;
    ctx.fillStyle = COLORS.floor;
    ctx.fillRect(0, 0, w, h);
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = GRID; x < w; x += GRID) { ctx.moveTo(x, 0); ctx.lineTo(x, h); }
    for (let y = GRID; y < h; y += GRID) { ctx.moveTo(0, y); ctx.lineTo(w, y); }
    ctx.stroke();
    ctx.fillStyle = COLOR.wall;
    ctx.strokeStyle = COLOR.wallEdge;
    ctx.lineWidth = 2;
    for (const wl of walls) {
      ctx.fillRect(wl.x, wl.y, wl.w, wl.h);
      ctx.strokeRect(wl.x + 1, wl.y + 1, wl.w - 2, wl.h - 2);
    }
  }

  drawShot(ctx, x, y, own) {
    ctx.fillStyle = own ? "#fff3b0" : "#ff9f6e";
    ctx.shadowColor = own ? COLORS.own : "#ff6b3d";
    ctx.shadowBlur = 8;
    ctx.beginPath();
    ctx.arc(x, y, this.R.shotRadius, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
  }

  // drawPlayer draws player e at (x, y) px aiming at angle (wire units).
  drawPlayer(view, e, x, y, angle, own) {
    const { ctx } = view;
    const r = this.R.playerRadius;
    const away = e.flags & AWAY;
    ctx.globalAlpha = away ? 0.4 : 1;
    const color = playerColor(e.id, own);
    const turn = (angle / this.turn) * Math.PI * 2;
    // Barrel.
    ctx.strokeStyle = color;
    ctx.lineWidth = 6;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + Math.cos(turn) * (r + 8), y + Math.sin(turn) * (r + 8));
    ctx.stroke();
    // Body.
    if (own) {
      ctx.shadowColor = COLORS.own;
      ctx.shadowBlur = 14;
    }
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
    ctx.lineWidth = own ? 3 : 2;
    ctx.strokeStyle = own ? "#ffffff" : "rgba(0,0,0,0.5)";
    ctx.stroke();
    const name = this.env.names.get(e.id) || `player ${e.id}`;
    this.drawLabel(view, e, x, y, name + (away ? " (reconnecting…)" : ""), own);
    ctx.globalAlpha = 1;
  }

  // drawLabel draws the name and health bar at a fixed size on screen,
  // whatever the zoom.
  drawLabel(view, e, x, y, name, own) {
    const { ctx } = view;
    const u = 1 / view.cam.scale; // world px per CSS px
    const barW = 40 * u, barH = 5 * u, top = y - this.R.playerRadius - 8 * u - barH;
    ctx.fillStyle = COLOR.hpBack;
    ctx.fillRect(x - barW / 2, top, barW, barH);
    const hp = Math.max(0, Math.min(this.R.maxHP, e.hp)) / this.R.maxHP;
    ctx.fillStyle = hp > 0.35 ? COLOR.hp : COLOR.hpLow;
    ctx.fillRect(x - barW / 2, top, barW * hp, barH);
    view.label(name, x, top - 3 * u, { bold: own, color: own ? COLORS.own : COLORS.text });
  }

  // drawEffects paints hit rings (with the health they cost) and death
  // bursts.
  drawEffects(view, scene) {
    const { ctx } = view;
    const now = scene.now;
    this.effects = this.effects.filter((fx) => now - fx.t0 < EFFECT_MS);
    const r = this.R.playerRadius;
    for (const fx of this.effects) {
      const age = (now - fx.t0) / 1000;
      if (fx.kind === "hit") {
        const a = 1 - age / 0.3;
        if (a <= 0) continue;
        ctx.strokeStyle = `rgba(255,255,255,${a})`;
        ctx.lineWidth = 3;
        ctx.beginPath();
        ctx.arc(fx.x, fx.y, r + age * 60, 0, Math.PI * 2);
        ctx.stroke();
        const victim = scene.latest.get(fx.id);
        if (fx.cost === null && victim && fx.hp0 !== null && victim.hp < fx.hp0) fx.cost = fx.hp0 - victim.hp;
        if (fx.cost) {
          ctx.fillStyle = `rgba(255,120,120,${a})`;
          ctx.font = "bold 13px system-ui, sans-serif";
          ctx.textAlign = "center";
          ctx.fillText(`-${fx.cost}`, fx.x + 18, fx.y - 18 - age * 40);
        }
      } else if (fx.kind === "death") {
        const a = 1 - age / 0.8;
        if (a <= 0) continue;
        ctx.fillStyle = fx.color;
        ctx.globalAlpha = a;
        for (let i = 0; i < 14; i++) {
          const dir = (i / 14) * Math.PI * 2 + fx.spin;
          const d = 8 + age * (120 + (i % 3) * 40);
          ctx.beginPath();
          ctx.arc(fx.x + Math.cos(dir) * d, fx.y + Math.sin(dir) * d, 4 * a + 1, 0, Math.PI * 2);
          ctx.fill();
        }
        ctx.globalAlpha = 1;
      }
    }
  }

  debug() {
    return {
      renderer: "arena",
      scale: this.view ? this.view.cam.scale : 0,
      viewW: this.viewW, viewH: this.viewH,
      shots: this.ownShotCount,
    };
  }
}
