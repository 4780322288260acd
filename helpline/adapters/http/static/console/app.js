// helpline agent console, part 4: signing in, live updates (Server-Sent Events from
// /api/v1/events, or polling every 5 s where the server has none), the open ticket, the
// customer panel, the history, and the agent's actions. Talks only to /api/v1.
"use strict";

const POLL_MS = 5000;
const live = { timer: null, abort: null, pending: null, clock: null };

function say(text) { $("ticket-error").textContent = ""; $("ticket-status").textContent = text; }
function fail(error) {
  $("ticket-status").textContent = "";
  $("ticket-error").textContent = error instanceof ApiError ? error.message : sentence(error);
}

// --- signing in and out ---

function show(signedIn) {
  $("sign-in").hidden = signedIn;
  $("desk").hidden = !signedIn;
  $("me").hidden = !signedIn;
}

async function signIn(token) {
  session.token = token;
  try {
    state.me = await api("GET", "/me");
  } catch (error) {
    session.token = null;
    sessionStorage.removeItem("helpline-token");
    show(false);
    $("sign-in-error").textContent = error.status === 401
      ? "That token is not known. Check it and try again." : error.message;
    return;
  }
  sessionStorage.setItem("helpline-token", token);
  $("sign-in-error").textContent = "";
  $("token").value = "";
  await discoverFeatures();
  loadUnread();
  saveUnread();
  renderMe();
  show(true);
  state.view = isAdmin() ? "open" : "mine";
  $("views").querySelector('[data-view="mine"]').hidden = isAdmin();
  await refreshInbox();
  startLive();
  live.clock = setInterval(renderInbox, 30000);  // waiting times move on
}

function renderMe() {
  const agent = state.me.agent;
  $("who").textContent = agent ? `${agent.name} · ${agent.online ? "online" : "offline"}`
                               : "Administrator";
  $("status-toggle").hidden = !agent;
  $("saved-open").hidden = !(isAdmin() && has("canned"));
  $("gaps-open").hidden = !isAdmin();
  if (agent) $("status-toggle").textContent = agent.online ? "Go offline" : "Go online";
}

function signOut(message) {
  stopLive();
  clearInterval(live.clock);
  sessionStorage.removeItem("helpline-token");
  session.token = null;
  Object.assign(state, { me: null, ticket: null, detail: null, tickets: [], lastAt: null });
  state.itemNodes.clear();
  $("inbox").replaceChildren();
  $("ticket").hidden = true;
  $("customer-pane").hidden = true;
  $("no-ticket").hidden = false;
  document.title = TITLE;
  show(false);
  $("sign-in-error").textContent = typeof message === "string" ? message : "";
}

// --- live updates ---

function refreshSoon() {
  clearTimeout(live.pending);
  live.pending = setTimeout(async () => {
    await refreshInbox();
    if (state.ticket) await openTicket(state.ticket, false);
  }, 150);
}

function startPolling() {
  if (!live.timer) live.timer = setInterval(refreshSoon, POLL_MS);
}

async function readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^event: (ticket|counts)/m.test(block)) refreshSoon();
    }
  }
}

async function startLive() {
  if (!has("events")) return startPolling();
  live.abort = new AbortController();
  try {
    const response = await fetch("/api/v1/events", {
      headers: { Authorization: "Bearer " + session.token, Accept: "text/event-stream" },
      signal: live.abort.signal,
    });
    if (response.status === 404) { session.features.events = false; return startPolling(); }
    if (!response.ok) throw new Error("events " + response.status);
    clearInterval(live.timer); live.timer = null;
    await readEvents(response);
  } catch (_) {
    if (live.abort === null || live.abort.signal.aborted) return;
  }
  if (session.token) { startPolling(); setTimeout(() => { if (session.token) startLive(); }, 3000); }
}

function stopLive() {
  clearInterval(live.timer); live.timer = null;
  if (live.abort) { live.abort.abort(); live.abort = null; }
}

// --- the open ticket ---

function renderHandoff(handoff) {
  $("handoff").hidden = !handoff || !handoff.reason;
  if (!handoff) return;
  $("handoff-reason").textContent = handoff.reason;
  const sources = (handoff.sources || []).map((s) => s.title || s.id);
  $("handoff-sources").textContent = sources.length
    ? `The assistant looked at: ${sources.join(", ")}.` : "";
}

function renderCustomer(c) {
  $("customer-pane").hidden = false;
  $("customer-name").textContent = c.name || "Not on file";
  $("customer-phone").textContent = phoneText(c.phone);
  $("customer-email").textContent = c.email || "Not on file";
  $("customer-language").textContent = c.language ? languageName(c.language) : "Not known";
  const earlier = (c.earlier || []).filter((t) => t.ticket_id !== state.ticket);
  $("earlier").replaceChildren(...earlier.map((t) => {
    const li = el("li");
    li.append(el("span", "when", timeText(t.opened_at)), document.createTextNode(" · "),
              el("span", "", t.resolution ? "Resolved: " + t.resolution
                                          : (t.closed_at ? "Closed" : "Still open")));
    return li;
  }));
  $("earlier-empty").hidden = earlier.length > 0;
  $("earlier-empty").textContent = c.earlier === null ? "Not available yet." : "None.";
}

