// net.js holds the tickroom.v2 wire protocol for any game: message encoding
// and decoding, the game's schema as the welcome carries it, delta
// snapshots resolved against their baselines by the schema's fields, and
// the WebSocket connection that carries them. It knows no game: entities
// leave it as objects with their id, their kind's name and their fields by
// name, in wire units (docs/protocol.md; netcode/schema.go, decode.go,
// snapshot.go and baseline.go are the Go side).

import { decode, encode } from "./vendor/msgpack/index.mjs";

export const SUBPROTOCOL = "tickroom.v2";

// Message types, the first element of every frame.
export const Msg = Object.freeze({
  Input: 1, Ping: 2, Chat: 3, Leave: 4,
  Welcome: 10, Snapshot: 11, Pong: 12, Events: 13, Error: 14,
});

// The room's own event kinds; a game's start at FirstGame.
export const EventKind = Object.freeze({
  Join: 1, Leave: 2, Chat: 4, System: 5, FirstGame: 16,
});

export const ErrorCode = Object.freeze({
  BadMessage: 1, RateLimited: 2, RoomClosed: 3, TooSlow: 4, Internal: 5, Shutdown: 6,
});

// How many decoded snapshot states are kept as possible baselines.
export const BASELINE_KEEP = 64;

// The schema's limits (game.MaxFields and friends) and the decoder's.
const MAX_FIELDS = 14;
const MAX_INPUT_FIELDS = 8;
const MAX_KINDS = 32;
const MAX_EVENT_KINDS = 64;
const MAX_ENTITIES = 4096;
const MAX_U32 = 0xffffffff;

// Field types and the values they hold.
const TYPES = Object.freeze({
  i8: [-0x80, 0x7f], u8: [0, 0xff],
  i16: [-0x8000, 0x7fff], u16: [0, 0xffff],
  i32: [-0x80000000, 0x7fffffff], u32: [0, MAX_U32],
});
const DELTAS = new Set(["value", "diff", "age"]);

// Entity properties the client sets itself; a field of the same name is
// found under "$" + its name instead (see Field.key).
const RESERVED = new Set(["id", "kind"]);

// ProtocolError is a frame that does not follow the protocol.
export class ProtocolError extends Error {}

// BaselineError is a delta against a baseline the client no longer has:
// the stream cannot be followed, and only a reconnect (which starts again
// from a full snapshot) recovers.
export class BaselineError extends ProtocolError {}

function fail(msg) {
  throw new ProtocolError(msg);
}

const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);
const isInt = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;

function str(v, what) {
  if (typeof v !== "string") fail(`${what}: want a string, got ${typeof v}`);
  return v;
}

function uint(v, what, hi = MAX_U32) {
  if (!isInt(v, 0, hi)) fail(`${what}: ${v} is not an integer in 0..${hi}`);
  return v;
}

function arr(v, what, max = Infinity) {
  if (!Array.isArray(v)) fail(`${what}: want an array`);
  if (v.length > max) fail(`${what}: ${v.length} elements, more than ${max}`);
  return v;
}

