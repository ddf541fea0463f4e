// session.js holds one match as this client plays it, whatever the game:
// the connection and its reconnects, the game's module, the fixed-rate
// input loop with prediction, snapshots into the interpolation buffer,
// events, and the scene the game draws.

import {
  Baselines, BaselineError, Connection, ErrorCode, EventKind, Msg,
  encodeChat, encodeInput, encodeLeave, encodePing,
} from "./net.js";
import { Predictor } from "./predict.js";
import { ServerClock, SnapshotBuffer } from "./interp.js";
import { create, generic, loadGame } from "./game.js";

// Pings: a few quick ones to learn the clock, then one every PING_MS.
const PING_MS = 2000;
const FIRST_PINGS = 4;
const FIRST_PING_MS = 300;
const RECONNECT_FOR_MS = 20000;
// Failed attempts in a row after which the client asks why (see refused).
const PROBE_AFTER = 3;
const CHAT_KEEP = 100;
// Game events kept while the game's module loads.
const EARLY_EVENTS = 256;

// Errors after which reconnecting is pointless.
const FATAL = new Set([ErrorCode.RoomClosed, ErrorCode.Internal]);

// Session plays one room, whatever its game: the schema from the welcome
// decodes the snapshots, and the game's module (game.js) draws them and
// makes the inputs. hooks: onStatus(status), onChat(line), onEnd(reason)
// when the session is over for good, onFlash() when the game flashes the
// screen.
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
    this.schema = null;
    this.game = null; // the game module's game, once loaded
    this.env = null; // what the game was made with (game.js)
    this.token = join.token;
    this.tickMs = 1000 / 30;
    this.clock = new ServerClock();
    this.baselines = null;
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
    this.lastScene = null;
    this.early = []; // game events that came before the game's module
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
    const first = this.schema === null;
    this.welcome = w;
    this.schema = w.schema;
    this.token = w.reconnectToken || this.token;
    this.playerId = w.playerId;
    this.tickMs = 1000 / w.tickRate;
    this.anchor = { tick: w.tick, time: w.serverTime };
    this.clock = new ServerClock();
    this.clock.seed(w.serverTime);
    this.baselines = new Baselines(w.schema);
    this.latest = null;
    this.buffer = new SnapshotBuffer(w.schema, this.tickMs, 1000 / w.sendRate,
      (a, b) => !!(this.game && this.game.teleported && this.game.teleported(a, b)));
    // Input numbering goes on after the last input the room accepted for
    // this seat, which may be before the last one sent (lost with the old
    // connection): it refuses a seq not after that one, or more than 1024
    // after it.
    this.seq = w.lastInputSeq;
    // Not raised to w.lastEventSeq: the events that follow the welcome (chat
    // history, or what was missed while away) carry older numbers and must
    // still be shown; onEvent drops only the ones already seen.
    for (const r of w.roster) {
      this.names.set(r.id, r.name);
      this.scores.set(r.id, r.score);
    }
    this.reconnects = 0;
    this.startGame(w);
    this.setStatus("connected");
    if (!first) this.system("Reconnected.");
    this.startLoops();
  }

  // startGame makes the game's game for this welcome, once its module is
  // loaded: until then snapshots are decoded and kept, and no input is sent.
  startGame(w) {
    this.game = null;
    this.predictor = null;
    loadGame(w.game).then((mod) => {
      if (this.ended || this.welcome !== w) return;
      const env = Object.freeze({
        schema: w.schema, world: w.schema.world, playerId: w.playerId,
        tickRate: w.tickRate, sendRate: w.sendRate, tickMs: this.tickMs,
        tickTime: (tick) => this.tickTime(tick),
        names: this.names,
        flash: () => this.hooks.onFlash(),
      });
      this.env = env;
      this.game = create(mod, env);
      if (this.game.predict) this.predictor = new Predictor(this.game.predict, env);
      if (this.latest) this.afterSnapshot(this.latestTick);
      for (const e of this.early.splice(0)) this.gameEvent(e);
    });
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
      // Without its baseline, or with a snapshot that does not fit it,
      // the stream cannot be followed: start over from a full snapshot.
      console.warn(`tickroom: ${err instanceof BaselineError ? "" : "bad snapshot: "}${err.message}`);
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
    this.afterSnapshot(s.tick);
  }

  // afterSnapshot hands the newest state to the game: scores, prediction.
  afterSnapshot(tick) {
    const game = this.game;
    if (!game) return;
    const state = this.latest;
    for (const e of state.values()) {
      if (!this.names.has(e.id)) continue;
      const score = game.score ? game.score(e) : e.score;
      if (typeof score === "number") this.scores.set(e.id, score);
    }
    if (this.predictor) this.predictor.reconcile(state.get(this.playerId), this.ackSeq);
    if (game.snapshot) game.snapshot(state, tick);
  }

  // fallBack replaces a game that failed by the generic renderer.
  fallBack(err) {
    if (this.game && this.game.generic) throw err; // the generic renderer itself: a bug to see
    console.error(`tickroom: the module of game ${this.schema.game} failed, drawing it generically:`, err);
    this.predictor = null;
    this.game = create(generic, this.env);
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
      case EventKind.Chat:
        this.addChat({ kind: "chat", from: e.a, name: name(e.a), text: e.text });
        break;
      case EventKind.System:
        this.system(e.text);
        break;
      default:
        if (this.game) this.gameEvent(e);
        else if (this.early.length < EARLY_EVENTS) this.early.push(e);
    }
  }

  // gameEvent hands a game's event to its module, which may word it.
  gameEvent(e) {
    if (!this.game.event) return;
    const name = (id) => this.names.get(id) || `player ${id}`;
    const text = this.game.event(e, { def: this.schema.event(e.kind), name });
    if (text) this.system(text);
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

  // sendInput sends the game's input for one tick and predicts it.
  sendInput(now) {
    const game = this.game;
    if (this.status !== "connected" || !game || !game.input) return;
    const input = this.schema.clampInput(game.input(this.controls, this.lastScene));
    this.seq = (this.seq + 1) >>> 0;
    this.conn.send(encodeInput(this.schema, this.seq, input));
    if (this.predictor) this.predictor.step(this.seq, input);
    this.lastStepAt = now;
    if (game.sent) game.sent(this.seq, input, this.predictor ? this.predictor.body : null);
  }

  // --- what to draw -----------------------------------------------------

  // scene returns everything the game draws for this moment (game.js), or
  // null before there is a game and a snapshot.
  scene(now = performance.now()) {
    if (!this.welcome || !this.game || !this.buffer || !this.latest) return null;
    const serverNow = this.clock.now(now);
    const renderTime = this.buffer.advance(serverNow, now);
    const entities = this.buffer.sample(renderTime);
    const alpha = Math.min(1, (now - this.lastStepAt) / this.tickMs);
    const elapsed = this.lastFrame ? (now - this.lastFrame) / 1000 : 0;
    this.lastFrame = now;
    const p = this.predictor;
    const newest = this.buffer.newest();
    this.lastScene = {
      entities,
      latest: this.latest,
      latestTick: this.latestTick,
      latestTime: this.latestTime,
      me: this.latest.get(this.playerId),
      predicted: p ? p.position(alpha, elapsed) : null,
      body: p ? p.body : null,
      // The predicted avatar is this many ms after the newest snapshot.
      lead: p ? p.pending.length * this.tickMs : 0,
      renderTime, serverNow, now,
      names: this.names,
      playerId: this.playerId,
      // How far drawing has run past the newest snapshot, in ms.
      lateMs: newest ? Math.max(0, renderTime - newest.time) : 0,
    };
    return this.lastScene;
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
