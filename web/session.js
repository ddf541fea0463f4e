// session.js holds one match as this client plays it: the connection and
// its reconnects, the fixed-rate input loop with prediction, snapshots into
// the interpolation buffer, events, and the state the renderer draws.

import {
  Baselines, Connection, ErrorCode, EventKind, Flag, Kind, Msg,
  encodeChat, encodeInput, encodeLeave, encodePing,
} from "./net.js";
import { Predictor } from "./predict.js";
import { ServerClock, SnapshotBuffer, flyingAt } from "./interp.js";

// Rules the client mirrors to show its own shots at once (game/arena.go).
export const SHOT_SPEED = 900;
export const SHOT_OFFSET = 14 + 6;
export const FIRST_SHOT_ID = 1 << 20;

// Pings: a few quick ones to learn the clock, then one every PING_MS.
const PING_MS = 2000;
const FIRST_PINGS = 4;
const FIRST_PING_MS = 300;
const RECONNECT_FOR_MS = 20000;
// Failed attempts in a row after which the client asks why (see refused).
const PROBE_AFTER = 3;
const CHAT_KEEP = 100;
// Longest a predicted shot waits for the server's.
const GHOST_TTL_MS = 1000;

// Errors after which reconnecting is pointless.
const FATAL = new Set([ErrorCode.RoomClosed, ErrorCode.Internal]);

// Session plays one room. hooks: onStatus(status), onChat(line),
// onEnd(reason) when the session is over for good, onEffect(effect).
export class Session {
  constructor(join, room, controls, hooks) {
    // Static after construction.
    this.playerId = join.player_id;
    this.roomId = join.room_id;
    this.roomName = room.name || join.room_id;
    this.wsUrl = join.ws_url || wsURL(`/ws?token=${encodeURIComponent(join.token)}`);
    this.controls = controls;
    this.hooks = hooks;

    this.conn = null;
    this.status = "connecting";
    this.welcome = null;
    this.token = join.token;
    this.tickMs = 1000 / 30;
    this.clock = new ServerClock();
    this.baselines = new Baselines();
    this.buffer = null;
    this.predictor = null;
    this.anchor = { tick: 0, time: 0 }; // a tick and its server time
    this.latest = null; // newest decoded state: Map(id → entity)
    this.latestTick = 0;
    this.latestTime = 0;
    this.ackSeq = 0;
    this.seq = 0;
    this.nextInputAt = 0;
    this.lastStepAt = 0;
    this.fireReady = 0; // input count at which a predicted shot may fire
    this.ghosts = []; // own shots predicted, not yet seen from the server
    this.seenShots = new Set();
    this.names = new Map();
    this.scores = new Map();
    this.lastEventSeq = 0;
    this.chat = [];
    this.snapshots = 0;
    this.skippedTicks = 0; // ticks the server sent no snapshot for (coalesced)
    this.reconnects = 0;
    this.reconnectUntil = 0;
    this.failures = 0; // reconnect attempts in a row that never opened
    this.ended = false;
    this.timers = [];
    this.connect(this.wsUrl);
  }

  // --- connection -------------------------------------------------------

  connect(url) {
    this.conn = new Connection(url, {
      onMessage: (m) => this.receive(m),
      onClose: (c) => this.closed(c),
    });
    this.lastError = null;
  }

  setStatus(s) {
    this.status = s;
    this.hooks.onStatus(s);
  }

  closed({ code, reason, opened }) {
    if (this.ended) return;
    this.stopTimers();
    const err = this.lastError;
    if (err && FATAL.has(err.code)) return this.end(err.message || "The room has closed.");
    // 1000: the room ended; 1008: the server will not have this connection
    // back (malformed input, too slow, keepalive timeout). Both are final.
    if (code === 1000 || code === 1008) {
      return this.end((err && err.message) || reason || (code === 1000 ? "The room has ended." : "The server closed the connection."));
    }
    // Accepted and closed before the welcome: the room refused the seat.
    if (opened && this.welcome === null) {
      return this.end((err && err.message) || reason || "The room refused the connection.");
    }
    if (!this.token) return this.end(reason || "The connection was closed.");
    if (this.status !== "reconnecting") {
      this.reconnectUntil = performance.now() + RECONNECT_FOR_MS;
      this.lostBecause = (err && err.message) || reason;
      this.failures = 0;
      this.setStatus("reconnecting");
    }
    this.failures = opened ? 0 : this.failures + 1;
    this.retry();
  }

