// net.js holds the tickroom.v1 wire protocol: message encoding and decoding,
// delta snapshots resolved against their baselines, and the WebSocket
// connection that carries them.

import { decode, encode } from "./vendor/msgpack/index.mjs";

export const SUBPROTOCOL = "tickroom.v1";

// Message types, the first element of every frame.
export const Msg = Object.freeze({
  Input: 1, Ping: 2, Chat: 3, Leave: 4,
  Welcome: 10, Snapshot: 11, Pong: 12, Events: 13, Error: 14,
});

// Move and button bits of an input.
export const Move = Object.freeze({ Up: 1, Down: 2, Left: 4, Right: 8 });
export const Button = Object.freeze({ Fire: 1 });

export const Kind = Object.freeze({ Player: 1, Projectile: 2 });
export const Flag = Object.freeze({ Dead: 1, Reconnecting: 2 });

export const EventKind = Object.freeze({
  Join: 1, Leave: 2, Kill: 3, Chat: 4, System: 5, Hit: 6,
});

export const ErrorCode = Object.freeze({
  BadMessage: 1, RateLimited: 2, RoomClosed: 3, TooSlow: 4, Internal: 5, Shutdown: 6,
});

// Field bits of a snapshot entity change, in wire order.
const F = Object.freeze({
  Kind: 1 << 0, X: 1 << 1, Y: 1 << 2, VX: 1 << 3, VY: 1 << 4,
  Angle: 1 << 5, HP: 1 << 6, Flags: 1 << 7, Score: 1 << 8, Owner: 1 << 9, Born: 1 << 10,
});

// Positions are sent in 1/8 px, velocities in 1/8 px/s.
export const POS_UNIT = 8;

// How many decoded snapshot states are kept as possible baselines.
export const BASELINE_KEEP = 64;

const decodeOptions = { useBigInt64: false };

// encodeInput returns the frame for one tick's input.
export function encodeInput(seq, move, aim, buttons) {
  return encode([Msg.Input, seq >>> 0, move & 0xff, aim & 0xffff, buttons & 0xff]);
}

export function encodePing(clientTime) {
  return encode([Msg.Ping, clientTime]);
}

export function encodeChat(text) {
  return encode([Msg.Chat, text]);
}

export function encodeLeave() {
  return encode([Msg.Leave]);
}

// decodeServer turns one binary frame into a message object with a `type`.
// It throws on frames that do not follow the protocol.
export function decodeServer(bytes) {
  const a = decode(bytes, decodeOptions);
  if (!Array.isArray(a) || a.length === 0) throw new Error("frame is not a message array");
  switch (a[0]) {
    case Msg.Welcome: return decodeWelcome(a);
    case Msg.Snapshot:
      // a[2] is the baseline's age in ticks; 0 means a full snapshot.
      return {
        type: Msg.Snapshot, tick: a[1], baseTick: a[2] ? (a[1] - a[2]) >>> 0 : 0,
        ackSeq: a[3], changes: a[4] || [], removed: a[5] || [],
      };
    case Msg.Pong: return { type: Msg.Pong, clientTime: a[1], tick: a[2], serverTime: a[3] };
    case Msg.Events: return { type: Msg.Events, events: (a[1] || []).map(decodeEvent) };
    case Msg.Error: return { type: Msg.Error, code: a[1], message: a[2] || "" };
    default: return { type: a[0] };
  }
}

function decodeWelcome(a) {
  const [w, h, flat] = a[8] || [0, 0, []];
  const walls = [];
  for (let i = 0; i + 3 < (flat || []).length; i += 4) {
    walls.push({ x: flat[i], y: flat[i + 1], w: flat[i + 2], h: flat[i + 3] });
  }
  return {
    type: Msg.Welcome,
    playerId: a[1],
    roomId: a[2],
    tickRate: a[3],
    tick: a[4],
    serverTime: a[5],
    reconnectToken: a[6],
    lastEventSeq: a[7],
    map: { w, h, walls },
    roster: (a[9] || []).map(([id, name, score]) => ({ id, name, score })),
    sendRate: a[10] || a[3], // snapshots per second; a snapshot every tickRate/sendRate ticks
    lastInputSeq: a[11] || 0, // the last input seq the server accepted for this seat
  };
}

function decodeEvent([seq, kind, a, b, text]) {
  return { seq, kind, a, b, text: text || "" };
}

const ZERO = Object.freeze({
  id: 0, kind: 0, x: 0, y: 0, vx: 0, vy: 0, angle: 0, hp: 0, flags: 0, score: 0, owner: 0, born: 0,
});

