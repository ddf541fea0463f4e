// input.js holds the player's controls: WASD and arrow keys to move, the
// mouse to aim and shoot (space shoots too), and touch controls — a stick
// on the left half of the screen and aim-and-fire on the right.

import { Button, Move } from "./net.js";

const KEYS = new Map([
  ["KeyW", Move.Up], ["ArrowUp", Move.Up],
  ["KeyS", Move.Down], ["ArrowDown", Move.Down],
  ["KeyA", Move.Left], ["ArrowLeft", Move.Left],
  ["KeyD", Move.Right], ["ArrowRight", Move.Right],
]);

// TURN converts radians to the wire's 1/65536 turn.
const TURN = 65536 / (2 * Math.PI);

// Controls tracks the input devices on a canvas. aimFrom is called with no
// arguments and returns the own avatar's position on screen in CSS px.
export class Controls {
  constructor(canvas, aimFrom) {
    this.canvas = canvas;
    this.aimFrom = aimFrom;
    this.keys = 0;
    this.firing = false; // mouse or space held
    this.mouse = null; // {x, y} in CSS px
    this.aimAngle = 0; // radians, 0 = +x, π/2 = +y (down)
    this.stick = null; // {id, x0, y0, x, y} touch joystick
    this.touchFire = null; // touch identifier while aiming
    this.enabled = true;
    this.listeners = [];
    this.bind();
  }

  on(target, type, fn, opts) {
    target.addEventListener(type, fn, opts);
    this.listeners.push(() => target.removeEventListener(type, fn, opts));
  }

  bind() {
    this.on(window, "keydown", (e) => this.key(e, true));
    this.on(window, "keyup", (e) => this.key(e, false));
    this.on(window, "blur", () => { this.keys = 0; this.firing = false; });
    this.on(this.canvas, "mousemove", (e) => { this.mouse = { x: e.offsetX, y: e.offsetY }; });
    this.on(this.canvas, "mousedown", (e) => {
      if (e.button !== 0) return;
      this.mouse = { x: e.offsetX, y: e.offsetY };
      this.firing = true;
    });
    this.on(window, "mouseup", () => { this.firing = false; });
    this.on(this.canvas, "contextmenu", (e) => e.preventDefault());
    const touch = { passive: false };
    this.on(this.canvas, "touchstart", (e) => this.touch(e, "start"), touch);
    this.on(this.canvas, "touchmove", (e) => this.touch(e, "move"), touch);
    this.on(this.canvas, "touchend", (e) => this.touch(e, "end"), touch);
    this.on(this.canvas, "touchcancel", (e) => this.touch(e, "end"), touch);
  }

  key(e, down) {
    if (isTyping(e.target)) return;
    const bit = KEYS.get(e.code);
    if (bit !== undefined) {
      this.keys = down ? this.keys | bit : this.keys & ~bit;
      e.preventDefault();
    } else if (e.code === "Space") {
      this.firing = down;
      e.preventDefault();
    }
  }

  touch(e, phase) {
    e.preventDefault();
    const r = this.canvas.getBoundingClientRect();
    for (const t of e.changedTouches) {
      const x = t.clientX - r.left, y = t.clientY - r.top;
      if (phase === "start" && x < r.width / 2 && !this.stick) {
        this.stick = { id: t.identifier, x0: x, y0: y, x, y };
      } else if (phase === "start" && this.touchFire === null) {
        this.touchFire = t.identifier;
        this.mouse = { x, y };
      } else if (this.stick && t.identifier === this.stick.id) {
        if (phase === "end") this.stick = null;
        else Object.assign(this.stick, { x, y });
      } else if (t.identifier === this.touchFire) {
        if (phase === "end") this.touchFire = null;
        else this.mouse = { x, y };
      }
    }
  }

  // move returns the Move bits held now.
  move() {
    if (!this.enabled) return 0;
    let m = this.keys;
    if (this.stick) {
      const dx = this.stick.x - this.stick.x0, dy = this.stick.y - this.stick.y0;
      if (Math.hypot(dx, dy) > 12) {
        const a = Math.atan2(dy, dx);
        if (Math.cos(a) > 0.38) m |= Move.Right;
        if (Math.cos(a) < -0.38) m |= Move.Left;
        if (Math.sin(a) > 0.38) m |= Move.Down;
        if (Math.sin(a) < -0.38) m |= Move.Up;
      }
    }
    return m;
  }

  // aim returns the aim angle in 1/65536 turn, from the avatar to the pointer.
  aim() {
    const from = this.aimFrom();
    if (this.mouse && from) {
      const dx = this.mouse.x - from.x, dy = this.mouse.y - from.y;
      if (dx || dy) this.aimAngle = Math.atan2(dy, dx);
    }
    return Math.round(this.aimAngle * TURN) & 0xffff;
  }

  buttons() {
    if (!this.enabled) return 0;
    return this.firing || this.touchFire !== null ? Button.Fire : 0;
  }

  release() {
    this.keys = 0;
    this.firing = false;
  }

  destroy() {
    for (const off of this.listeners) off();
    this.listeners = [];
  }
}

function isTyping(el) {
  return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.isContentEditable);
}
