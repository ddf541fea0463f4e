// predict.js holds the client's copy of the game's movement rules (a
// bit-exact port of game.MovePlayer, see docs/game.md) and the prediction of
// the player's own avatar with server reconciliation.

// Movement constants; they must equal those in game/move.go.
export const PLAYER_RADIUS = 14;
export const ACCEL = 2400.0;
export const FRICTION = 8.0;
export const DIAG = 0.7071067811865476;

const UP = 1, DOWN = 2, LEFT = 4, RIGHT = 8;

// quantize rounds v to the nearest 1/8, halves toward +∞.
export function quantize(v) {
  return Math.floor(v * 8 + 0.5) / 8;
}

function moveAxes(move) {
  const dx = (move & RIGHT ? 1 : 0) - (move & LEFT ? 1 : 0);
  const dy = (move & DOWN ? 1 : 0) - (move & UP ? 1 : 0);
  if (dx !== 0 && dy !== 0) return [dx * DIAG, dy * DIAG];
  return [dx, dy];
}

function overlapsWall(x, y, r, w) {
  return x - r < w.x + w.w && x + r > w.x && y - r < w.y + w.h && y + r > w.y;
}

function pushOut(p, v, lo, size) {
  if (v > 0) p = lo - PLAYER_RADIUS;
  else if (v < 0) p = lo + size + PLAYER_RADIUS;
  return [p, 0];
}

// movePlayer advances body b ({x, y, vx, vy} in px and px/s) by one tick of
// dt seconds following the move bits, pushing it out of walls ({x, y, w, h}
// in px) in array order. Every operation matches game.MovePlayer, so both
// produce the same bits.
export function movePlayer(b, move, dt, walls) {
  const [ax, ay] = moveAxes(move);
  b.vx = b.vx + (ax * ACCEL) * dt;
  b.vy = b.vy + (ay * ACCEL) * dt;
  b.vx = b.vx - (b.vx * FRICTION) * dt;
  b.vy = b.vy - (b.vy * FRICTION) * dt;
  b.vx = quantize(b.vx);
  b.vy = quantize(b.vy);

  b.x = b.x + b.vx * dt;
  for (const w of walls) {
    if (overlapsWall(b.x, b.y, PLAYER_RADIUS, w)) [b.x, b.vx] = pushOut(b.x, b.vx, w.x, w.w);
  }
  b.y = b.y + b.vy * dt;
  for (const w of walls) {
    if (overlapsWall(b.x, b.y, PLAYER_RADIUS, w)) [b.y, b.vy] = pushOut(b.y, b.vy, w.y, w.h);
  }
  b.x = quantize(b.x);
  b.y = quantize(b.y);
}

// runTrajectory replays a golden trajectory (game/testdata/trajectory.json)
// and returns the states after each input as [x, y, vx, vy] in 1/8 units.
export function runTrajectory(t) {
  const dt = 1 / t.tick_rate;
  const walls = t.walls.map(toWall);
  const s = t.start;
  const b = { x: s.x, y: s.y, vx: s.vx, vy: s.vy };
  const out = [];
  for (const move of trajectoryInputs(t.inputs)) {
    movePlayer(b, move, dt, walls);
    out.push([b.x * 8, b.y * 8, b.vx * 8, b.vy * 8]);
  }
  return out;
}

// trajectoryInputs accepts the move bits as a JSON array or, as Go encodes
// a []byte, as a base64 string.
function trajectoryInputs(inputs) {
  if (typeof inputs !== "string") return inputs;
  return Uint8Array.from(atob(inputs), (c) => c.charCodeAt(0));
}

function toWall(w) {
  if (Array.isArray(w)) return { x: w[0], y: w[1], w: w[2], h: w[3] };
  return { x: w.x ?? w.X, y: w.y ?? w.Y, w: w.w ?? w.W, h: w.h ?? w.H };
}

// How many unacknowledged inputs are kept; older ones are dropped.
const MAX_PENDING = 256;
// How fast a reconciliation error fades from view, per second.
const ERROR_DECAY = 12;

// Predictor predicts the own avatar: it steps each input locally as it is
// sent and, when a snapshot acknowledges input ackSeq, restarts from the
// server's state and replays the inputs the server has not applied yet.
export class Predictor {
  constructor(tickRate, walls) {
    this.dt = 1 / tickRate;
    this.walls = walls;
    this.body = null; // {x, y, vx, vy} in px after the newest input
    this.prev = null; // the body one input earlier, for smooth drawing
    this.pending = []; // inputs sent and not yet acknowledged
    this.errX = 0; // visual offset left by the last correction, px
    this.errY = 0;
    this.corrections = 0; // reconciliations that moved the avatar
  }

  // step applies one input that is being sent to the server.
  step(input) {
    if (!this.body) return;
    this.prev = { ...this.body };
    movePlayer(this.body, input.move, this.dt, this.walls);
    this.pending.push(input);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  // reconcile resets to entity e (wire units) as of input ackSeq and replays
  // the inputs after it.
  reconcile(e, ackSeq) {
    const before = this.body ? { ...this.body } : null;
    while (this.pending.length && seqLE(this.pending[0].seq, ackSeq)) this.pending.shift();
    const b = { x: e.x / 8, y: e.y / 8, vx: e.vx / 8, vy: e.vy / 8 };
    let prev = { ...b };
    for (const input of this.pending) {
      prev = { ...b };
      movePlayer(b, input.move, this.dt, this.walls);
    }
    this.body = b;
    this.prev = this.pending.length ? prev : { ...b };
    if (before) {
      const dx = before.x - b.x, dy = before.y - b.y;
      if (dx !== 0 || dy !== 0) this.corrections++;
      if (Math.hypot(dx, dy) < 64) {
        this.errX += dx;
        this.errY += dy;
      } else {
        this.errX = this.errY = 0; // too far to smooth: respawn or teleport
      }
    }
  }

  // reset drops all prediction, e.g. after a respawn or a reconnect.
  reset() {
    this.body = null;
    this.prev = null;
    this.pending = [];
    this.errX = this.errY = 0;
  }

  // position returns where to draw the avatar, alpha (0..1) of the way from
  // the previous input's state to the newest, with the correction fading.
  position(alpha, elapsed) {
    if (!this.body) return null;
    const k = Math.exp(-ERROR_DECAY * elapsed);
    this.errX *= k;
    this.errY *= k;
    const p = this.prev || this.body;
    return {
      x: p.x + (this.body.x - p.x) * alpha + this.errX,
      y: p.y + (this.body.y - p.y) * alpha + this.errY,
    };
  }
}

// seqLE compares input sequence numbers, allowing for uint32 wraparound.
function seqLE(a, b) {
  return ((b - a) >>> 0) < 0x80000000;
}
