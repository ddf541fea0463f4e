// app.js starts the client: it switches between the lobby and a match,
// keeps the address bar on the room being played (/room/{id}, shareable),
// runs the frame loop, and exposes a read-only debug hook, window.tickroom.

import { Lobby } from "./lobby.js";
import { Session } from "./session.js";
import { Controls } from "./input.js";
import { Renderer, playerColor } from "./render.js";
import { Hud } from "./hud.js";
import { Flag, Kind } from "./net.js";

const $ = (id) => document.getElementById(id);
const EFFECT_MS = 1000;
// Drawing this far past the newest snapshot means the server went quiet.
const LAG_MS = 200;

class App {
  constructor() {
    this.canvas = $("view");
    this.renderer = new Renderer(this.canvas);
    this.controls = new Controls(this.canvas, () => this.ownScreenPos());
    this.hud = new Hud((text) => this.session && this.session.say(text));
    this.lobby = new Lobby((join, room) => this.play(join, room));
    this.session = null;
    this.effects = [];
    this.frames = 0;
    this.lastFrame = null; // what the last frame drew, for the debug hook
    this.raf = 0;
    $("leave").addEventListener("click", () => this.session && this.session.leave());
    $("share").addEventListener("click", () => this.share());
    window.addEventListener("popstate", () => this.route());
  }

  // route shows the lobby for the current address; /room/{id} (or
  // #room=ID) opens that room's join panel.
  route(message = "") {
    if (this.session) this.session.leave();
    this.lobby.show({ message, roomId: roomFromURL() });
  }

  play(join, room) {
    $("game").hidden = false;
    this.hud.reset(room.name || join.room_id);
    this.controls.release();
    this.effects = [];
    const path = `/room/${encodeURIComponent(join.room_id)}`;
    if (location.pathname !== path) history.pushState({}, "", path);
    this.session = new Session(join, room, this.controls, {
      onStatus: (s) => this.hud.status(s),
      onChat: (line) => this.hud.chat(line, this.session ? this.session.playerId : 0),
      onEffect: (fx) => this.effect(fx),
      onEnd: (reason) => this.ended(reason),
    });
    this.canvas.focus();
    this.loop();
  }

  ended(reason) {
    this.session = null;
    cancelAnimationFrame(this.raf);
    $("game").hidden = true;
    if (location.pathname !== "/") history.pushState({}, "", "/");
    this.lobby.show({ message: reason });
  }

  share() {
    const url = location.href;
    const done = () => this.hud.chat({ kind: "system", text: `Link copied: ${url}` });
    if (navigator.clipboard) navigator.clipboard.writeText(url).then(done, () => this.hud.chat({ kind: "system", text: url }));
    else this.hud.chat({ kind: "system", text: url });
  }

  loop() {
    cancelAnimationFrame(this.raf);
    const tick = () => {
      if (!this.session) return;
      this.draw();
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  draw() {
    const s = this.session;
    const now = performance.now();
    const frame = s.frame(now);
    if (!frame) return;
    this.frames++;
    this.lastFrame = frame;
    this.effects = this.effects.filter((fx) => now - fx.t0 < EFFECT_MS);
    this.renderer.draw({
      map: s.welcome.map, frame, playerId: s.playerId, names: s.names,
      effects: this.effects, now, aim: this.controls.aim(),
    });
    this.hud.ping(s.clock.rtt);
    this.hud.lagging(s.status === "connected" && frame.lateMs > LAG_MS);
    const me = frame.me;
    if (s.status === "connected") {
      this.hud.banner(me && me.flags & Flag.Dead ? "You were killed — respawning…" : "");
    }
    this.hud.scoreboard([...s.names].filter(([id]) => s.scores.has(id)).map(([id, name]) => ({
      id, name, score: s.scores.get(id) || 0, own: id === s.playerId,
    })));
  }

  // effect places a hit or death effect where its victim is drawn now.
  effect(fx) {
    const s = this.session;
    const f = this.lastFrame;
    if (!s || !f) return;
    let at = null;
    if (fx.id === s.playerId) at = f.pos || (f.me && { x: f.me.x / 8, y: f.me.y / 8 });
    else if (f.others.has(fx.id)) at = { x: f.others.get(fx.id).px, y: f.others.get(fx.id).py };
    if (!at) return;
    this.effects.push({
      ...fx, x: at.x, y: at.y, t0: performance.now(),
      color: playerColor(fx.id, fx.id === s.playerId), spin: Math.random() * Math.PI,
    });
    if (fx.kind === "hit" && fx.id === s.playerId) {
      $("game").classList.remove("hurt");
      void $("game").offsetWidth; // restart the animation
      $("game").classList.add("hurt");
    }
  }

  ownScreenPos() {
    const f = this.lastFrame;
    if (!f || !f.pos) return null;
    return this.renderer.toScreen(f.pos.x, f.pos.y);
  }

  // debug is the read-only view window.tickroom.state() returns.
  debug() {
    const s = this.session;
    const base = { screen: s ? "game" : "lobby", frames: this.frames };
    if (!s) return { ...base, status: "lobby", lobbyError: $("lobby-error").textContent };
    const players = [];
    if (s.latest) {
      for (const e of s.latest.values()) {
        if (e.kind !== Kind.Player) continue;
        players.push({
          id: e.id, name: s.names.get(e.id) || "", x: e.x / 8, y: e.y / 8, hp: e.hp,
          score: e.score, dead: !!(e.flags & Flag.Dead), reconnecting: !!(e.flags & Flag.Reconnecting),
          own: e.id === s.playerId,
        });
      }
    }
    const f = this.lastFrame;
    return {
      ...base,
      status: s.status,
      roomId: s.roomId,
      playerId: s.playerId,
      tickRate: s.welcome ? s.welcome.tickRate : 0,
      tick: s.latestTick,
      ackSeq: s.ackSeq,
      inputSeq: s.seq,
      pending: s.predictor ? s.predictor.pending.length : 0,
      corrections: s.predictor ? s.predictor.corrections : 0,
      snapshots: s.snapshots,
      skippedTicks: s.skippedTicks,
      lateMs: f ? f.lateMs : 0,
      rtt: s.clock.rtt,
      predicted: f && f.pos ? { x: f.pos.x, y: f.pos.y } : null,
      players,
      shots: f ? f.ownShots.length : 0,
      chat: s.chat.map((l) => ({ ...l })),
      reconnects: s.reconnects,
    };
  }
}

function roomFromURL() {
  const m = location.pathname.match(/^\/room\/([^/]+)\/?$/);
  if (m) return decodeURIComponent(m[1]);
  const h = new URLSearchParams(location.hash.slice(1)).get("room");
  return h || null;
}

const app = new App();
// window.tickroom is for tests and the curious: it reads, never changes.
window.tickroom = Object.freeze({
  state: () => app.debug(),
  // toScreen maps a world point to CSS px on the canvas.
  toScreen: (x, y) => app.renderer.toScreen(x, y),
});
app.route();