  // retry opens a new connection with the reconnect token after a pause,
  // until the server refuses the token or time is up.
  async retry() {
    const url = this.reconnectURL();
    if (this.failures >= PROBE_AFTER) {
      const refusal = await refused(url);
      if (this.ended) return;
      if (refusal) return this.end(`Could not rejoin the room: ${refusal}`);
    }
    if (performance.now() > this.reconnectUntil) {
      const why = this.lostBecause ? ` (${this.lostBecause})` : "";
      return this.end(`Lost the connection to the server${why}.`);
    }
    const pause = Math.min(250 * 2 ** Math.min(this.reconnects, 3), 2000);
    this.reconnects++;
    this.later(() => {
      if (this.ended) return;
      this.welcome = null;
      this.connect(url);
    }, pause);
  }

  // reconnectURL is the WebSocket URL that reclaims the seat: the newest
  // reconnect token, and the last event seen so the server resends the
  // ones missed in between.
  reconnectURL() {
    const u = new URL(this.wsUrl, location.href);
    u.search = `?token=${encodeURIComponent(this.token)}&last_event=${this.lastEventSeq}`;
    return u.href;
  }

  // leave tells the server the player is gone and ends the session.
  leave() {
    if (this.conn) this.conn.send(encodeLeave());
    this.end("");
  }

  end(reason) {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    if (this.conn) this.conn.close(1000, "leaving");
    this.setStatus("closed");
    this.hooks.onEnd(reason);
  }

  later(fn, ms) {
    this.timers.push(setTimeout(fn, ms));
  }

  stopTimers() {
    for (const t of this.timers) { clearTimeout(t); clearInterval(t); }
    this.timers = [];
  }

  // --- messages ---------------------------------------------------------

  receive(m) {
    switch (m.type) {
      case Msg.Welcome: return this.onWelcome(m);
      case Msg.Snapshot: return this.onSnapshot(m);
      case Msg.Pong: return this.clock.pong(m.clientTime, m.serverTime);
      case Msg.Events: return m.events.forEach((e) => this.onEvent(e));
      case Msg.Error: return this.onError(m);
    }
  }

  onWelcome(w) {
    const first = this.welcome === null && this.predictor === null;
    this.welcome = w;
    this.token = w.reconnectToken || this.token;
    this.playerId = w.playerId;
    this.tickMs = 1000 / w.tickRate;
    this.anchor = { tick: w.tick, time: w.serverTime };
    this.clock = new ServerClock();
    this.clock.seed(w.serverTime);
    this.baselines.clear();
    this.buffer = new SnapshotBuffer(this.tickMs, 1000 / (w.sendRate || w.tickRate));
    this.predictor = new Predictor(w.tickRate, w.map.walls);
    this.ghosts = [];
    this.fireReady = 0;
    // Input numbering goes on after the last input the server accepted
    // for this seat, which may be before the last one sent (lost with the
    // old connection); the server refuses a seq that is not after it.
    this.seq = w.lastInputSeq;
    // Not raised to w.lastEventSeq: the events that follow the welcome (chat
    // history, or what was missed while away) carry older numbers and must
    // still be shown; onEvent drops only the ones already seen.
    for (const r of w.roster) {
      this.names.set(r.id, r.name);
      this.scores.set(r.id, r.score);
    }
    this.reconnects = 0;
    this.setStatus("connected");
    if (!first) this.system("Reconnected.");
    this.startLoops();
  }

  onError(m) {
    this.lastError = m;
    if (m.code !== ErrorCode.RateLimited) console.warn(`tickroom: server error ${m.code}: ${m.message}`);
  }

