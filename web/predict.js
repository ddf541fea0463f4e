// predict.js holds client-side prediction for any game that models its own
// avatar's motion (a game module's `predict`, see game.js): each input is
// applied locally as it is sent and, when a snapshot acknowledges input
// ackSeq, the avatar restarts from the server's state and replays the
// inputs the server has not applied yet.

// How many unacknowledged inputs are kept; older ones are dropped.
const MAX_PENDING = 256;
// How fast a reconciliation error fades from view, per second.
const ERROR_DECAY = 12;

// Predictor predicts one avatar with model, a game module's predict:
//
//   body(me, env)    the body to predict from the own entity me as the
//                    newest snapshot has it: an object with numbers x and y
//                    (in the units the game draws in) and whatever else
//                    step needs; null when there is nothing to predict
//                    (no avatar, or dead).
//   step(body, input, env)  advance body in place by one tick of input (by
//                    input field name, as it was sent).
//   snap             a correction longer than this (in body units) is a
//                    teleport, shown at once rather than smoothed; default 64.
export class Predictor {
  constructor(model, env) {
    this.model = model;
    this.env = env;
    this.snap = model.snap ?? 64;
    this.body = null; // the body after the newest input
    this.prev = null; // the body one input earlier, for smooth drawing
    this.pending = []; // inputs sent and not yet acknowledged: {seq, input}
    this.errX = 0; // visual offset left by the last correction
    this.errY = 0;
    this.corrections = 0; // reconciliations that moved the avatar
  }

  // step applies one input that is being sent to the server with seq.
  step(seq, input) {
    if (!this.body) return;
    this.prev = { ...this.body };
    this.model.step(this.body, input, this.env);
    this.pending.push({ seq, input });
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  // reconcile restarts from the own entity me (undefined when it is not in
  // the snapshot) as of input ackSeq and replays the inputs after it.
  reconcile(me, ackSeq) {
    while (this.pending.length && seqLE(this.pending[0].seq, ackSeq)) this.pending.shift();
    const b = me ? this.model.body(me, this.env) : null;
    if (!b) {
      this.reset();
      return;
    }
    const before = this.body;
    let prev = { ...b };
    for (const p of this.pending) {
      prev = { ...b };
      this.model.step(b, p.input, this.env);
    }
    this.body = b;
    this.prev = this.pending.length ? prev : { ...b };
    if (before) {
      const dx = before.x - b.x, dy = before.y - b.y;
      if (dx !== 0 || dy !== 0) this.corrections++;
      if (Math.hypot(dx, dy) < this.snap) {
        this.errX += dx;
        this.errY += dy;
      } else {
        this.errX = this.errY = 0; // too far to smooth: respawn or teleport
      }
    }
  }

  // reset drops all prediction, e.g. after a death or a reconnect.
  reset() {
    this.body = null;
    this.prev = null;
    this.pending = [];
    this.errX = this.errY = 0;
  }

  // position returns where to draw the avatar, alpha (0..1) of the way from
  // the previous input's state to the newest, with the correction fading
  // over elapsed seconds; null while nothing is predicted.
  position(alpha, elapsed) {
    if (!this.body) return null;
    const k = Math.exp(-ERROR_DECAY * elapsed);
    this.errX *= k;
    this.errY *= k;
    const p = this.prev || this.body;
    return {
      ...this.body,
      x: p.x + (this.body.x - p.x) * alpha + this.errX,
      y: p.y + (this.body.y - p.y) * alpha + this.errY,
    };
  }
}

// seqLE compares input sequence numbers, allowing for uint32 wraparound.
export function seqLE(a, b) {
  return ((b - a) >>> 0) < 0x80000000;
}
