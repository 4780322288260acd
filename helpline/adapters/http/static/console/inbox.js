// helpline agent console, part 3: the inbox. Views with counts (mine, queue, all open,
// closed), search, the assignee and waiting time of each ticket, unread counts (per item and
// in the tab title) and optional desktop notifications. Items are updated in place.
"use strict";

const $ = (id) => document.getElementById(id);
const TITLE = "helpline · agent console";
const state = {
  me: null, view: null, query: "", tickets: [], ticket: null, detail: null,
  lastAt: null, unread: {}, itemNodes: new Map(),
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;  // never innerHTML
  return node;
}

/** The button ``prefix-open`` opens the dialog ``prefix-dialog`` (after ``say("")``
 *  clears its status), which then ``render``s; ``prefix-close`` closes it. */
function setUpDialog(prefix, say, render) {
  $(`${prefix}-open`).addEventListener("click", async () => {
    say("", false);
    $(`${prefix}-dialog`).showModal();
    await render();
  });
  $(`${prefix}-close`).addEventListener("click", () => $(`${prefix}-dialog`).close());
}

/** The priorities the inbox marks (low and normal go unmarked). */
const PRIORITY_WORDS = { high: "High", urgent: "Urgent" };

function phoneText(phone) { return phone ? "+" + String(phone).replace(/^\+/, "") : ""; }
function displayName(t) { return t.name || phoneText(t.phone); }