  onSnapshot(s) {
    if (!this.welcome) return;
    let state;
    try {
      state = this.baselines.apply(s);
    } catch (err) {
      // Without its baseline the stream cannot be followed: start over.
      console.warn("tickroom:", err.message);
      this.conn.close(4000, "lost baseline");
      this.closed({ code: 4000, reason: "lost baseline", opened: true });
      return;
    }
    const time = this.tickTime(s.tick);
    if (this.latest && s.tick > this.latestTick + 1) this.skippedTicks += s.tick - this.latestTick - 1;
    this.clock.notice(time);
    this.latest = state;
    this.latestTick = s.tick;
    this.latestTime = time;
    this.ackSeq = s.ackSeq;
    this.snapshots++;
    this.buffer.push(time, s.tick, state);
    for (const e of state.values()) {
      if (e.kind === Kind.Player && e.score !== undefined) this.scores.set(e.id, e.score);
    }
    this.reconcile(state.get(this.playerId), s.ackSeq);
    this.matchGhosts(state);
  }

  reconcile(me, ackSeq) {
    if (!me || me.flags & Flag.Dead) {
      this.predictor.reset();
      return;
    }
    this.predictor.reconcile(me, ackSeq);
  }

  // tickTime returns the room-clock time of a tick in ms.
  tickTime(tick) {
    return this.anchor.time + (tick - this.anchor.tick) * this.tickMs;
  }

  // --- events and chat --------------------------------------------------

  onEvent(e) {
    if (e.seq <= this.lastEventSeq) return; // already seen before a reconnect
    this.lastEventSeq = e.seq;
    const name = (id) => this.names.get(id) || `player ${id}`;
    switch (e.kind) {
      case EventKind.Join:
        this.names.set(e.a, e.text);
        if (!this.scores.has(e.a)) this.scores.set(e.a, 0);
        if (e.a !== this.playerId) this.system(`${e.text} joined.`);
        break;
      case EventKind.Leave:
        this.system(`${name(e.a)} left.`);
        this.scores.delete(e.a);
        break;
      case EventKind.Kill:
        this.system(`${name(e.a)} killed ${name(e.b)}.`);
        this.hooks.onEffect({ kind: "death", id: e.b, by: e.a });
        break;
      case EventKind.Hit:
        this.hooks.onEffect({ kind: "hit", id: e.b, by: e.a });
        break;
      case EventKind.Chat:
        this.addChat({ kind: "chat", from: e.a, name: name(e.a), text: e.text });
        break;
      case EventKind.System:
        this.system(e.text);
        break;
    }
  }

  system(text) {
    this.addChat({ kind: "system", text });
  }

  addChat(line) {
    this.chat.push(line);
    if (this.chat.length > CHAT_KEEP) this.chat.shift();
    this.hooks.onChat(line);
  }

  say(text) {
    text = text.trim();
    if (!text || !this.conn) return;
    this.conn.send(encodeChat([...text].slice(0, 200).join("")));
  }

  // --- input loop -------------------------------------------------------

  startLoops() {
    this.stopTimers();
    this.nextInputAt = performance.now();
    for (let i = 0; i < FIRST_PINGS; i++) this.later(() => this.ping(), i * FIRST_PING_MS);
    this.later(() => this.timers.push(setInterval(() => this.ping(), PING_MS)), FIRST_PINGS * FIRST_PING_MS);
    this.pump();
  }

  ping() {
    if (this.conn) this.conn.send(encodePing(performance.now()));
  }

  // pump sends one input per tick interval. After a stall (a background
  // tab) it skips the missed ticks instead of sending a burst.
  pump() {
    if (this.ended) return;
    const now = performance.now();
    if (now - this.nextInputAt > this.tickMs * 4) this.nextInputAt = now;
    while (now >= this.nextInputAt) {
      this.sendInput(now);
      this.nextInputAt += this.tickMs;
    }
    this.timers = this.timers.filter((t) => t !== this.pumpTimer);
    this.pumpTimer = setTimeout(() => this.pump(), Math.max(1, this.nextInputAt - performance.now()));
    this.timers.push(this.pumpTimer);
  }

  sendInput(now) {
    if (this.status !== "connected") return;
    const input = {
      seq: ++this.seq,
      move: this.controls.move(),
      aim: this.controls.aim(),
      buttons: this.controls.buttons(),
    };
    this.conn.send(encodeInput(input.seq, input.move, input.aim, input.buttons));
    this.predictor.step(input);
    this.lastStepAt = now;
    if (input.buttons & 1) this.predictShot(input);
  }

