// interp.js holds the client's view of time, for any game: the server clock
// estimated from pings, and the snapshot buffer that shows entities about
// 100 ms in the past, the fields the schema marks interp interpolated
// between the two snapshots around the render time.

// How far in the past entities are drawn, at least.
export const INTERP_DELAY_MS = 100;
// How long entities keep moving on their last rate of change when
// snapshots stop.
const MAX_EXTRAPOLATE_MS = 250;
// Snapshots kept in the buffer.
const BUFFER_SIZE = 32;
// Clock samples kept; the one with the lowest round trip wins.
const CLOCK_SAMPLES = 8;

// ServerClock estimates the room clock from pongs: server ≈ pong.serverTime
// + rtt/2 at the moment the pong arrives, trusting the sample with the
// lowest round trip among the last few.
export class ServerClock {
  constructor() {
    this.samples = []; // {rtt, offset}
    this.offset = null; // serverTime - performance.now()
    this.rtt = null; // ms, smoothed
    this.lastRtt = null;
  }

  // seed sets a first guess from a message stamped with the server's time.
  seed(serverTime, now = performance.now()) {
    if (this.offset === null) this.offset = serverTime - now;
  }

  // pong records one ping round trip.
  pong(clientTime, serverTime, now = performance.now()) {
    const rtt = Math.max(0, now - clientTime);
    this.lastRtt = rtt;
    this.rtt = this.rtt === null ? rtt : this.rtt * 0.8 + rtt * 0.2;
    this.samples.push({ rtt, offset: serverTime + rtt / 2 - now });
    if (this.samples.length > CLOCK_SAMPLES) this.samples.shift();
    let best = this.samples[0];
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    this.offset = best.offset;
  }

  // notice moves the estimate forward when a message proves the server's
  // clock already passed serverTime.
  notice(serverTime, now = performance.now()) {
    if (this.offset === null || serverTime - now > this.offset) this.offset = serverTime - now;
  }

  now(now = performance.now()) {
    return now + (this.offset ?? 0);
  }
}

// SnapshotBuffer holds recent world states by server time and samples them
// at a render time that runs smoothly behind the server clock. schema is
// the welcome's (net.js Schema); teleported(a, b), when given, tells an
// entity's two states between which it jumped (a respawn) rather than
// moved, so it is not slid across the world.
export class SnapshotBuffer {
  // tickMs is the simulation step; sendMs the time between snapshots (a
  // room may send every few ticks). The delay covers two snapshot gaps.
  constructor(schema, tickMs, sendMs = tickMs, teleported = null) {
    this.tickMs = tickMs;
    this.delay = Math.max(INTERP_DELAY_MS, sendMs * 2);
    this.teleported = teleported || (() => false);
    // The interpolated fields of each kind, by kind name.
    this.interp = new Map(schema.kinds.map((k) => [k.name, k.fields.filter((f) => f.interp)]));
    this.frames = []; // {time, tick, state}, ascending by time
    this.renderTime = null;
    this.lastWall = null;
    this.late = 0; // frames drawn past the newest snapshot
  }

  push(time, tick, state) {
    const f = this.frames;
    if (f.length && tick <= f[f.length - 1].tick) return; // duplicate or old
    f.push({ time, tick, state });
    if (f.length > BUFFER_SIZE) f.shift();
  }

  clear() {
    this.frames = [];
    this.renderTime = null;
  }

  // advance moves the render time toward serverNow - delay, speeding up or
  // slowing down by at most 10% so a clock correction never jumps.
  advance(serverNow, wallNow) {
    const target = serverNow - this.delay;
    const dt = this.lastWall === null ? 0 : Math.min(wallNow - this.lastWall, 250);
    this.lastWall = wallNow;
    if (this.renderTime === null || Math.abs(target - this.renderTime) > 500) {
      this.renderTime = target;
      return this.renderTime;
    }
    const rate = Math.min(1.1, Math.max(0.9, 1 + (target - this.renderTime) / 1000));
    this.renderTime += dt * rate;
    return this.renderTime;
  }

  newest() {
    return this.frames.length ? this.frames[this.frames.length - 1] : null;
  }

  // sample returns the world at render time t as a Map(id → entity), each
  // entity's interp fields interpolated between the snapshots around t (or
  // carried on past the newest snapshot for a short while when the next one
  // is late) and its other fields as the earlier snapshot has them. An
  // entity appears once t reaches the snapshot that first has it.
  sample(t) {
    const f = this.frames;
    const out = new Map();
    if (!f.length) return out;
    let i = f.length - 1;
    while (i > 0 && f[i].time > t) i--;
    const a = f[i];
    const b = f[i + 1];
    if (b) {
      this.late = 0;
      const alpha = clamp01((t - a.time) / (b.time - a.time));
      for (const [id, ea] of a.state) {
        const eb = b.state.get(id);
        out.set(id, eb && eb.kind === ea.kind ? this.lerp(ea, eb, alpha) : ea);
      }
      return out;
    }
    if (t < a.time) return new Map(a.state);
    // Past the newest snapshot: keep changing at the rate seen between the
    // last two snapshots for a short while, then hold still.
    this.late++;
    const prev = f[i - 1];
    const span = prev ? a.time - prev.time : 0;
    const ahead = Math.min(t - a.time, MAX_EXTRAPOLATE_MS);
    for (const [id, e] of a.state) {
      const p = prev && prev.state.get(id);
      out.set(id, p && span > 0 && p.kind === e.kind ? this.extrapolate(p, e, ahead / span) : e);
    }
    return out;
  }

  lerp(a, b, alpha) {
    const fields = this.interp.get(a.kind);
    if (!fields.length || a === b) return alpha < 1 ? a : b;
    if (this.teleported(a, b)) return alpha < 0.5 ? a : b;
    const out = { ...b };
    for (const f of fields) out[f.key] = mix(f, a[f.key], b[f.key], alpha);
    return out;
  }

  // extrapolate carries e on by k times its change since p, angles
  // excepted (they hold).
  extrapolate(p, e, k) {
    const fields = this.interp.get(e.kind);
    if (!fields.length || p === e || this.teleported(p, e)) return e;
    const out = { ...e };
    for (const f of fields) {
      if (!f.period) out[f.key] = e[f.key] + (e[f.key] - p[f.key]) * k;
    }
    return out;
  }
}

// mix interpolates field f from a to b; an angle goes the short way round
// and stays within one turn.
export function mix(f, a, b, alpha) {
  const period = f.period;
  if (!period) return a + (b - a) * alpha;
  let d = (b - a) % period;
  if (d > period / 2) d -= period;
  else if (d < -period / 2) d += period;
  const v = (a + d * alpha) % period;
  return v < 0 ? v + period : v;
}

function clamp01(v) {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
