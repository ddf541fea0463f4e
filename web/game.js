// game.js defines how a game plugs into the browser client, finds a game's
// module, and holds the generic renderer for a game without one.
//
// THE GAME MODULE INTERFACE
//
// The client decodes every game by the schema its welcome carries (net.js)
// and knows no game. What a game looks like and how it is played lives in
// its module: an ES module served at /games/<name>.js, where <name> is the
// game's name (game.Definition.Name, the welcome's game). The built-in
// games' modules are web/games/*.js; a program built on tickroom adds its
// own with web.Options.Games. The client imports a module only when
// /games/index.json lists it; a game without a module is drawn by the
// generic renderer below, so every game is at least visible. docs/games.md
// ("The browser side") walks through an example.
//
// A module exports one function:
//
//   export function create(env) { return game; }
//
// called on every welcome (so again after a reconnect) with env:
//
//   env.schema    the welcome's schema (net.js Schema): schema.kind(name)
//                 gives a kind, kind.field(name) a field with its type,
//                 scale ("x" with scale 8 is in 1/8 px), unit, interp and
//                 private; schema.input the input fields with their
//                 ranges; schema.event(kind) an event kind's name and the
//                 meaning of its a and b.
//   env.world     the schema's static world data, as plain objects: the
//                 map, the rules a module predicts and draws with. Read
//                 constants from here rather than copying them.
//   env.playerId  the own player's id, which is also the id of its avatar
//                 entity when the game gives it one.
//   env.tickRate, env.sendRate, env.tickMs
//   env.tickTime(tick)  the room-clock time in ms at which tick was
//                 produced, on the render time's clock (place things born
//                 at a tick, such as a projectile, by it).
//   env.names     Map(player id → name), kept current.
//   env.flash()   flashes the screen red (the own player was hurt).
//
// Entities reach a module as frozen objects: {id, kind: the kind's name,
// ...every field by name} in wire units (divide by the field's scale for
// its unit). A field called "id" or "kind" is found as "$id" or "$kind".
//
// The game object create returns has these members; only draw is
// required:
//
//   draw(view, scene)   paint one frame: the world and the game's own HUD.
//       view (draw.js View) is the canvas, already sized and cleared:
//       view.look(x, y, scale) points the camera and draws in world units,
//       view.screen() switches to CSS px, view.ctx is the 2D context,
//       view.toScreen/toWorld convert, view.label draws fixed-size text.
//       scene is this frame:
//         entities   Map(id → entity) at the render time, about 100 ms in
//                    the past: the schema's interp fields interpolated
//                    (angles with unit "turn" the short way round), the
//                    others as the earlier snapshot has them
//         latest     Map(id → entity), the newest snapshot (tick latestTick
//                    at room time latestTime)
//         me         the own entity in latest (id playerId), if any
//         predicted  where to draw the predicted own body (see predict):
//                    between the last two inputs' states, a correction
//                    fading; or null
//         body       the predicted own body after the newest input, as
//                    predict.step left it (do not change it); or null
//         lead       how many ms of inputs the prediction is ahead of latest
//         renderTime, serverNow  room-clock ms the entities are at, and now
//         now        performance.now() of this frame
//         names, playerId
//   input(controls, scene)  the input to send this tick: an object by the
//       schema's input field names. Absent fields are 0; every value is
//       rounded and clamped to its field's range before it is sent.
//       controls (input.js) has keys (a Set of KeyboardEvent.code held),
//       held(...codes), pointer ({x, y} CSS px on the canvas, or null),
//       pressed (left button or aiming touch held) and stick (the touch
//       joystick's offset in CSS px, or null). scene is the last frame's.
//       Without input the client sends nothing.
//   predict   prediction of the own avatar (predict.js), for games whose
//       avatar's motion the client can compute from its inputs:
//         body(me, env)         the body to predict from the own entity,
//                               {x, y, ...} in the units the game draws in,
//                               or null for nothing to predict (dead)
//         step(body, input, env)  advance body by one tick of input, in place
//         snap                  a correction longer than this is a teleport
//                               (default 64)
//       It must reproduce the server's motion exactly, or the avatar jitters.
//   sent(seq, input, body)   called after each input is sent, with the
//       predicted body after it (or null): to show its effects at once
//       (an own shot).
//   snapshot(state, tick)    called with each newest state (Map id → entity).
//   teleported(a, b)  true when an entity's states a and b, one snapshot
//       apart, are a jump (a respawn), so it is not slid across the world.
//   event(e, ctx)     a game event {seq, kind, a, b, text} (kinds from 16,
//       ctx.def is the schema's {name, a, b, text} for it, ctx.name(id) a
//       player's name): start an effect, and return the line the chat feed
//       shows ("ann killed bob."), or nothing for none.
//   score(entity)     the score the scoreboard shows for a player's entity
//       (its id is the player's id); default its "score" field.
//   banner(scene)     text for the banner over the game ("You were
//       killed"), or "".
//   debug()           extra data for window.tickroom.state().game.
//
// A module imports nothing but the client's shared modules ("../draw.js"
// and the like) and its own files under /games/; it must not change the
// entities it is given.

