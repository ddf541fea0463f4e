// interp.js holds the client's view of time: the server clock estimated from
// pings, and the snapshot buffer that draws other entities about 100 ms in
// the past, interpolated between the two snapshots around the render time.

import { Kind } from "./net.js";

// How far in the past other entities are drawn, at least.
export const INTERP_DELAY_MS = 100;
// How long entities keep moving on their last velocity when snapshots stop.
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
// at a render time that runs smoothly behind the server clock.
export class SnapshotBuffer {
  // tickMs is the simulation step; sendMs the time between snapshots (a
  // room may send every few ticks). The delay covers two snapshot gaps.
  constructor(tickMs, sendMs = tickMs) {
    this.tickMs = tickMs;
    this.delay = Math.max(INTERP_DELAY_MS, sendMs * 2);
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

  flying(e, frame, t) {
    return flyingAt(e, frame, this.tickMs, t);
  }

  newest() {
    return this.frames.length ? this.frames[this.frames.length - 1] : null;
  }

  // sample returns a Map(id → {x, y, ...entity}) in px for render time t:
  // interpolated between the snapshots around t, or carried on past the
  // newest snapshot for a short while when the next one is late.
  sample(t) {
    const f = this.frames;
    const out = new Map();
    if (!f.length) return out;
    let i = f.length - 1;
    while (i > 0 && f[i].time > t) i--;
    const a = f[i];
    const b = f[i + 1];
    // Projectiles fly straight from where and when they were fired, so
    // they are placed exactly at t rather than interpolated.
    for (const e of a.state.values()) {
      if (e.kind === Kind.Projectile) out.set(e.id, this.flying(e, a, t));
    }
    if (b) {
      this.late = 0;
      const alpha = clamp01((t - a.time) / (b.time - a.time));
      for (const [id, ea] of a.state) {
        if (ea.kind === Kind.Projectile) continue;
        const eb = b.state.get(id);
        out.set(id, eb ? lerpEntity(ea, eb, alpha) : place(ea, 0));
      }
      return out;
    }
    if (t < a.time) {
      for (const [id, e] of a.state) if (e.kind !== Kind.Projectile) out.set(id, place(e, 0));
      return out;
    }
    // Past the newest snapshot: keep moving on the velocity seen between
    // the last two snapshots for a short while, then hold still.
    this.late++;
    const ahead = Math.min(t - a.time, MAX_EXTRAPOLATE_MS) / 1000;
    const prev = f[i - 1];
    for (const [id, e] of a.state) {
      if (e.kind === Kind.Projectile) continue;
      out.set(id, extrapolate(e, prev && prev.state.get(id), prev && (a.time - prev.time) / 1000, ahead));
    }
    return out;
  }
}

// flyingAt places projectile e at server time t, given a frame (time,
// tick) it appeared in: it left e.x, e.y at tick e.born at e.vx, e.vy.
export function flyingAt(e, frame, tickMs, t) {
  const born = frame.time - (frame.tick - e.born) * tickMs;
  const s = (t - born) / 1000;
  return { ...e, px: e.x / 8 + (e.vx / 8) * s, py: e.y / 8 + (e.vy / 8) * s };
}

function clamp01(v) {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function place(e, ahead) {
  return { ...e, px: e.x / 8 + (e.vx / 8) * ahead, py: e.y / 8 + (e.vy / 8) * ahead };
}

function lerpEntity(a, b, alpha) {
  const ax = a.x / 8, ay = a.y / 8, bx = b.x / 8, by = b.y / 8;
  // A jump far beyond running speed is a respawn: do not slide across the map.
  if (Math.hypot(bx - ax, by - ay) > 200) return place(alpha < 0.5 ? a : b, 0);
  return { ...b, px: ax + (bx - ax) * alpha, py: ay + (by - ay) * alpha };
}

function extrapolate(e, prev, span, ahead) {
  if (e.vx || e.vy || !prev || !span) return place(e, ahead);
  const vx = (e.x - prev.x) / 8 / span;
  const vy = (e.y - prev.y) / 8 / span;
  if (Math.hypot(vx, vy) > 2000) return place(e, 0);
  return { ...e, px: e.x / 8 + vx * ahead, py: e.y / 8 + vy * ahead };
}
