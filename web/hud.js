// hud.js holds the in-game overlay: room name, connection status and ping,
// the scoreboard, the chat box with system messages, and the banner shown
// while dead or reconnecting.

import { playerColor } from "./draw.js";

const $ = (id) => document.getElementById(id);
const CHAT_LINES = 60;
const STATUS_TEXT = {
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  closed: "disconnected",
};

// VISIBLE finds a character that shows on screen. The server closes a
// connection whose chat has none once cleaned (blanks, zero-width and
// other ignorable characters, marks: docs/protocol.md, Chat), so such a
// line is not sent.
const VISIBLE = /(?![\p{Default_Ignorable_Code_Point}\u2800])[\p{L}\p{N}\p{P}\p{S}]/u;

export class Hud {
  constructor(onSay) {
    this.onSay = onSay;
    this.lastBoard = "";
    $("chat-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = $("chat-input");
      if (VISIBLE.test(input.value)) this.onSay(input.value);
      input.value = "";
      input.blur();
    });
    $("chat-input").addEventListener("keydown", (e) => {
      if (e.key === "Escape") e.target.blur();
      e.stopPropagation();
    });
    window.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !$("game").hidden && document.activeElement !== $("chat-input")) {
        e.preventDefault();
        $("chat-input").focus();
      }
    });
  }

  reset(roomName) {
    $("room-title").textContent = roomName;
    $("chat-log").replaceChildren();
    $("scoreboard-body").replaceChildren();
    this.lastBoard = "";
    this.status("connecting");
    this.banner("");
  }

  status(s) {
    const el = $("status");
    el.textContent = STATUS_TEXT[s] || s;
    el.dataset.status = s;
    if (s === "reconnecting") this.banner("Connection lost — reconnecting…");
    else if (s === "connected") this.banner("");
  }

  // lagging marks the status while snapshots are overdue.
  lagging(on) {
    const el = $("status");
    const want = on ? "lagging" : "connected";
    if (el.dataset.status === want || (el.dataset.status !== "connected" && el.dataset.status !== "lagging")) return;
    el.dataset.status = want;
    el.textContent = on ? "waiting for server…" : STATUS_TEXT.connected;
  }

  ping(rtt) {
    $("ping").textContent = rtt === null ? "– ms" : `${Math.round(rtt)} ms`;
  }

  banner(text) {
    $("banner").textContent = text;
    $("banner").hidden = !text;
  }

  chat(line, ownId) {
    const li = document.createElement("li");
    li.className = line.kind;
    if (line.kind === "chat") {
      const who = document.createElement("b");
      who.textContent = `${line.name}: `;
      who.style.color = playerColor(line.from, line.from === ownId);
      li.append(who, document.createTextNode(line.text));
    } else {
      li.textContent = line.text;
    }
    const log = $("chat-log");
    log.append(li);
    while (log.children.length > CHAT_LINES) log.firstChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  // scoreboard lists players by score; rows: [{id, name, score, own}].
  scoreboard(rows) {
    rows.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
    const key = rows.map((r) => `${r.id}:${r.name}:${r.score}`).join("|");
    if (key === this.lastBoard) return;
    this.lastBoard = key;
    $("scoreboard-body").replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      if (r.own) tr.className = "own";
      const name = document.createElement("td");
      name.textContent = r.name;
      name.style.color = playerColor(r.id, r.own);
      const score = document.createElement("td");
      score.textContent = r.score;
      tr.append(name, score);
      return tr;
    }));
  }
}