function num(v, what) {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${what}: want a finite number`);
  return v;
}

// Field is one integer field of an entity kind, as the schema declares it.
export class Field {
  constructor(raw, index, kind) {
    if (!isMap(raw)) fail(`kind ${kind}: field ${index} is not a map`);
    this.name = str(raw.name, "field name");
    this.index = index;
    this.type = str(raw.type, `field ${this.name} type`);
    if (!TYPES[this.type]) fail(`kind ${kind}: field ${this.name}: unknown type "${this.type}"`);
    [this.lo, this.hi] = TYPES[this.type];
    this.delta = str(raw.delta, `field ${this.name} delta`);
    if (!DELTAS.has(this.delta)) fail(`kind ${kind}: field ${this.name}: unknown delta "${this.delta}"`);
    if (this.delta === "age" && this.type !== "u32") fail(`kind ${kind}: field ${this.name}: an age field is u32`);
    // The value divided by scale is in unit; 0 and absent mean 1.
    this.scale = raw.scale === undefined ? 1 : num(raw.scale, `field ${this.name} scale`) || 1;
    this.unit = raw.unit === undefined ? "" : str(raw.unit, `field ${this.name} unit`);
    this.interp = raw.interp === true;
    this.private = raw.private === true;
    // key is the entity property that holds the field.
    this.key = RESERVED.has(this.name) ? `$${this.name}` : this.name;
  }

  // period is how many wire units make a full turn, for an angle (unit
  // "turn" or "deg"), else 0: such a field wraps round, and is
  // interpolated the short way.
  get period() {
    if (this.unit === "turn") return this.scale;
    if (this.unit === "deg") return 360 * this.scale;
    return 0;
  }

  // read checks v, a value for this field, against its type.
  read(v, id) {
    if (!Number.isInteger(v) || v < this.lo || v > this.hi) {
      fail(`entity ${id}: ${this.name}: ${v} outside ${this.type}`);
    }
    return v;
  }
}

// Kind is one kind of entity.
export class Kind {
  constructor(raw, index) {
    if (!isMap(raw)) fail(`kind ${index} is not a map`);
    this.id = uint(raw.id, "kind id", 255);
    this.name = str(raw.name, "kind name");
    if (this.id === 0 || this.name === "") fail(`kind ${index}: id 0 or no name`);
    this.fields = arr(raw.fields ?? [], `kind ${this.name} fields`, MAX_FIELDS).map((f, i) => new Field(f, i, this.name));
    this.byName = new Map();
    for (const f of this.fields) {
      if (this.byName.has(f.name) || f.name === "") fail(`kind ${this.name}: field "${f.name}" empty or repeated`);
      this.byName.set(f.name, f);
    }
    // allBits is the mask of the kind bit and every field's bit.
    this.allBits = (2 << this.fields.length) - 1;
    const zero = { id: 0, kind: this.name };
    for (const f of this.fields) zero[f.key] = 0;
    this.zero = Object.freeze(zero);
  }

  // field returns the field named name, or undefined.
  field(name) {
    return this.byName.get(name);
  }
}

// Schema is what a game declares about its state, from the welcome: entity
// kinds, input fields, event kinds and the static world.
export class Schema {
  constructor(raw) {
    if (!isMap(raw)) fail("schema: want a map");
    this.game = str(raw.game, "schema game");
    const kinds = arr(raw.kinds ?? [], "schema kinds", MAX_KINDS);
    if (!kinds.length) fail("schema: no entity kinds");
    this.kinds = kinds.map((k, i) => new Kind(k, i));
    this.byId = new Map();
    this.byName = new Map();
    for (const k of this.kinds) {
      if (this.byId.has(k.id) || this.byName.has(k.name)) fail(`schema: kind ${k.name} (${k.id}) repeated`);
      this.byId.set(k.id, k);
      this.byName.set(k.name, k);
    }
    this.input = arr(raw.input ?? [], "schema input", MAX_INPUT_FIELDS).map((f, i) => {
      if (!isMap(f)) fail(`input field ${i} is not a map`);
      const field = {
        name: str(f.name, "input name"), index: i,
        min: f.min, max: f.max,
        unit: f.unit === undefined ? "" : str(f.unit, "input unit"),
        buttons: f.buttons === true,
      };
      if (!isInt(field.min, -0x80000000, 0x7fffffff) || !isInt(field.max, field.min, 0x7fffffff)) {
        fail(`input field ${field.name}: range ${f.min}..${f.max}`);
      }
      return Object.freeze(field);
    });
    this.events = arr(raw.events ?? [], "schema events", MAX_EVENT_KINDS).map((e) => {
      if (!isMap(e)) fail("event kind is not a map");
      return Object.freeze({
        kind: uint(e.kind, "event kind", 255), name: str(e.name, "event name"),
        a: e.a ?? "", b: e.b ?? "", text: e.text ?? "",
      });
    });
    this.eventsByKind = new Map(this.events.map((e) => [e.kind, e]));
    if (raw.world !== undefined && raw.world !== null && !isMap(raw.world)) fail("schema world: want a map");
    this.world = raw.world ?? {};
  }

  // kind returns the kind with this name (a string) or id (a number).
  kind(nameOrId) {
    return typeof nameOrId === "number" ? this.byId.get(nameOrId) : this.byName.get(nameOrId);
  }

  // event returns the game's event kind k: {kind, name, a, b, text}.
  event(k) {
    return this.eventsByKind.get(k);
  }

  // clampInput returns the input to send from values, an object by input
  // field name: every field of the schema, a whole number within its
  // range (absent or non-numeric values are 0, then clamped), so the
  // server never refuses it.
  clampInput(values = {}) {
    const out = {};
    for (const f of this.input) {
      const v = Math.round(Number(values[f.name]));
      out[f.name] = Math.min(f.max, Math.max(f.min, Number.isFinite(v) ? v : 0));
    }
    return out;
  }
}

// encodeInput returns the frame for one tick's input: seq and the schema's
// input fields in order, from input (an object by field name, as
// Schema.clampInput returns).
export function encodeInput(schema, seq, input) {
  const a = [Msg.Input, seq >>> 0];
  for (const f of schema.input) a.push(input[f.name] | 0);
  return encode(a);
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

const decodeOptions = { useBigInt64: false };

// decodeServer turns one binary frame into a message object with a
// `type`. It throws a ProtocolError on frames that do not follow the
// protocol; a snapshot's changes stay wire values until Baselines.apply
// reads them with the schema.
export function decodeServer(bytes) {
  let a;
  try {
    a = decode(bytes, decodeOptions);
  } catch (err) {
    fail(`not MessagePack: ${err.message}`);
  }
  if (!Array.isArray(a) || a.length === 0) fail("frame is not a message array");
  const arity = (n, what) => {
    if (a.length !== n) fail(`${what}: ${a.length} elements, want ${n}`);
  };
  switch (a[0]) {
    case Msg.Welcome:
      arity(14, "welcome");
      return decodeWelcome(a);
    case Msg.Snapshot: {
      arity(6, "snapshot");
      const tick = uint(a[1], "snapshot tick");
      const age = uint(a[2], "snapshot baseAge");
      if (age !== 0 && age >= tick) fail(`snapshot ${tick}: baseAge ${age} not after tick 0`);
      return {
        type: Msg.Snapshot, tick, baseTick: age ? tick - age : 0,
        ackSeq: uint(a[3], "snapshot ackSeq"),
        changes: arr(a[4], "snapshot changes"), removed: arr(a[5], "snapshot removed", MAX_ENTITIES),
      };
    }
    case Msg.Pong:
      arity(4, "pong");
      return { type: Msg.Pong, clientTime: num(a[1], "pong clientTime"), tick: uint(a[2], "pong tick"), serverTime: num(a[3], "pong serverTime") };
    case Msg.Events:
      arity(2, "events");
      return { type: Msg.Events, events: arr(a[1], "events", 256).map(decodeEvent) };
    case Msg.Error:
      arity(3, "error");
      return { type: Msg.Error, code: uint(a[1], "error code", 0xffff), message: str(a[2], "error message") };
    default:
      return { type: a[0] }; // a later server's message: ignored
  }
}

function decodeWelcome(a) {
  const tickRate = uint(a[3], "welcome tickRate", 255);
  const sendRate = uint(a[4], "welcome sendRate", tickRate);
  if (tickRate === 0 || sendRate === 0 || tickRate % sendRate !== 0) {
    fail(`welcome: sendRate ${sendRate} does not divide tickRate ${tickRate}`);
  }
  return {
    type: Msg.Welcome,
    playerId: uint(a[1], "welcome playerID"),
    roomId: str(a[2], "welcome roomID"),
    tickRate,
    sendRate, // snapshots per second: one every tickRate/sendRate ticks
    tick: uint(a[5], "welcome tick"),
    serverTime: num(a[6], "welcome serverTime"),
    reconnectToken: str(a[7], "welcome reconnectToken"),
    lastEventSeq: uint(a[8], "welcome lastEventSeq"),
    lastInputSeq: uint(a[9], "welcome lastInputSeq"), // the last input seq the room accepted for this seat
    roster: arr(a[10], "welcome roster").map((r) => {
      arr(r, "roster entry");
      return { id: uint(r[0], "roster id"), name: str(r[1], "roster name"), score: r[2] | 0 };
    }),
    game: str(a[11], "welcome game"),
    mode: str(a[12], "welcome mode"),
    schema: new Schema(a[13]),
  };
}

function decodeEvent(e) {
  if (!Array.isArray(e) || e.length !== 5) fail("event: want [seq, kind, a, b, text]");
  const [seq, kind, a, b, text] = e;
  return {
    seq: uint(seq, "event seq"), kind: uint(kind, "event kind", 255),
    a: uint(a, "event a"), b: uint(b, "event b"), text: str(text, "event text"),
  };
}

// unzigzag turns a zigzag-coded difference back into a signed int32.
function unzigzag(u) {
  return (u >>> 1) ^ -(u & 1);
}

// Baselines resolves delta snapshots into full world states by the
// welcome's schema. It keeps the last BASELINE_KEEP decoded states by
// tick; a state is a Map from entity id to a frozen entity object ({id,
// kind: the kind's name, ...fields by name}), shared between states while
// it does not change.
export class Baselines {
  constructor(schema, keep = BASELINE_KEEP) {
    this.schema = schema;
    this.keep = keep;
    this.states = new Map(); // tick → Map(id → entity), oldest first
  }

  // apply decodes snapshot msg against its baseline, stores the result
  // under msg.tick and returns it. It throws a BaselineError when the
  // baseline is not kept, and a ProtocolError when msg does not fit it.
  apply(msg) {
    let base = null;
    if (msg.baseTick !== 0) {
      if (msg.baseTick >= msg.tick) fail(`snapshot ${msg.tick}: baseTick ${msg.baseTick} not before it`);
      base = this.states.get(msg.baseTick);
      if (!base) throw new BaselineError(`snapshot ${msg.tick}: baseline ${msg.baseTick} unknown`);
    }
    const state = base ? new Map(base) : new Map();
    const changed = this.applyChanges(state, base, msg.changes, msg.tick);
    let id = 0;
    for (let i = 0; i < msg.removed.length; i++) {
      const gap = uint(msg.removed[i], "removed id gap");
      if (gap === 0 && i > 0) fail(`snapshot ${msg.tick}: removed id gap 0 after ${id}`);
      id += gap;
      if (!base || !base.has(id) || changed.has(id)) {
        fail(`snapshot ${msg.tick}: removed id ${id} not in the baseline, or also changed`);
      }
      state.delete(id);
    }
    if (state.size > MAX_ENTITIES) fail(`snapshot ${msg.tick}: ${state.size} entities, more than ${MAX_ENTITIES}`);
    // Kept in the order stored, so the oldest stored goes first.
    this.states.delete(msg.tick);
    this.states.set(msg.tick, state);
    while (this.states.size > this.keep) this.states.delete(this.states.keys().next().value);
    return state;
  }

  // applyChanges applies the flat changes [idGap, mask, kind?, values...]
  // to state and returns the ids it changed.
  applyChanges(state, base, flat, tick) {
    const changed = new Set();
    let id = 0;
    let i = 0;
    while (i < flat.length) {
      if (i + 2 > flat.length) fail(`snapshot ${tick}: change list cut short`);
      const gap = uint(flat[i++], "changes id gap");
      if (gap === 0 && changed.size) fail(`snapshot ${tick}: id gap 0 after id ${id}`);
      id += gap;
      if (id > MAX_U32) fail(`snapshot ${tick}: id ${id} out of range`);
      const mask = uint(flat[i++], "mask", (2 << MAX_FIELDS) - 1);
      let from = base && base.get(id);
      let kind;
      if (mask & 1) {
        // New, or now another kind: its fields start from zero.
        const k = uint(flat[i++], "kind", 255);
        kind = this.schema.kind(k);
        if (!kind) fail(`snapshot ${tick}: entity ${id}: kind ${k} not in the schema`);
        from = kind.zero;
      } else {
        if (!from) fail(`snapshot ${tick}: entity ${id} changed but not in the baseline and no kind`);
        kind = this.schema.kind(from.kind);
      }
      if (mask & ~kind.allBits) fail(`snapshot ${tick}: entity ${id} (${kind.name}): mask 0x${mask.toString(16)} names fields it does not have`);
      const e = { ...from, id };
      for (let m = mask >>> 1, f = 0; m !== 0; m >>>= 1, f++) {
        if (!(m & 1)) continue;
        if (i >= flat.length) fail(`snapshot ${tick}: entity ${id}: values cut short`);
        const field = kind.fields[f];
        const w = flat[i++];
        switch (field.delta) {
          case "diff": {
            // A zigzag-coded difference, added with 32-bit wrap as the
            // server subtracted it, then read as the field's type.
            uint(w, `entity ${id}: ${field.name} difference`);
            let v = (from[field.key] + unzigzag(w)) | 0;
            if (field.type === "u32") v >>>= 0;
            e[field.key] = field.read(v, id);
            break;
          }
          case "age":
            e[field.key] = (tick - uint(w, `entity ${id}: ${field.name} age`)) >>> 0;
            break;
          default:
            e[field.key] = field.read(w, id);
        }
      }
      state.set(id, Object.freeze(e));
      changed.add(id);
      if (changed.size > MAX_ENTITIES) fail(`snapshot ${tick}: more than ${MAX_ENTITIES} changes`);
    }
    return changed;
  }

  clear() {
    this.states.clear();
  }
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