// Baselines resolves delta snapshots into full world states. It keeps the
// last BASELINE_KEEP decoded states by tick; a state is a Map from entity id
// to a frozen entity object shared between states when it did not change.
export class Baselines {
  constructor(keep = BASELINE_KEEP) {
    this.keep = keep;
    this.states = new Map(); // tick → Map(id → entity)
  }

  // apply decodes snapshot msg against its baseline, stores the result under
  // msg.tick and returns it. It throws when the baseline is unknown.
  apply(msg) {
    let base = null;
    if (msg.baseTick !== 0) {
      base = this.states.get(msg.baseTick);
      if (!base) throw new Error(`snapshot ${msg.tick}: baseline ${msg.baseTick} unknown`);
    }
    const state = base ? new Map(base) : new Map();
    applyChanges(state, base, msg.changes, msg.tick);
    let id = 0;
    for (const gap of msg.removed) {
      id += gap;
      state.delete(id);
    }
    this.states.set(msg.tick, state);
    this.trim();
    return state;
  }

  trim() {
    while (this.states.size > this.keep) {
      let oldest = Infinity;
      for (const t of this.states.keys()) oldest = Math.min(oldest, t);
      this.states.delete(oldest);
    }
  }

  clear() {
    this.states.clear();
  }
}

// unzigzag turns a zigzag-coded difference back into a signed int32.
function unzigzag(u) {
  return (u >>> 1) ^ -(u & 1);
}

function applyChanges(state, base, flat, tick) {
  let id = 0;
  let i = 0;
  while (i < flat.length) {
    id += flat[i++];
    const mask = flat[i++];
    const b = (base && base.get(id)) || ZERO;
    const e = { ...b, id };
    if (mask & F.Kind) e.kind = flat[i++];
    // Differences are zigzag-coded and wrap in int32, as the server
    // computes them.
    if (mask & F.X) e.x = (b.x + unzigzag(flat[i++])) | 0;
    if (mask & F.Y) e.y = (b.y + unzigzag(flat[i++])) | 0;
    if (mask & F.VX) e.vx = (b.vx + unzigzag(flat[i++])) | 0;
    if (mask & F.VY) e.vy = (b.vy + unzigzag(flat[i++])) | 0;
    if (mask & F.Angle) e.angle = flat[i++];
    if (mask & F.HP) e.hp = flat[i++];
    if (mask & F.Flags) e.flags = flat[i++];
    if (mask & F.Score) e.score = flat[i++];
    if (mask & F.Owner) e.owner = flat[i++];
    if (mask & F.Born) e.born = (tick - flat[i++]) >>> 0; // sent as its age
    if (i > flat.length) throw new Error("snapshot change list is truncated");
    state.set(id, Object.freeze(e));
  }
}

// entityAt returns where entity e is at tick, in 1/8 px, exactly as the
// game has it (game.Entity.At): a projectile's x, y are where it was fired,
// at tick e.born, and it flies at a constant velocity, rounded half up.
export function entityAt(e, tick, tickRate) {
  if (e.kind !== Kind.Projectile) return [e.x, e.y];
  const k = (tick - e.born) | 0;
  const flown = (v) => Math.floor((2 * v * k + tickRate) / (2 * tickRate));
  return [e.x + flown(e.vx), e.y + flown(e.vy)];
}

// Connection is one WebSocket to the game server. It calls onMessage with
// each decoded server message and onClose once with {code, reason, opened}.
export class Connection {
  constructor(url, { onOpen, onMessage, onClose } = {}) {
    this.onOpen = onOpen || (() => {});
    this.onMessage = onMessage || (() => {});
    this.onClose = onClose || (() => {});
    this.opened = false;
    this.closed = false;
    this.bytesIn = 0;
    this.ws = new WebSocket(url, SUBPROTOCOL);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => { this.opened = true; this.onOpen(); };
    this.ws.onmessage = (ev) => this.receive(ev);
    this.ws.onclose = (ev) => this.finish(ev.code, ev.reason);
    // Errors are always followed by a close event; nothing to do here.
    this.ws.onerror = () => {};
  }

  receive(ev) {
    if (this.closed || !(ev.data instanceof ArrayBuffer)) return;
    this.bytesIn += ev.data.byteLength;
    let msg;
    try {
      msg = decodeServer(new Uint8Array(ev.data));
    } catch (err) {
      console.warn("tickroom: dropping undecodable frame:", err.message);
      return;
    }
    this.onMessage(msg);
  }

  finish(code, reason) {
    if (this.closed) return;
    this.closed = true;
    this.onClose({ code, reason: reason || "", opened: this.opened });
  }

  send(bytes) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  // close ends the connection from our side; onClose is not called.
  close(code = 1000, reason = "") {
    this.closed = true;
    try { this.ws.close(code, reason); } catch { /* already closing */ }
  }
}