import { COLORS, playerColor } from "./draw.js";

// A game's name, as game.Definition allows it.
const NAME = /^[a-z0-9-]+$/;

let index = null; // Promise of the set of game names with a module
const modules = new Map(); // game name → Promise of its module

// listModules fetches /games/index.json, once it has been had.
function listModules() {
  if (!index) {
    index = fetch("/games/index.json", { headers: { Accept: "application/json" } })
      .then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return res.json();
      })
      .then((idx) => new Set(idx.modules || []));
    index.catch(() => { index = null; }); // ask again on the next welcome
  }
  return index;
}

// loadGame returns the module for the game called name: its own when the
// server has one, else the generic renderer's. A module that fails to load
// or lacks create is reported on the console and replaced by the generic
// renderer; when the list of modules cannot be had, the generic renderer
// stands in until the next welcome asks again.
export async function loadGame(name) {
  if (!NAME.test(name)) return generic;
  let listed;
  try {
    listed = (await listModules()).has(name);
  } catch {
    return generic;
  }
  if (!listed) return generic;
  if (!modules.has(name)) {
    modules.set(name, import(`./games/${name}.js`).then((mod) => {
      if (typeof mod.create !== "function") throw new Error("it exports no create(env)");
      return mod;
    }).catch((err) => {
      console.error(`tickroom: the module of game ${name} cannot be used, drawing it generically:`, err);
      return generic;
    }));
  }
  return modules.get(name);
}

// create makes mod's game for env, or the generic renderer's when mod's
// create fails (which is reported on the console).
export function create(mod, env) {
  try {
    const game = mod.create(env);
    if (!game || typeof game.draw !== "function") throw new Error("its game has no draw(view, scene)");
    return game;
  } catch (err) {
    if (mod === generic) throw err;
    console.error(`tickroom: the module of game ${env.schema.game} failed, drawing it generically:`, err);
    return generic.create(env);
  }
}

// --- the generic renderer --------------------------------------------------

// Names of the fields the generic renderer draws a size from, and a
// colour (a palette index or hue) from, in order.
const SIZE_FIELDS = ["radius", "r", "size"];
const COLOR_FIELDS = ["color", "colour", "hue"];
// The least room the camera keeps around what it shows, in world units.
const MARGIN = 80;

// generic is the generic renderer's module.
export const generic = Object.freeze({ create: createGeneric });

