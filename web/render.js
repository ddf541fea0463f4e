// render.js draws the world on the canvas: the map, players with names and
// health bars, projectiles, and hit and death effects, with a camera that
// follows the player's own avatar. It reads state and never changes it.

import { Flag, Kind } from "./net.js";
import { PLAYER_RADIUS } from "./predict.js";

// The area a client is sent (game/interest.go); the camera zooms so the
// screen never shows more than this.
export const VIEW_W = 1600;
export const VIEW_H = 960;
const SHOT_RADIUS = 4;
const GRID = 64;

const COLORS = {
  void: "#0b0e14",
  floor: "#161b26",
  grid: "#1e2533",
  wall: "#3a4458",
  wallEdge: "#55627d",
  own: "#ffd166",
  text: "#e8ecf4",
  hpBack: "rgba(0,0,0,0.55)",
  hp: "#4ade80",
  hpLow: "#f87171",
};

// playerColor gives every player a stable hue.
export function playerColor(id, own) {
  if (own) return COLORS.own;
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 62%)`;
}

// Renderer owns the canvas size and the camera.
export class Renderer {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cssW = 0;
    this.cssH = 0;
    this.dpr = 1;
    this.scale = 1; // CSS px per world px
    this.cam = { x: 0, y: 0 }; // world point at the screen centre
  }

  // fit matches the canvas to its CSS size and the device pixel ratio.
  fit() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.cssW = r.width;
    this.cssH = r.height;
    this.dpr = dpr;
    this.scale = Math.max(r.width / VIEW_W, r.height / VIEW_H, 0.35);
  }

  // toScreen converts a world point to CSS px on the canvas.
  toScreen(x, y) {
    return {
      x: (x - this.cam.x) * this.scale + this.cssW / 2,
      y: (y - this.cam.y) * this.scale + this.cssH / 2,
    };
  }

  follow(target, map) {
    if (!target) return;
    const halfW = this.cssW / 2 / this.scale, halfH = this.cssH / 2 / this.scale;
    this.cam.x = clampCam(target.x, halfW, map.w);
    this.cam.y = clampCam(target.y, halfH, map.h);
  }

  // draw paints one frame. scene: {map, frame, playerId, names, effects, now}.
  draw(scene) {
    this.fit();
    const { ctx } = this;
    const { map, frame, playerId } = scene;
    this.follow(frame.pos || (frame.me && { x: frame.me.x / 8, y: frame.me.y / 8 }), map);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = COLORS.void;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const k = this.dpr * this.scale;
    ctx.setTransform(k, 0, 0, k,
      (this.cssW / 2 - this.cam.x * this.scale) * this.dpr,
      (this.cssH / 2 - this.cam.y * this.scale) * this.dpr);
    this.drawMap(map);
    for (const e of frame.others.values()) {
      if (e.kind === Kind.Projectile && e.owner !== playerId) this.drawShot(e.px, e.py, false);
    }
    for (const s of frame.ownShots) this.drawShot(s.x, s.y, true);
    for (const e of frame.others.values()) {
      if (e.kind === Kind.Player && e.id !== playerId && !(e.flags & Flag.Dead)) {
        this.drawPlayer(e, e.px, e.py, scene.names.get(e.id), false);
      }
    }
    const me = frame.me;
    if (me && frame.pos && !(me.flags & Flag.Dead)) {
      this.drawPlayer({ ...me, angle: scene.aim ?? me.angle }, frame.pos.x, frame.pos.y, scene.names.get(playerId), true);
    }
    this.drawEffects(scene.effects, scene.now);
  }

  drawMap(map) {
    const { ctx } = this;
    ctx.fillStyle = COLORS.floor;
    ctx.fillRect(0, 0, map.w, map.h);
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = GRID; x < map.w; x += GRID) { ctx.moveTo(x, 0); ctx.lineTo(x, map.h); }
    for (let y = GRID; y < map.h; y += GRID) { ctx.moveTo(0, y); ctx.lineTo(map.w, y); }
    ctx.stroke();
    ctx.fillStyle = COLORS.wall;
    ctx.strokeStyle = COLORS.wallEdge;
    ctx.lineWidth = 2;
    for (const w of map.walls) {
      ctx.fillRect(w.x, w.y, w.w, w.h);
      ctx.strokeRect(w.x + 1, w.y + 1, w.w - 2, w.h - 2);
    }
  }

  drawShot(x, y, own) {
    const { ctx } = this;
    ctx.fillStyle = own ? "#fff3b0" : "#ff9f6e";
    ctx.shadowColor = own ? COLORS.own : "#ff6b3d";
    ctx.shadowBlur = 8;
    ctx.beginPath();
    ctx.arc(x, y, SHOT_RADIUS, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
  }

  drawPlayer(e, x, y, name, own) {
    const { ctx } = this;
    const away = e.flags & Flag.Reconnecting;
    ctx.globalAlpha = away ? 0.4 : 1;
    const color = playerColor(e.id, own);
    const turn = (e.angle / 65536) * Math.PI * 2;
    // Barrel.
    ctx.strokeStyle = color;
    ctx.lineWidth = 6;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + Math.cos(turn) * (PLAYER_RADIUS + 8), y + Math.sin(turn) * (PLAYER_RADIUS + 8));
    ctx.stroke();
    // Body.
    if (own) {
      ctx.shadowColor = COLORS.own;
      ctx.shadowBlur = 14;
    }
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(x, y, PLAYER_RADIUS, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
    ctx.lineWidth = own ? 3 : 2;
    ctx.strokeStyle = own ? "#ffffff" : "rgba(0,0,0,0.5)";
    ctx.stroke();
    this.drawLabel(e, x, y, (name || `player ${e.id}`) + (away ? " (reconnecting…)" : ""), own);
    ctx.globalAlpha = 1;
  }

  // drawLabel draws the name and health bar at a fixed size on screen,
  // whatever the zoom.
  drawLabel(e, x, y, name, own) {
    const { ctx } = this;
    const u = 1 / this.scale; // world px per CSS px
    const barW = 40 * u, barH = 5 * u, top = y - PLAYER_RADIUS - 8 * u - barH;
    ctx.fillStyle = COLORS.hpBack;
    ctx.fillRect(x - barW / 2, top, barW, barH);
    const hp = Math.max(0, Math.min(100, e.hp)) / 100;
    ctx.fillStyle = hp > 0.35 ? COLORS.hp : COLORS.hpLow;
    ctx.fillRect(x - barW / 2, top, barW * hp, barH);
    ctx.font = `${own ? "bold " : ""}${13 * u}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.lineWidth = 3 * u;
    ctx.strokeStyle = "rgba(0,0,0,0.7)";
    ctx.strokeText(name, x, top - 3 * u);
    ctx.fillStyle = own ? COLORS.own : COLORS.text;
    ctx.fillText(name, x, top - 3 * u);
  }

  // drawEffects paints hit rings and death bursts; each effect is
  // {kind, x, y, t0, color}.
  drawEffects(effects, now) {
    const { ctx } = this;
    for (const fx of effects) {
      const age = (now - fx.t0) / 1000;
      if (fx.kind === "hit") {
        const a = 1 - age / 0.3;
        if (a <= 0) continue;
        ctx.strokeStyle = `rgba(255,255,255,${a})`;
        ctx.lineWidth = 3;
        ctx.beginPath();
        ctx.arc(fx.x, fx.y, PLAYER_RADIUS + age * 60, 0, Math.PI * 2);
        ctx.stroke();
        ctx.fillStyle = `rgba(255,120,120,${a})`;
        ctx.font = "bold 13px system-ui, sans-serif";
        ctx.textAlign = "center";
        ctx.fillText("-20", fx.x + 18, fx.y - 18 - age * 40);
      } else if (fx.kind === "death") {
        const a = 1 - age / 0.8;
        if (a <= 0) continue;
        ctx.fillStyle = fx.color;
        ctx.globalAlpha = a;
        for (let i = 0; i < 14; i++) {
          const dir = (i / 14) * Math.PI * 2 + fx.spin;
          const r = 8 + age * (120 + (i % 3) * 40);
          ctx.beginPath();
          ctx.arc(fx.x + Math.cos(dir) * r, fx.y + Math.sin(dir) * r, 4 * a + 1, 0, Math.PI * 2);
          ctx.fill();
        }
        ctx.globalAlpha = 1;
      }
    }
  }
}

function clampCam(v, half, size) {
  if (size <= half * 2) return size / 2;
  return Math.min(Math.max(v, half), size - half);
}
