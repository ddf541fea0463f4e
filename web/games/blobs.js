// games/blobs.js is the module of blobs (game/blobs; rules in
// docs/blobs.md): it draws the field, the pellets and the blobs with their
// players' names and masses, with the camera on the own blob and zoomed
// out as it grows (to the view the server gives it); the mouse (or a touch)
// sets the point the blob heads for, the input fields tx and ty; it
// predicts the own blob's movement with the game's integer arithmetic; and
// it words the ate event. Every rule comes from the welcome's world
// (world.rules, world.w, world.h). The interface it implements is
// documented in ../game.js.

import { COLORS, playerColor } from "../draw.js";

// The blob's flags, as the schema documents them.
const DEAD = 1, AWAY = 2;

// Pellet colours, by palette index (the world's rules.pelletColors many).
const PALETTE = ["#f87171", "#fb923c", "#facc15", "#4ade80", "#2dd4bf", "#60a5fa", "#a78bfa", "#f472b6"];
const GRID = 50;
// A pointer this near the own blob's centre, CSS px, stops it.
const STOP_PX = 4;
// How fast the zoom follows the blob's growth, per second.
const ZOOM_RATE = 4;

// isqrt returns ⌊√n⌋ for a whole n ≥ 0, exactly as the game computes it.
export function isqrt(n) {
  if (n <= 0) return 0;
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

// stepOf is how far, in 1/8 px, a blob of radius r8 (1/8 px) moves in a
// tick at rate ticks per second under rules R (game/blobs StepOf).
export function stepOf(r8, rate, R) {
  const r0 = isqrt(R.radiusK * R.startMass);
  const speed = Math.max(R.minSpeed * 8, Math.floor((R.maxSpeed * 8 * 3 * r0) / (r8 + 2 * r0)));
  return Math.floor(speed / rate);
}

// moveToward moves (x, y) toward (tx, ty) by step, all in 1/8 px
// (game/blobs MoveToward): onto the target when it is at most step away,
// else by dx·step/d, dy·step/d with d = ⌊√(dx²+dy²)⌋, truncated.
export function moveToward(x, y, tx, ty, step) {
  const dx = tx - x, dy = ty - y;
  const d2 = dx * dx + dy * dy;
  if (d2 <= step * step) return [tx, ty];
  const d = isqrt(d2);
  return [x + Math.trunc((dx * step) / d), y + Math.trunc((dy * step) / d)];
}

// create makes blobs' game for one welcome (see ../game.js).
export function create(env) {
  return new Blobs(env);
}

class Blobs {
  constructor(env) {
    this.env = env;
    this.R = env.world.rules || {};
    this.w = env.world.w;
    this.h = env.world.h;
    // Positions and radii travel in 1/q px.
    this.q = env.schema.kind("blob").field("x").scale;
    this.zoom = null;
    this.target = null; // the last point headed for, px
    this.view = null;
    this.scene = null;
    this.predict = {
      snap: 100,
      body: (me) => (me.flags & (DEAD | AWAY) ? null : { x8: me.x, y8: me.y, r8: me.radius, x: me.x / this.q, y: me.y / this.q }),
      step: (b, input) => {
        // The game clamps the target to the field, then steps toward it.
        const tx = this.q * Math.min(Math.max(input.tx, 0), this.w);
        const ty = this.q * Math.min(Math.max(input.ty, 0), this.h);
        [b.x8, b.y8] = moveToward(b.x8, b.y8, tx, ty, stepOf(b.r8, env.tickRate, this.R));
        b.x = b.x8 / this.q;
        b.y = b.y8 / this.q;
      },
    };
  }

  // ownAt is where the own blob is drawn, px, or null.
  ownAt(scene) {
    if (!scene) return null;
    if (scene.predicted) return scene.predicted;
    const me = scene.me;
    return me ? { x: me.x / this.q, y: me.y / this.q } : null;
  }

  // input heads for the pointer, as far from the blob as the pointer is
  // from where the blob is drawn; a pointer resting on the blob's centre
  // stops it where it is. Without a pointer the blob holds its course, or
  // stands.
  input(c, scene) {
    const own = this.ownAt(scene);
    // From the prediction itself rather than where it is drawn (a
    // correction fading, between two inputs): the target then does not
    // chase the drawing.
    const at = scene && scene.body ? scene.body : own;
    if (c.pointer && this.view && own) {
      const drawn = this.view.toScreen(own.x, own.y);
      const dx = c.pointer.x - drawn.x, dy = c.pointer.y - drawn.y;
      this.target = Math.hypot(dx, dy) < STOP_PX ? { x: Math.round(at.x), y: Math.round(at.y) } :
        { x: at.x + dx / this.view.cam.scale, y: at.y + dy / this.view.cam.scale };
    } else if (c.stick && at && Math.hypot(c.stick.x, c.stick.y) > 12) {
      this.target = { x: at.x + c.stick.x * 4, y: at.y + c.stick.y * 4 };
    }
    const t = this.target || at;
    return t ? { tx: t.x, ty: t.y } : { tx: this.w / 2, ty: this.h / 2 };
  }

  score(e) {
    return e.kind === "blob" ? e.mass : undefined;
  }

  banner(scene) {
    return scene.me && scene.me.flags & DEAD ? "You were eaten — back in a moment…" : "";
  }

  event(e, { def, name }) {
    if (def && def.name === "ate") {
      if (e.b === this.env.playerId) this.env.flash();
      return `${name(e.a)} ate ${name(e.b)}.`;
    }
    return "";
  }

  teleported(a, b) {
    return a.kind === "blob" && (a.flags & DEAD) !== (b.flags & DEAD);
  }

  draw(view, scene) {
    this.view = view;
    this.scene = scene;
    const q = this.q;
    const own = this.ownAt(scene);
    const me = scene.me;
    // The server shows a blob of radius r everything within viewHalfW +
    // viewGrow·r by viewHalfH + viewGrow·r px: so does the camera.
    const r = me ? me.radius / q : 0;
    const hw = this.R.viewHalfW + this.R.viewGrow * r, hh = this.R.viewHalfH + this.R.viewGrow * r;
    const want = Math.max(view.cssW / (2 * hw), view.cssH / (2 * hh));
    const dt = this.last ? Math.min(0.25, (scene.now - this.last) / 1000) : 1;
    this.last = scene.now;
    this.zoom = this.zoom === null ? want : this.zoom + (want - this.zoom) * Math.min(1, dt * ZOOM_RATE);
    const cam = own || view.cam;
    view.look(cam.x, cam.y, this.zoom);
    const { ctx } = view;
    const u = 1 / this.zoom; // px per CSS px

    ctx.fillStyle = COLORS.floor;
    ctx.fillRect(0, 0, this.w, this.h);
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = u;
    ctx.beginPath();
    for (let x = GRID; x < this.w; x += GRID) { ctx.moveTo(x, 0); ctx.lineTo(x, this.h); }
    for (let y = GRID; y < this.h; y += GRID) { ctx.moveTo(0, y); ctx.lineTo(this.w, y); }
    ctx.stroke();

    const blobs = [];
    for (const e of scene.entities.values()) {
      if (e.kind === "pellet") {
        ctx.fillStyle = PALETTE[e.color % PALETTE.length];
        ctx.beginPath();
        ctx.arc(e.x / q, e.y / q, this.R.pelletRadius, 0, Math.PI * 2);
        ctx.fill();
      } else if (e.kind === "blob" && e.id !== this.env.playerId) {
        blobs.push({ e, x: e.x / q, y: e.y / q, r: e.radius / q, own: false });
      }
    }
    if (me && own) blobs.push({ e: me, x: own.x, y: own.y, r: me.radius / q, own: true });
    blobs.sort((a, b) => b.r - a.r); // the smaller on top
    for (const b of blobs) this.drawBlob(view, b, u);

    if (this.target && me && !(me.flags & DEAD)) {
      ctx.strokeStyle = "rgba(255,255,255,0.35)";
      ctx.lineWidth = 2 * u;
      ctx.beginPath();
      ctx.arc(this.target.x, this.target.y, 6 * u, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  drawBlob(view, { e, x, y, r, own }, u) {
    const { ctx } = view;
    const dead = e.flags & DEAD;
    ctx.globalAlpha = dead ? 0.25 : e.flags & AWAY ? 0.45 : 0.92;
    const color = playerColor(e.id, own);
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.lineWidth = Math.max(2 * u, r * 0.06);
    ctx.strokeStyle = own ? "#ffffff" : "rgba(0,0,0,0.45)";
    ctx.stroke();
    ctx.globalAlpha = 1;
    const name = this.env.names.get(e.id) || `player ${e.id}`;
    const size = Math.max(11, Math.min(28, r / u / 3)); // CSS px
    const text = { bold: own, color: COLORS.text, baseline: "middle" };
    view.label(name + (e.flags & AWAY ? " (away)" : ""), x, y - size * 0.45 * u, { ...text, size });
    view.label(String(e.mass), x, y + size * 0.6 * u, { ...text, size: size * 0.75, bold: false });
  }

  debug() {
    return { renderer: "blobs", scale: this.zoom || 0, target: this.target };
  }
}