// createGeneric draws any game: every entity with x and y fields at its
// place, as a circle (of its radius, when it has a field called radius, r
// or size) coloured by kind (or by its field color or hue) and labelled
// with its kind's name (and its player's name when it is a player's
// avatar), with the camera on the own avatar and zoomed to what is in
// view, and a count of the entities in view by kind. It sends no input.
function createGeneric(env) {
  const { schema } = env;
  const kinds = new Map(schema.kinds.map((k, i) => {
    const x = k.field("x"), y = k.field("y");
    const size = SIZE_FIELDS.map((n) => k.field(n)).find(Boolean);
    const tint = COLOR_FIELDS.map((n) => k.field(n)).find(Boolean);
    const hue = (i * 97 + 200) % 360;
    return [k.name, { kind: k, x, y, size, tint, color: `hsl(${hue} 60% 60%)` }];
  }));
  const world = env.world;
  const worldW = typeof world.w === "number" ? world.w : null;
  const worldH = typeof world.h === "number" ? world.h : null;
  let zoom = null;
  let shown = { drawn: 0, counts: {} };

  // place returns where entity e is drawn, in its x and y's unit, or null.
  const place = (e, scene) => {
    const k = kinds.get(e.kind);
    if (!k || !k.x || !k.y) return null;
    const r = k.size ? Math.abs(e[k.size.key] / k.size.scale) : 0;
    return { x: e[k.x.key] / k.x.scale, y: e[k.y.key] / k.y.scale, r, k };
  };

  return {
    draw(view, scene) {
      const places = [];
      const counts = {};
      for (const e of scene.entities.values()) {
        counts[e.kind] = (counts[e.kind] || 0) + 1;
        const p = place(e, scene);
        if (p) places.push({ e, ...p });
      }
      shown = { drawn: places.length, counts };
      // The camera: on the own avatar when it has a place, else on the
      // middle of what there is; zoomed to show all of it.
      let lo = { x: Infinity, y: Infinity }, hi = { x: -Infinity, y: -Infinity };
      for (const p of places) {
        lo = { x: Math.min(lo.x, p.x - p.r), y: Math.min(lo.y, p.y - p.r) };
        hi = { x: Math.max(hi.x, p.x + p.r), y: Math.max(hi.y, p.y + p.r) };
      }
      if (!places.length) {
        lo = { x: 0, y: 0 };
        hi = { x: worldW ?? 1000, y: worldH ?? 1000 };
      }
      const own = places.find((p) => p.e.id === env.playerId);
      const cx = own ? own.x : (lo.x + hi.x) / 2, cy = own ? own.y : (lo.y + hi.y) / 2;
      const halfW = Math.max(cx - lo.x, hi.x - cx) + MARGIN, halfH = Math.max(cy - lo.y, hi.y - cy) + MARGIN;
      const want = Math.min(4, Math.max(0.02, Math.min(view.cssW / 2 / halfW, view.cssH / 2 / halfH)));
      zoom = zoom === null ? want : zoom + (want - zoom) * 0.1;
      view.look(cx, cy, zoom);
      const { ctx } = view;
      if (worldW !== null && worldH !== null) {
        ctx.fillStyle = COLORS.floor;
        ctx.fillRect(0, 0, worldW, worldH);
      }
      const u = 1 / zoom; // world units per CSS px
      places.sort((a, b) => b.r - a.r); // big things under small ones
      for (const p of places) {
        const mine = p.e.id === env.playerId;
        const player = env.names.get(p.e.id);
        ctx.fillStyle = player !== undefined ? playerColor(p.e.id, mine) :
          p.k.tint ? `hsl(${(p.e[p.k.tint.key] * 137.508) % 360} 65% 60%)` : p.k.color;
        ctx.beginPath();
        ctx.arc(p.x, p.y, Math.max(p.r, 5 * u), 0, Math.PI * 2);
        ctx.fill();
        if (mine) {
          ctx.lineWidth = 2 * u;
          ctx.strokeStyle = "#ffffff";
          ctx.stroke();
        }
        if (p.r * zoom > 6 || player !== undefined || places.length < 60) {
          const text = player !== undefined ? `${player} (${p.e.kind})` : p.e.kind;
          view.label(text, p.x, p.y - Math.max(p.r, 5 * u) - 3 * u, { size: 11, color: mine ? COLORS.own : COLORS.text });
        }
      }
      view.screen();
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "right";
      ctx.textBaseline = "bottom";
      ctx.fillStyle = COLORS.muted;
      const list = Object.entries(counts).map(([k, n]) => `${k} ×${n}`).join(" · ");
      ctx.fillText(`${schema.game} (generic view): ${list || "nothing in view"}`, view.cssW - 10, view.cssH - 10);
    },
    generic: true,
    debug() {
      return { renderer: "generic", ...shown };
    },
  };
}