// Today's API has no customer history: the closed tickets of the same phone stand in.
async function legacyEarlier(d) {
  try {
    const closed = await api("GET", "/tickets?status=closed&limit=200");
    return closed.filter((t) => t.phone === d.phone);
  } catch (_) { return null; }
}

function languageName(code) {
  try { return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code; }
  catch (_) { return code; }
}

function renderTicketHead(d) {
  $("ticket-title").textContent = displayName(d);
  $("ticket-badge").textContent = STATUS_WORDS[d.status] || d.status;
  $("ticket-badge").className = "badge " + d.status;
  const who = d.agentName ? `Assigned to ${d.agentName}` : "Not assigned yet";
  const waiting = d.status === "closed" ? (d.resolution ? "Resolved: " + d.resolution : "")
                                        : waitingText(d.waitingSince);
  $("ticket-meta").textContent = [who, `opened ${timeText(d.openedAt)}`, waiting]
    .filter(Boolean).join(" · ");
}

function renderActions(d) {
  const mineNow = state.me.agent && d.agentId === state.me.agent.agent_id;
  const closed = d.status === "closed";
  const canWrite = !closed && (mineNow || isAdmin());
  $("reply-form").hidden = closed;
  $("reply-send").disabled = !canWrite;
  $("compose-mode").hidden = !has("notes");
  $("suggest").hidden = !has("suggestion") || closed;
  $("canned").hidden = !has("canned") || $("canned").options.length < 2 || closed;
  $("close-form").hidden = closed;
  $("reopen").hidden = !closed || !has("reopen");
  $("take").hidden = !(d.status === "queued" && state.me.agent && has("transfer"));
  $("transfer-form").hidden = closed || !has("transfer") || $("transfer-to").options.length < 1;
  $("priority-form").hidden = closed || !has("priority") || (!canWrite && d.status !== "queued");
  $("priority").value = d.priority;
  $("tab-history").hidden = !has("timeline");
  renderWindow(d, canWrite);
}

async function openTicket(ticketId, select) {
  let raw;
  try {
    raw = await api("GET", "/tickets/" + ticketId);
  } catch (error) {
    if (select) fail(error);
    else if (error.status === 403 || error.status === 404) leaveTicket();
    return;
  }
  const reset = state.ticket !== ticketId || select && !state.detail;
  if (select && state.ticket !== ticketId) {
    $("ticket-status").textContent = ""; $("ticket-error").textContent = "";
    showTab("conversation");
  }
  state.ticket = ticketId;
  const d = normDetail(raw);
  state.detail = d;
  $("no-ticket").hidden = true;
  $("ticket").hidden = false;
  renderTicketHead(d);
  renderHandoff(d.handoff);
  renderTranscript(d.entries, reset);
  if (d.customer.earlier === null && !has("counts")) d.customer.earlier = await legacyEarlier(d);
  renderCustomer(d.customer);
  renderActions(d);
  if (!document.hidden) markRead(ticketId);
  renderInbox();
  if (!$("history-view").hidden && !reset) loadTimeline();
}

/** The open ticket left this agent's hands (transferred, reassigned): close it, say why. */
function leaveTicket() {
  state.ticket = null;
  state.detail = null;
  $("ticket").hidden = true;
  $("no-ticket").hidden = false;
  $("no-ticket").textContent = "That conversation is no longer yours (it was transferred " +
    "or reassigned). Pick another from the inbox.";
  renderInbox();
}

// --- the history (audit timeline) ---

function showTab(which) {
  const history = which === "history";
  $("history-view").hidden = !history;
  $("conversation-view").hidden = history;
  $("tab-history").setAttribute("aria-pressed", String(history));
  $("tab-conversation").setAttribute("aria-pressed", String(!history));
  if (history) loadTimeline();
}

function actorText(actor) {
  if (actor === "customer") return "Customer";
  if (actor === "ai") return "AI assistant";
  if (actor === "admin") return "Administrator";
  if (actor && actor.startsWith("agent:")) return actor.slice(6);
  return "System";
}

async function loadTimeline() {
  let rows;
  try {
    rows = await api("GET", `/tickets/${state.ticket}/timeline`);
  } catch (error) {
    $("timeline").replaceChildren();
    $("timeline-empty").hidden = false;
    $("timeline-empty").textContent = error.message;
    return;
  }
  $("timeline-empty").hidden = rows.length > 0;
  $("timeline-empty").textContent = "Nothing recorded yet.";
  $("timeline").replaceChildren(...rows.map((r) => {
    const li = el("li");
    li.append(timeEl(r.at), el("span", "actor", actorText(r.actor)),
              el("span", "action", r.action));
    return li;
  }));
}
