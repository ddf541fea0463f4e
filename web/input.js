// input.js holds the input devices as any game reads them: the keys held,
// the pointer (mouse, or a touch on the right half of the screen) and
// whether it is pressed, and a touch joystick on the left half. A game
// module maps them to its schema's input fields (game.js).

// Keys whose default action (scrolling the page) a game never wants.
const SCROLL_KEYS = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Space", "PageUp", "PageDown", "Home", "End"]);

// Controls tracks the input devices on a canvas while enabled (during a
// match); they read as idle while not.
export class Controls {
  constructor(canvas) {
    this.canvas = canvas;
    this.keys = new Set(); // KeyboardEvent.code of every key held
    this.pointer = null; // {x, y} in CSS px on the canvas: the mouse or the aiming touch
    this.pressed = false; // the left mouse button held, or a touch aiming
    this.stick = null; // touch joystick {x, y}: its offset from where the touch began, CSS px
    this.touch = null; // {id, x0, y0} of the joystick touch
    this.touchAim = null; // identifier of the aiming touch
    this.enabled = false;
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
    this.on(window, "blur", () => this.release());
    this.on(this.canvas, "mousemove", (e) => { this.pointer = { x: e.offsetX, y: e.offsetY }; });
    this.on(this.canvas, "mousedown", (e) => {
      if (e.button !== 0) return;
      this.pointer = { x: e.offsetX, y: e.offsetY };
      this.pressed = true;
    });
    this.on(window, "mouseup", (e) => { if (e.button === 0) this.pressed = false; });
    this.on(this.canvas, "contextmenu", (e) => e.preventDefault());
    const touch = { passive: false };
    this.on(this.canvas, "touchstart", (e) => this.onTouch(e, "start"), touch);
    this.on(this.canvas, "touchmove", (e) => this.onTouch(e, "move"), touch);
    this.on(this.canvas, "touchend", (e) => this.onTouch(e, "end"), touch);
    this.on(this.canvas, "touchcancel", (e) => this.onTouch(e, "end"), touch);
  }

  key(e, down) {
    if (!this.enabled || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (down) this.keys.add(e.code);
    else this.keys.delete(e.code);
    if (SCROLL_KEYS.has(e.code)) e.preventDefault();
  }

  onTouch(e, phase) {
    e.preventDefault();
    const r = this.canvas.getBoundingClientRect();
    for (const t of e.changedTouches) {
      const x = t.clientX - r.left, y = t.clientY - r.top;
      if (phase === "start" && x < r.width / 2 && !this.touch) {
        this.touch = { id: t.identifier, x0: x, y0: y };
        this.stick = { x: 0, y: 0 };
      } else if (phase === "start" && this.touchAim === null) {
        this.touchAim = t.identifier;
        this.pointer = { x, y };
        this.pressed = true;
      } else if (this.touch && t.identifier === this.touch.id) {
        if (phase === "end") this.touch = this.stick = null;
        else this.stick = { x: x - this.touch.x0, y: y - this.touch.y0 };
      } else if (t.identifier === this.touchAim) {
        if (phase === "end") {
          this.touchAim = null;
          this.pressed = false;
        } else {
          this.pointer = { x, y };
        }
      }
    }
  }

  // held reports whether any of the keys (KeyboardEvent.code) is held.
  held(...codes) {
    return this.enabled && codes.some((c) => this.keys.has(c));
  }

  // release forgets every key and button held, as when focus leaves.
  release() {
    this.keys.clear();
    this.pressed = false;
    this.stick = this.touch = null;
    this.touchAim = null;
  }

  destroy() {
    for (const off of this.listeners) off();
    this.listeners = [];
  }
}

function isTyping(el) {
  return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}
