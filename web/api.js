// api.js holds the calls to the lobby's REST API and the live room feed
// (server-sent events, with polling when the server does not offer them).

// ApiError is a failed API call, carrying the problem+json details.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || "";
    this.field = problem.field || "";
  }
}

async function call(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { title: "Server unreachable", detail: "The server cannot be reached." });
  }
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { title: res.statusText, detail: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const listRooms = () => call("GET", "/api/rooms").then((d) => d.rooms || []);
export const getRoom = (id) => call("GET", `/api/rooms/${encodeURIComponent(id)}`);
export const createRoom = (room) => call("POST", "/api/rooms", room);
export const joinRoom = (id, name) => call("POST", `/api/rooms/${encodeURIComponent(id)}/join`, { name });
// listGames returns the games the server runs, the default first:
// [{name, title, description, modes: [{name, title, max_players, limit}]}].
export const listGames = () => call("GET", "/api/games").then((d) => d.games || []);
// quickPlay reserves a seat in a room of game and mode ("" for the
// defaults) that has space, or in a new one; it answers like joinRoom.
export const quickPlay = (game, mode, name) => call("POST", "/api/matchmake", { game, mode, name });

const POLL_MS = 2000;
const SSE_RETRY_MS = 10000;

// RoomFeed keeps a room list current and calls onChange(rooms, live) on
// every change: live is "events" while the event stream is up, "polling"
// otherwise.
export class RoomFeed {
  constructor(onChange) {
    this.onChange = onChange;
    this.rooms = new Map();
    this.mode = "polling";
    this.stopped = false;
    this.timer = 0;
    this.abort = null;
    this.poll();
    this.stream();
  }

  emit() {
    if (!this.stopped) this.onChange([...this.rooms.values()], this.mode);
  }

  async poll() {
    if (this.stopped) return;
    try {
      const rooms = await listRooms();
      this.rooms = new Map(rooms.map((r) => [r.id, r]));
      this.emit();
    } catch (err) {
      if (!this.stopped) this.onChange(null, this.mode, err);
    }
    if (!this.stopped && this.mode === "polling") {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.poll(), POLL_MS);
    }
  }

  // stream reads /api/rooms/events while it answers with an event stream;
  // when it fails or ends, the feed falls back to polling and retries later.
  async stream() {
    if (this.stopped) return;
    this.abort = new AbortController();
    try {
      const res = await fetch("/api/rooms/events", {
        headers: { Accept: "text/event-stream" }, signal: this.abort.signal,
      });
      const type = res.headers.get("Content-Type") || "";
      if (!res.ok || !type.startsWith("text/event-stream") || !res.body) {
        this.abort.abort();
        throw new Error("no event stream");
      }
      this.mode = "events";
      clearTimeout(this.timer);
      // The stream starts with rooms.reset, the whole list; events keep it
      // current.
      await this.readEvents(res.body);
    } catch {
      // Fall through to polling.
    }
    if (this.stopped) return;
    if (this.mode !== "polling") {
      this.mode = "polling";
      this.poll();
    }
    setTimeout(() => this.stream(), SSE_RETRY_MS);
  }

  async readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done || this.stopped) return;
      buf += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        this.dispatch(buf.slice(0, end));
        buf = buf.slice(end + 2);
      }
    }
  }

  dispatch(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (!data.length) return;
    let room;
    try {
      room = JSON.parse(data.join("\n"));
    } catch {
      return;
    }
    if (event === "rooms.reset") {
      // The whole list: at the start of a stream, and whenever the server
      // cannot say what changed (this stream fell far behind, or the
      // server restarted). Event ids are opaque; this client never parses
      // them.
      this.rooms = new Map((room.rooms || []).map((r) => [r.id, r]));
      this.emit();
      return;
    }
    if (!room || !room.id) return;
    if (event === "room.closed") this.rooms.delete(room.id);
    else if (event === "room.created" || event === "room.updated") this.rooms.set(room.id, room);
    else return;
    this.emit();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.abort) this.abort.abort();
  }
}
