// lobby.js holds the lobby screen: the live room list, creating a room,
// joining one with a player name, quick-joining the default room, and the
// direct-join panel a shareable room URL opens.

import { ApiError, RoomFeed, createRoom, getRoom, joinRoom } from "./api.js";

const NAME_KEY = "tickroom.name";
const $ = (id) => document.getElementById(id);

// Lobby runs the lobby screen. onJoin(join, room) is called with the answer
// of POST /api/rooms/{id}/join once the player picked a room.
export class Lobby {
  constructor(onJoin) {
    this.onJoin = onJoin;
    this.feed = null;
    this.rooms = [];
    this.busy = false;
    this.directId = null;
    $("player-name").value = localStorage.getItem(NAME_KEY) || "";
    $("create-room").addEventListener("submit", (e) => { e.preventDefault(); this.create(); });
    $("quick-join").addEventListener("click", () => this.quickJoin());
    $("direct-join").addEventListener("click", () => this.join(this.directId));
    $("rooms").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-room]");
      if (b) this.join(b.dataset.room);
    });
    $("player-name").addEventListener("change", (e) => localStorage.setItem(NAME_KEY, e.target.value.trim()));
    $("player-name").addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.directId ? this.join(this.directId) : this.quickJoin();
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
    this.busy = false;
    this.setBusy(false);
    $("player-name").focus();
  }

  hide() {
    $("lobby").hidden = true;
    if (this.feed) this.feed.stop();
    this.feed = null;
  }

  async describeDirect(id) {
    $("direct-name").textContent = id;
    try {
      const room = await getRoom(id);
      if (this.directId === id) $("direct-name").textContent = `${room.name} (${playerCount(room)}/${room.max_players})`;
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
    renderRooms(rooms);
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

  quickJoin() {
    const room = this.rooms.find((r) => r.default) || this.rooms[0];
    if (!room) {
      this.error("No room to join yet: create one below.");
      return;
    }
    this.join(room.id);
  }

  async join(roomId) {
    const name = this.name();
    if (!name || this.busy || !roomId) return;
    this.setBusy(true);
    try {
      const join = await joinRoom(roomId, name);
      const room = this.rooms.find((r) => r.id === roomId) || { id: roomId, name: roomId };
      this.hide();
      this.onJoin(join, room);
    } catch (err) {
      this.fail(err);
    }
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
    this.setBusy(true);
    try {
      const created = await createRoom(room);
      this.rooms = [...this.rooms.filter((r) => r.id !== created.id), created];
      renderRooms(this.rooms);
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
    for (const b of document.querySelectorAll("#lobby button")) b.disabled = busy;
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
  return { name: "room-name-input", max_players: "room-max", tick_rate: "room-rate" }[field] ||
    (field === "player_name" ? "player-name" : "");
}

function playerCount(r) {
  return Array.isArray(r.players) ? r.players.length : (r.players ?? 0);
}

function renderRooms(rooms) {
  const body = document.querySelector("#rooms tbody");
  const sorted = [...rooms].sort((a, b) => (b.default - a.default) || a.name.localeCompare(b.name));
  body.replaceChildren(...sorted.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.room = r.id;
    const full = playerCount(r) >= r.max_players;
    tr.append(
      cell(r.name + (r.default ? " ★" : ""), "room-name"),
      cell(`${playerCount(r)}/${r.max_players}`),
      cell(`${r.tick_rate} Hz`),
    );
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.dataset.room = r.id;
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