function waitingText(since) {
  if (!since) return "";
  const seconds = Math.max(0, (Date.now() - new Date(since).getTime()) / 1000);
  if (seconds < 60) return "waiting under a minute";
  if (seconds < 3600) return `waiting ${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `waiting ${Math.floor(seconds / 3600)} h`;
  return `waiting ${Math.floor(seconds / 86400)} d`;
}

const STATUS_WORDS = { queued: "In queue", assigned: "Open", closed: "Closed" };

function isAdmin() { return state.me && state.me.role === "admin"; }

// --- reading the tickets (the new read side, or today's API) ---

async function legacyList(view) {
  const get = (status) => api("GET", `/tickets?status=${status}&limit=200`);
  if (view === "mine") return isAdmin() ? [] : get("open");
  if (view === "queue") return get("queued");
  if (view === "closed") return get("closed");
  const [open, queued] = await Promise.all([get("open"), get("queued")]);
  return [...queued, ...open];
}

function matches(t, q) {
  const needle = q.toLowerCase();
  return [t.name, t.phone, t.preview].some((v) => v && String(v).toLowerCase().includes(needle));
}

async function fetchTickets(view, q) {
  if (has("counts")) {
    const query = q ? "&q=" + encodeURIComponent(q) : "";
    return (await api("GET", `/tickets?view=${view}&limit=50${query}`)).map(normTicket);
  }
  const rows = (await legacyList(view)).map(normTicket);
  return q ? rows.filter((t) => matches(t, q)) : rows;
}

async function fetchCounts() {
  if (has("counts")) return api("GET", "/tickets/counts");
  const views = ["mine", "queue", "open", "closed"];
  const lists = await Promise.all(views.map((v) => legacyList(v)));
  return Object.fromEntries(views.map((v, i) => [v, lists[i].length]));
}

// --- drawing ---

function renderCounts(counts) {
  for (const button of $("views").querySelectorAll("button")) {
    const n = counts[button.dataset.view];
    button.querySelector(".count").textContent = n === undefined ? "" : String(n);
    button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
  }
}

function drawItem(node, t) {
  const unread = state.unread[t.id] || 0;
  const top = el("span", "item-top");
  top.append(el("strong", "name", displayName(t)));
  if (unread) {
    const badge = el("span", "unread", String(unread));
    badge.append(el("span", "visually-hidden", " unread"));
    top.append(badge);
  }
  if (PRIORITY_WORDS[t.priority]) {
    top.append(el("span", `priority ${t.priority}`, PRIORITY_WORDS[t.priority]));
  }
  top.append(el("span", `badge ${t.status}`, STATUS_WORDS[t.status] || t.status));
  const preview = el("span", "preview", t.preview || (t.resolution ? "Resolved: " + t.resolution : ""));
  const bottom = el("span", "item-bottom");
  bottom.append(el("span", "assignee", t.agentName ? "Assigned to " + t.agentName : "Unassigned"));
  const waiting = t.status === "closed" ? "" : waitingText(t.waitingSince);
  if (waiting) bottom.append(el("span", "waiting", waiting));
  node.replaceChildren(top, preview, bottom);
}

function renderInbox() {
  const list = $("inbox");
  const wanted = new Set();
  state.tickets.forEach((t, index) => {
    wanted.add(t.id);
    let li = state.itemNodes.get(t.id);
    if (!li) {
      li = el("li");
      const button = el("button", "item");
      button.type = "button";
      button.addEventListener("click", () => openTicket(t.id, true));
      li.append(button);
      state.itemNodes.set(t.id, li);
    }
    li.className = t.id === state.ticket ? "selected" : "";
    li.dataset.ticketId = t.id;
    const signature = JSON.stringify([t, state.unread[t.id] || 0, waitingText(t.waitingSince)]);
    if (li.dataset.signature !== signature) {
      drawItem(li.firstChild, t);
      li.dataset.signature = signature;
    }
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
  });
  for (const [id, li] of state.itemNodes) {
    if (!wanted.has(id)) { li.remove(); state.itemNodes.delete(id); }
  }
  $("inbox-empty").hidden = state.tickets.length > 0;
  $("inbox-empty").textContent = state.query ? "No tickets match your search." : "No tickets here.";
}

// --- unread counts and notifications ---

function loadUnread() {
  try { state.unread = JSON.parse(sessionStorage.getItem("helpline-unread") || "{}"); }
  catch (_) { state.unread = {}; }
}

function saveUnread() {
  sessionStorage.setItem("helpline-unread", JSON.stringify(state.unread));
  const total = Object.values(state.unread).reduce((a, b) => a + b, 0);
  document.title = total ? `(${total}) ${TITLE}` : TITLE;
}

function markRead(ticketId) {
  if (state.unread[ticketId]) { delete state.unread[ticketId]; saveUnread(); }
}

function notify(t) {
  if (!$("notify").checked || typeof Notification === "undefined") return;
  if (Notification.permission !== "granted" || !document.hidden) return;
  new Notification(`New message from ${displayName(t)}`, { body: t.preview || "" });
}

// New activity on a ticket the agent is not looking at counts as unread.
function noteActivity(tickets) {
  const first = state.lastAt === null;
  state.lastAt = state.lastAt || {};
  for (const t of tickets) {
    const before = state.lastAt[t.id];
    state.lastAt[t.id] = t.lastAt;
    if (first || t.status === "closed" || before === t.lastAt) continue;
    const looking = t.id === state.ticket && !document.hidden;
    if (looking) continue;
    state.unread[t.id] = (state.unread[t.id] || 0) + 1;
    notify(t);
  }
  saveUnread();
}

async function refreshInbox() {
  try {
    const [tickets, counts] = await Promise.all([fetchTickets(state.view, state.query),
                                                 fetchCounts()]);
    state.tickets = tickets;
    noteActivity(tickets);
    renderCounts(counts);
    renderInbox();
  } catch (error) {
    if (error.status === 401) signOut("Your sign-in is no longer valid. Please sign in again.");
  }
}

function chooseView(view) {
  state.view = view;
  renderCounts({});
  refreshInbox();
}

function setUpInbox() {
  for (const button of $("views").querySelectorAll("button")) {
    button.addEventListener("click", () => chooseView(button.dataset.view));
  }
  let timer = null;
  $("search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.query = $("search").value.trim(); refreshInbox(); }, 250);
  });
  $("notify").checked = localStorage.getItem("helpline-notify") === "on";
  $("notify").addEventListener("change", async () => {
    const on = $("notify").checked;
    localStorage.setItem("helpline-notify", on ? "on" : "off");
    if (on && typeof Notification !== "undefined" && Notification.permission === "default") {
      await Notification.requestPermission();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.ticket) markRead(state.ticket);
  });
}
