// draw.js holds what every game's renderer shares: the canvas sized to its
// box and the device's pixel ratio, a camera (a world point at the screen's
// centre and a zoom), the transforms between world and screen, fixed-size
// labels, and stable player colours. Game modules import it as "../draw.js".

export const COLORS = Object.freeze({
  void: "#0b0e14",
  floor: "#161b26",
  grid: "#1e2533",
  own: "#ffd166",
  text: "#e8ecf4",
  muted: "#8b96ad",
});

// playerColor gives every player a stable hue; the own player is gold.
export function playerColor(id, own) {
  if (own) return COLORS.own;
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 62%)`;
}

// View is the canvas a game draws on. Each frame the client calls begin,
// then the game's draw, which points the camera with look and draws in
// world units (after world()) or CSS px (after screen()).
export class View {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cssW = 0; // the canvas's size in CSS px
    this.cssH = 0;
    this.dpr = 1;
    this.cam = { x: 0, y: 0, scale: 1 }; // world point at the centre; CSS px per world unit
  }

  // begin sizes the canvas to its box and clears it to color.
  begin(color = COLORS.void) {
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
    const { ctx } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.shadowBlur = 0;
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, w, h);
  }

  // look points the camera at world point (x, y) with scale CSS px per
  // world unit, and switches to world units.
  look(x, y, scale) {
    this.cam = { x, y, scale };
    this.world();
  }

  // world makes the context draw in world units.
  world() {
    const { x, y, scale } = this.cam;
    const k = this.dpr * scale;
    this.ctx.setTransform(k, 0, 0, k, (this.cssW / 2 - x * scale) * this.dpr, (this.cssH / 2 - y * scale) * this.dpr);
  }

  // screen makes the context draw in CSS px, for a game's HUD.
  screen() {
    this.ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  }

  // toScreen converts a world point to CSS px on the canvas.
  toScreen(x, y) {
    const { cam } = this;
    return { x: (x - cam.x) * cam.scale + this.cssW / 2, y: (y - cam.y) * cam.scale + this.cssH / 2 };
  }

  // toWorld converts CSS px on the canvas to a world point.
  toWorld(x, y) {
    const { cam } = this;
    return { x: (x - this.cssW / 2) / cam.scale + cam.x, y: (y - this.cssH / 2) / cam.scale + cam.y };
  }

  // label draws text centred above world point (x, y) at a fixed size on
  // screen, whatever the zoom; the context must be in world units.
  label(text, x, y, { size = 13, color = COLORS.text, bold = false, baseline = "bottom" } = {}) {
    const { ctx } = this;
    const u = 1 / this.cam.scale; // world units per CSS px
    ctx.font = `${bold ? "bold " : ""}${size * u}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = baseline;
    ctx.lineWidth = 3 * u;
    ctx.strokeStyle = "rgba(0,0,0,0.7)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = color;
    ctx.fillText(text, x, y);
  }
}

// clampCam keeps a camera coordinate so the view of half-size half stays
// within a world of size size (centred when the world is smaller).
export function clampCam(v, half, size) {
  if (size <= half * 2) return size / 2;
  return Math.min(Math.max(v, half), size - half);
}

// scaled returns field name of entity e in its unit: the wire value divided
// by the field's scale (x with scale 8 in px), or undefined when e's kind
// has no such field.
export function scaled(schema, e, name) {
  const f = schema.kind(e.kind)?.field(name);
  return f === undefined ? undefined : e[f.key] / f.scale;
}
