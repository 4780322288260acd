// helpline agent console: sign in with an API token, watch the inbox (short polling),
// read a ticket's transcript, reply and close. Talks only to /api/v1; no build step.
"use strict";

const POLL_MS = 1500;
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("helpline-token"), me: null, ticket: null, timer: null };

async function api(method, path, body, headers = {}) {
  const response = await fetch("/api/v1" + path, {
    method,
    headers: { Authorization: "Bearer " + state.token, "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    throw Object.assign(new Error(detail || response.statusText), { status: response.status });
  }
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;  // never innerHTML: texts come from customers
  return node;
}

function waited(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return `waiting ${Math.floor(seconds)} s`;
  if (seconds < 3600) return `waiting ${Math.floor(seconds / 60)} min`;
  return `waiting ${Math.floor(seconds / 3600)} h`;
}

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("GET", "/me");
  } catch (error) {
    $("sign-in-error").textContent = error.status === 401 ? "Unknown token." : error.message;
    state.token = null;
    return;
  }
  sessionStorage.setItem("helpline-token", token);
  $("sign-in").hidden = true;
  $("desk").hidden = false;
  $("sign-out").hidden = false;
  renderMe();
  await refreshInbox();
  state.timer = setInterval(refreshAll, POLL_MS);
}

function renderMe() {
  const agent = state.me.agent;
  $("who").textContent = agent ? `${agent.name} · ${agent.online ? "online" : "offline"}` : "admin";
  $("status-toggle").hidden = !agent;
  if (agent) $("status-toggle").textContent = agent.online ? "Go offline" : "Go online";
}

async function refreshAll() {
  await refreshInbox();
  if (state.ticket) await openTicket(state.ticket, false);
}

async function refreshInbox() {
  let tickets;
  try {
    tickets = await api("GET", "/tickets?status=open");
  } catch (error) {
    if (error.status === 401) return signOut();
    return;
  }
  const list = $("inbox");
  list.replaceChildren(...tickets.map((t) => {
    const item = el("li", t.ticket_id === state.ticket ? "selected" : "");
    item.dataset.ticketId = t.ticket_id;
    item.append(el("strong", "", t.customer_name || "+" + t.phone), el("br"),
                el("span", "last", t.last_customer_text || t.reason), el("br"),
                el("span", "waiting", waited(t.waiting_seconds)));
    item.addEventListener("click", () => openTicket(t.ticket_id, true));
    return item;
  }));
  $("inbox-empty").hidden = tickets.length > 0;
  $("inbox-updated").textContent = new Date().toLocaleTimeString();
}

async function openTicket(ticketId, select) {
  let ticket;
  try {
    ticket = await api("GET", "/tickets/" + ticketId);
  } catch (error) {
    $("ticket-error").textContent = error.message;
    return;
  }
  state.ticket = ticketId;
  if (select) $("ticket-error").textContent = "";
  $("ticket-pane").hidden = false;
  $("ticket-title").textContent = `${ticket.customer_name || "+" + ticket.phone} · ${ticket.status}`;
  $("ticket-meta").textContent = `Reason: ${ticket.reason}` +
    (ticket.resolution ? ` · Resolution: ${ticket.resolution}` : "");
  $("transcript").replaceChildren(...ticket.transcript.map((turn) => {
    const item = el("li", turn.author, turn.text);
    item.title = `${turn.author} · ${new Date(turn.at).toLocaleString()}`;
    return item;
  }));
  const closed = ticket.status === "closed";
  $("reply-send").disabled = closed;
  $("close-ticket").disabled = closed;
}

async function sendReply(event) {
  event.preventDefault();
  const text = $("reply-text").value.trim();
  if (!text || !state.ticket) return;
  // One key per submission: a retried request never sends the answer twice.
  const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  try {
    await api("POST", `/tickets/${state.ticket}/replies`, { text }, { "Idempotency-Key": key });
    $("reply-text").value = "";
    $("ticket-error").textContent = "Sent.";
  } catch (error) {
    $("ticket-error").textContent = error.message;
  }
}

async function closeTicket(event) {
  event.preventDefault();
  const resolution = $("resolution").value.trim();
  if (!resolution || !state.ticket) return;
  try {
    await api("POST", `/tickets/${state.ticket}/close`, { resolution });
    $("resolution").value = "";
    $("ticket-error").textContent = "Closed.";
  } catch (error) {
    $("ticket-error").textContent = error.message;
  }
}

async function toggleStatus() {
  const online = !state.me.agent.online;
  await api("PUT", "/agents/me/status", { status: online ? "online" : "offline" });
  state.me = await api("GET", "/me");
  renderMe();
}

function signOut() {
  clearInterval(state.timer);
  sessionStorage.removeItem("helpline-token");
  Object.assign(state, { token: null, me: null, ticket: null, timer: null });
  $("desk").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("status-toggle").hidden = true;
  $("who").textContent = "";
}

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("token").value.trim());
});
$("reply-form").addEventListener("submit", sendReply);
$("close-form").addEventListener("submit", closeTicket);
$("status-toggle").addEventListener("click", toggleStatus);
$("sign-out").addEventListener("click", signOut);
if (state.token) signIn(state.token);
