// app.js starts the client: it switches between the lobby and a match,
// keeps the address bar on the room being played (/room/{id}, shareable),
// runs the frame loop that has the game's module draw, and exposes a
// read-only debug hook, window.tickroom.

import { Lobby } from "./lobby.js";
import { Session } from "./session.js";
import { Controls } from "./input.js";
import { View } from "./draw.js";
import { Hud } from "./hud.js";

const $ = (id) => document.getElementById(id);
// Drawing this far past the newest snapshot means the server went quiet.
const LAG_MS = 200;

class App {
  constructor() {
    this.canvas = $("view");
    this.view = new View(this.canvas);
    this.controls = new Controls(this.canvas);
    this.hud = new Hud((text) => this.session && this.session.say(text));
    this.lobby = new Lobby((join, room) => this.play(join, room));
    this.session = null;
    this.frames = 0;
    this.lastScene = null; // what the last frame drew, for the debug hook
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
    this.controls.enabled = true;
    this.lastScene = null;
    const path = `/room/${encodeURIComponent(join.room_id)}`;
    if (location.pathname !== path) history.pushState({}, "", path);
    this.session = new Session(join, room, this.controls, {
      onStatus: (s) => this.hud.status(s),
      onChat: (line) => this.hud.chat(line, this.session ? this.session.playerId : 0),
      onFlash: () => this.flash(),
      onEnd: (reason) => this.ended(reason),
    });
    this.canvas.focus();
    this.loop();
  }

  ended(reason) {
    this.session = null;
    this.controls.enabled = false;
    this.controls.release();
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
      this.raf = requestAnimationFrame(tick);
      this.draw();
    };
    this.raf = requestAnimationFrame(tick);
  }

  draw() {
    const s = this.session;
    const scene = s.scene(performance.now());
    if (!scene) return;
    this.frames++;
    this.lastScene = scene;
    this.view.begin();
    try {
      s.game.draw(this.view, scene);
    } catch (err) {
      s.fallBack(err);
    }
    this.hud.ping(s.clock.rtt);
    this.hud.lagging(s.status === "connected" && scene.lateMs > LAG_MS);
    if (s.status === "connected") this.hud.banner(s.game.banner ? s.game.banner(scene) || "" : "");
    this.hud.scoreboard([...s.names].filter(([id]) => s.scores.has(id)).map(([id, name]) => ({
      id, name, score: s.scores.get(id) || 0, own: id === s.playerId,
    })));
  }

  // flash reddens the screen's edges for a moment (the own player was hurt).
  flash() {
    $("game").classList.remove("hurt");
    void $("game").offsetWidth; // restart the animation
    $("game").classList.add("hurt");
  }

  // debug is the read-only view window.tickroom.state() returns: entities
  // with their fields in their units (the wire value over the field's
  // scale: x in px, not 1/8 px).
  debug() {
    const s = this.session;
    const base = { screen: s ? "game" : "lobby", frames: this.frames };
    if (!s) return { ...base, status: "lobby", lobbyError: $("lobby-error").textContent };
    const entities = [];
    if (s.latest && s.schema) {
      for (const e of s.latest.values()) {
        const out = { id: e.id, kind: e.kind, own: e.id === s.playerId, name: s.names.get(e.id) ?? "" };
        for (const f of s.schema.kind(e.kind).fields) out[f.key] = e[f.key] / f.scale;
        entities.push(out);
      }
    }
    const f = this.lastScene;
    return {
      ...base,
      status: s.status,
      roomId: s.roomId,
      playerId: s.playerId,
      gameName: s.welcome ? s.welcome.game : "",
      mode: s.welcome ? s.welcome.mode : "",
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
      predicted: f && f.predicted ? { x: f.predicted.x, y: f.predicted.y } : null,
      // The prediction itself, before any smoothing of a correction.
      body: s.predictor && s.predictor.body ? { x: s.predictor.body.x, y: s.predictor.body.y } : null,
      entities,
      scores: Object.fromEntries(s.scores),
      ready: !!s.game, // the game's module is loaded and playing
      game: s.game && s.game.debug ? s.game.debug() : {},
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
  // toScreen maps a world point (in the units of the entities' x and y) to
  // CSS px on the canvas, as the last frame drew it.
  toScreen: (x, y) => app.view.toScreen(x, y),
});
app.route();
