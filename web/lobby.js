// lobby.js holds the lobby screen: the games the server runs (GET
// /api/games) with their modes and seat limits and a quick play for each,
// the live room list with each room's game, creating a room of a chosen
// game and mode, joining one with a player name, and the direct-join panel
// a shareable room URL opens.

import { ApiError, RoomFeed, createRoom, getRoom, joinRoom, listGames, quickPlay } from "./api.js";

const NAME_KEY = "tickroom.name";
const $ = (id) => document.getElementById(id);

// Lobby runs the lobby screen. onJoin(join, room) is called with the answer
// of a join or quick play once the player picked a room.
export class Lobby {
  constructor(onJoin) {
    this.onJoin = onJoin;
    this.feed = null;
    this.rooms = [];
    this.games = []; // as GET /api/games lists them, the default first
    this.busy = false;
    this.directId = null;
    $("player-name").value = localStorage.getItem(NAME_KEY) || "";
    $("create-room").addEventListener("submit", (e) => { e.preventDefault(); this.create(); });
    $("quick-join").addEventListener("click", () => this.quickPlay(""));
    $("direct-join").addEventListener("click", () => this.join(this.directId));
    $("rooms").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-room]");
      if (b) this.join(b.dataset.room);
    });
    $("games").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-game]");
      if (b) this.quickPlay(b.dataset.game);
    });
    $("room-game").addEventListener("change", () => this.pickGame());
    $("room-mode").addEventListener("change", () => this.pickMode());
    $("player-name").addEventListener("change", (e) => localStorage.setItem(NAME_KEY, e.target.value.trim()));
    $("player-name").addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.directId ? this.join(this.directId) : this.quickPlay("");
    });
  }

  // show opens the lobby, with a message (why the last game ended) and the
  // room a shareable URL points at, if any.
  show({ message = "", roomId = null } = {}) {
    if (this.feed) this.feed.stop();
    $("lobby").hidden = false;
    this.error(message);
    this.directId = roomId;
    $("direct").hidden = !roomId;
    if (roomId) this.describeDirect(roomId);
    this.feed = new RoomFeed((rooms, mode, err) => this.update(rooms, mode, err));
    if (!this.games.length) this.loadGames();
    this.busy = false;
    this.setBusy(false);
    $("player-name").focus();
  }

  hide() {
    $("lobby").hidden = true;
    if (this.feed) this.feed.stop();
    this.feed = null;
  }

  async loadGames() {
    try {
      this.games = await listGames();
    } catch (err) {
      $("games-empty").textContent = `Could not list the games: ${err.message}`;
      return;
    }
    renderGames(this.games);
    const select = $("room-game");
    select.replaceChildren(...this.games.map((g) => option(g.name, g.title || g.name)));
    this.pickGame();
    renderRooms(this.rooms, this.games);
  }

  // pickGame offers the chosen game's modes in the create form.
  pickGame() {
    const g = this.game($("room-game").value);
    $("room-mode").replaceChildren(...(g ? g.modes : []).map((m) => option(m.name, `${m.title || m.name} (up to ${m.limit})`)));
    this.pickMode();
  }

  // pickMode sets the seats to the chosen mode's default, within its limit.
  pickMode() {
    const g = this.game($("room-game").value);
    const m = g && g.modes.find((x) => x.name === $("room-mode").value);
    if (!m) return;
    const max = $("room-max");
    max.max = m.limit;
    max.value = m.max_players;
  }

  game(name) {
    return this.games.find((g) => g.name === name);
  }

  async describeDirect(id) {
    $("direct-name").textContent = id;
    try {
      const room = await getRoom(id);
      if (this.directId === id) {
        $("direct-name").textContent = `${room.name} (${gameTitle(room, this.games)}, ${playerCount(room)}/${room.max_players})`;
      }
    } catch (err) {
      if (this.directId === id) this.error(`Room ${id}: ${err.message}`);
    }
  }

  update(rooms, mode, err) {
    $("rooms-live").textContent = mode === "events" ? "live" : "updating every 2 s";
    if (err) {
      $("rooms-live").textContent = "server unreachable, retrying…";
      return;
    }
    this.rooms = rooms;
    renderRooms(rooms, this.games);
  }

  name() {
    const n = $("player-name").value.trim();
    if (!n) {
      this.error("Pick a name first.", "player-name");
      $("player-name").focus();
      return null;
    }
    localStorage.setItem(NAME_KEY, n);
    return n;
  }

  // quickPlay takes a seat in a room of game ("" for the default game)
  // that has space, or in a new one, as the server chooses.
  async quickPlay(game) {
    const name = this.name();
    if (!name || this.busy) return;
    this.setBusy(true);
    try {
      const join = await quickPlay(game, "", name);
      await this.enter(join);
    } catch (err) {
      this.fail(err);
    }
  }

  async join(roomId) {
    const name = this.name();
    if (!name || this.busy || !roomId) return;
    this.setBusy(true);
    try {
      await this.enter(await joinRoom(roomId, name));
    } catch (err) {
      this.fail(err);
    }
  }

  // enter leaves the lobby for the room of a reserved seat.
  async enter(join) {
    let room = this.rooms.find((r) => r.id === join.room_id);
    if (!room) room = await getRoom(join.room_id).catch(() => ({ id: join.room_id, name: join.room_id }));
    this.hide();
    this.onJoin(join, room);
  }

  async create() {
    const name = this.name();
    if (!name || this.busy) return;
    const form = $("create-room");
    const room = {
      name: form.elements.name.value.trim(),
      max_players: Number(form.elements.max_players.value),
      tick_rate: Number(form.elements.tick_rate.value),
    };
    // Without the list of games the server's default game is created.
    if (form.elements.game.value) room.game = form.elements.game.value;
    if (form.elements.mode.value) room.mode = form.elements.mode.value;
    this.setBusy(true);
    try {
      const created = await createRoom(room);
      this.rooms = [...this.rooms.filter((r) => r.id !== created.id), created];
      renderRooms(this.rooms, this.games);
      this.busy = false;
      await this.join(created.id);
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err) {
    this.setBusy(false);
    const field = err instanceof ApiError && err.field ? fieldInput(err.field) : "";
    this.error(err.message, field);
  }

  setBusy(busy) {
    this.busy = busy;
    for (const b of document.querySelectorAll("#lobby button")) b.disabled = busy || b.dataset.full === "1";
  }

  error(message, fieldId = "") {
    const p = $("lobby-error");
    p.textContent = message;
    p.hidden = !message;
    for (const el of document.querySelectorAll("#lobby .invalid")) el.classList.remove("invalid");
    if (fieldId && $(fieldId)) $(fieldId).classList.add("invalid");
  }
}