  // predictShot shows an own shot at once, as the arena would fire it.
  predictShot(input) {
    const b = this.predictor.body;
    if (!b || this.seq < this.fireReady) return;
    this.fireReady = this.seq + Math.ceil(this.welcome.tickRate / 4);
    const turn = (input.aim / 65536) * 2 * Math.PI;
    const c = Math.cos(turn), s = Math.sin(turn);
    this.ghosts.push({
      x: b.x + c * SHOT_OFFSET, y: b.y + s * SHOT_OFFSET,
      vx: c * SHOT_SPEED, vy: s * SHOT_SPEED,
      born: performance.now(),
    });
  }

  // matchGhosts retires a predicted shot for each new own shot the server
  // reports, oldest first.
  matchGhosts(state) {
    for (const e of state.values()) {
      if (e.kind !== Kind.Projectile || this.seenShots.has(e.id)) continue;
      this.seenShots.add(e.id);
      if (e.owner === this.playerId) this.ghosts.shift();
    }
    if (this.seenShots.size > 512) {
      this.seenShots = new Set([...this.seenShots].filter((id) => state.has(id)));
    }
    const now = performance.now();
    this.ghosts = this.ghosts.filter((g) => now - g.born < GHOST_TTL_MS);
  }

  // --- what to draw -----------------------------------------------------

  // frame returns everything the renderer needs for this moment.
  frame(now = performance.now()) {
    if (!this.welcome || !this.buffer) return null;
    const serverNow = this.clock.now(now);
    const renderTime = this.buffer.advance(serverNow, now);
    const others = this.buffer.sample(renderTime);
    const alpha = Math.min(1, (now - this.lastStepAt) / this.tickMs);
    const elapsed = this.lastFrame ? (now - this.lastFrame) / 1000 : 0;
    this.lastFrame = now;
    const me = this.latest && this.latest.get(this.playerId);
    const pos = this.predictor.position(alpha, elapsed);
    const newest = this.buffer.newest();
    return {
      me, pos, others, serverNow, renderTime,
      ownShots: this.ownShots(now),
      // How far drawing has run past the newest snapshot, in ms.
      lateMs: newest ? Math.max(0, renderTime - newest.time) : 0,
    };
  }

  // ownShots places own projectiles in the present, level with the
  // predicted avatar (which is ahead of the newest snapshot by the inputs
  // not yet applied) rather than 100 ms in the past.
  ownShots(now) {
    const out = [];
    const walls = this.welcome.map.walls;
    // The avatar is drawn this many ms after the newest snapshot.
    const lead = Math.min(300, this.predictor.pending.length * this.tickMs);
    const newest = { time: this.latestTime, tick: this.latestTick };
    const add = (x, y, ghost) => {
      if (!walls.some((w) => x > w.x && x < w.x + w.w && y > w.y && y < w.y + w.h)) out.push({ x, y, ghost });
    };
    if (this.latest) {
      for (const e of this.latest.values()) {
        if (e.kind !== Kind.Projectile || e.owner !== this.playerId) continue;
        const p = flyingAt(e, newest, this.tickMs, this.latestTime + lead);
        add(p.px, p.py, false);
      }
    }
    for (const g of this.ghosts) {
      const t = (now - g.born) / 1000;
      add(g.x + g.vx * t, g.y + g.vy * t, true);
    }
    return out;
  }
}

// wsURL turns a path into a WebSocket URL on this page's host.
export function wsURL(path) {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

// refused asks the server, without upgrading, whether it would refuse the
// reconnect token, and returns its reason, or "" when it would not (or
// cannot be asked). A browser cannot read why an upgrade failed, so this
// plain request is the only way to learn it; it is only made after several
// failed attempts, because the server may give up a seat whose token comes
// without the WebSocket subprotocol.
async function refused(wsUrl) {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  try {
    const res = await fetch(u.href, { headers: { Accept: "application/problem+json" } });
    if (![401, 403, 404, 410].includes(res.status)) return "";
    const p = await res.json().catch(() => ({}));
    return p.detail || p.title || `HTTP ${res.status}`;
  } catch {
    return "";
  }
}