// fieldInput maps a problem's field name to the input that holds it.
function fieldInput(field) {
  return {
    name: "room-name-input", game: "room-game", mode: "room-mode",
    max_players: "room-max", tick_rate: "room-rate", player_name: "player-name",
  }[field] || "";
}

function playerCount(r) {
  return Array.isArray(r.players) ? r.players.length : (r.players ?? 0);
}

// gameTitle names a room's game and mode as the games list titles them.
function gameTitle(r, games) {
  const g = games.find((x) => x.name === r.game);
  const m = g && g.modes.find((x) => x.name === r.mode);
  const title = g ? g.title || g.name : r.game || "";
  return m && g.modes.length > 1 ? `${title} · ${m.title || m.name}` : title;
}

function renderGames(games) {
  const list = $("games");
  list.replaceChildren(...games.map((g, i) => {
    const li = document.createElement("li");
    li.dataset.game = g.name;
    const head = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = g.title || g.name;
    head.append(title);
    if (i === 0) head.append(" ★");
    const modes = document.createElement("small");
    modes.className = "modes";
    modes.textContent = g.modes.map((m) => `${m.title || m.name}: ${m.max_players} seats, up to ${m.limit}`).join(" · ");
    const text = document.createElement("p");
    text.textContent = g.description || "";
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.game = g.name;
    b.textContent = "Quick play";
    li.append(head, modes, text, b);
    return li;
  }));
  $("games-empty").hidden = games.length > 0;
}

function renderRooms(rooms, games) {
  const body = document.querySelector("#rooms tbody");
  const sorted = [...rooms].sort((a, b) => (b.default - a.default) || a.name.localeCompare(b.name));
  body.replaceChildren(...sorted.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.room = r.id;
    tr.dataset.game = r.game || "";
    const full = playerCount(r) >= r.max_players;
    tr.append(
      cell(r.name + (r.default ? " ★" : ""), "room-name"),
      cell(gameTitle(r, games), "room-game"),
      cell(`${playerCount(r)}/${r.max_players}`),
      cell(`${r.tick_rate} Hz`),
    );
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.dataset.room = r.id;
    b.dataset.full = full ? "1" : "";
    b.textContent = full ? "Full" : "Join";
    b.disabled = full;
    td.append(b);
    tr.append(td);
    return tr;
  }));
  $("rooms-empty").hidden = rooms.length > 0;
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function option(value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}
