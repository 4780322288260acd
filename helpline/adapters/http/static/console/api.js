// helpline agent console, part 1: talking to /api/v1. Every error becomes one readable
// sentence (never a JSON dump, never the input echoed); every answer is normalised into
// the shape of the console contract, so the page works with today's API and the new one.
"use strict";

const LIMIT = 4096;
const session = { token: null, features: null };

class ApiError extends Error {
  constructor(status, sentence) { super(sentence); this.status = status; }
}

function nice(n) { return Number(n).toLocaleString("en-US"); }

function sentence(text) {
  let s = String(text).replace(/\s+/g, " ").trim();
  if (s.length > 200) s = s.slice(0, 197) + "…";
  if (!s) return "Something went wrong.";
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?…]$/.test(s) ? s : s + ".";
}

// One validation problem (pydantic's or our guards') in words, never with its input.
function problemSentence(problem) {
  const msg = String(problem.msg || problem.problem || "is not valid");
  const loc = problem.loc ? problem.loc.filter((p) => p !== "body").join(" ")
                          : String(problem.field || "");
  const most = /at most (\d+) characters/.exec(msg);
  if (most && /^(text)?$/.test(loc)) {
    return `The text is too long: WhatsApp allows ${nice(most[1])} characters`;
  }
  if (most) return `The ${loc} is too long: use at most ${nice(most[1])} characters`;
  const least = /at least (\d+) character/.exec(msg);
  if (least) return loc ? `Please fill in the ${loc}` : "Please write something first";
  const own = msg.replace(/^value error, /i, "");
  if (/^[A-Z].*[.!?]$/.test(own)) return own;  // the server's own sentence: keep it as it is
  return loc ? `The ${loc} ${own.toLowerCase()}` : own;
}

/** What went wrong, in one sentence, from any error answer. */
function errorSentence(status, data) {
  const detail = data && data.detail;
  if (typeof detail === "string") {
    if (/too long|at most \d+ characters/i.test(detail) && /text/i.test(detail)) {
      const n = /at most (\d+)/.exec(detail);
      return sentence(`The text is too long: WhatsApp allows ${nice(n ? n[1] : LIMIT)} characters`);
    }
    return sentence(detail);
  }
  if (Array.isArray(detail) && detail.length) return sentence(problemSentence(detail[0]));
  if (Array.isArray(data && data.errors) && data.errors.length) {
    return sentence(problemSentence(data.errors[0]));
  }
  if (status === 401) return "Your sign-in is no longer valid. Please sign in again.";
  if (status === 403) return "You are not allowed to do this.";
  if (status === 404) return "This is not available.";
  if (status === 413) return "That is too large to send.";
  if (status >= 500) return "The server had a problem. Please try again in a moment.";
  return `The request failed (HTTP ${status}).`;
}

async function api(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch("/api/v1" + path, {
      method,
      headers: { Authorization: "Bearer " + session.token, "Content-Type": "application/json",
                 ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (_) {
    throw new ApiError(0, "The server cannot be reached. Check your connection.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, errorSentence(response.status, data));
  return data;
}

// Which optional endpoints the server has, from its OpenAPI document (all, if unreadable).
async function discoverFeatures() {
  const wanted = {
    counts: "/api/v1/tickets/counts", events: "/api/v1/events",
    notes: "/api/v1/tickets/{ticket_id}/notes", preview: "/api/v1/tickets/{ticket_id}/replies/preview",
    transfer: "/api/v1/tickets/{ticket_id}/transfer", reopen: "/api/v1/tickets/{ticket_id}/reopen",
    canned: "/api/v1/canned-replies", suggestion: "/api/v1/tickets/{ticket_id}/suggestion",
    timeline: "/api/v1/tickets/{ticket_id}/timeline",
    window: "/api/v1/tickets/{ticket_id}/window",
    priority: "/api/v1/tickets/{ticket_id}/priority",
  };
  const features = {};
  try {
    const response = await fetch("/openapi.json");
    const paths = (await response.json()).paths || {};
    const known = Object.keys(paths).map((p) => p.replace(/\{[^}]+\}/g, "{ticket_id}"));
    for (const [name, path] of Object.entries(wanted)) features[name] = known.includes(path);
  } catch (_) {
    for (const name of Object.keys(wanted)) features[name] = true;
  }
  session.features = features;
  return features;
}

function has(feature) { return Boolean(session.features && session.features[feature]); }

// A reason the AI handed over, in words an agent reads (never thresholds or scores).
function plainReason(reason) {
  if (!reason) return "";
  if (/threshold|score|passes|<|>|\d\.\d\d/i.test(reason)) {
    return "The assistant found no answer in the knowledge base.";
  }
  if (/asked for a person/i.test(reason)) return "The customer asked to talk to a person.";
  if (/no answer in the knowledge base/i.test(reason)) {
    return "The assistant found no answer in the knowledge base.";
  }
  return sentence(reason);
}

function statusOf(t) {
  if (t.status === "open") return t.agent_id ? "assigned" : "queued";
  return t.status;
}

/** An inbox item, whichever API answered. */
function normTicket(t) {
  return {
    id: t.ticket_id, conversationId: t.conversation_id, status: statusOf(t),
    name: t.customer_name || t.profile_name || null, phone: t.phone, agentId: t.agent_id || null,
    agentName: t.agent_name || null, openedAt: t.opened_at, closedAt: t.closed_at || null,
    resolution: t.resolution || null, waitingSince: t.waiting_since || null,
    lastAt: t.last_message_at || t.last_customer_at || t.opened_at,
    preview: t.last_message_preview || t.last_customer_text || "",
    language: t.language || null, priority: t.priority || "normal",
  };
}

function legacyKind(turn) {
  if (turn.author !== "system") return "message";
  if (turn.text === "Ticket opened") return "ticket_opened";
  if (/^Agent .+ assigned$/.test(turn.text)) return "agent_assigned";
  if (/^Ticket closed/.test(turn.text)) return "ticket_closed";
  if (/^Reply not delivered/.test(turn.text)) return "send_failed";
  return "system";
}

function normEntry(turn, ticket) {
  const kind = turn.kind || legacyKind(turn);
  const legacyTicket = ["ticket_opened", "agent_assigned", "ticket_closed"].includes(kind)
    ? turn.message_id : null;
  return {
    id: String(turn.id !== undefined ? turn.id : "seq-" + turn.seq), author: turn.author,
    authorName: turn.author_name || (turn.author === "agent" ? ticket.agent_name : null) || null,
    text: turn.text, at: turn.at, kind,
    ticketId: turn.ticket_id !== undefined ? turn.ticket_id : legacyTicket,
    delivery: turn.delivery || (kind === "send_failed" ? "failed" : null),
    failureReason: turn.failure_reason || null,
    media: turn.media || null,
  };
}

// "Agent assigned" belongs after the "Ticket opened" of its ticket.
function inOrder(entries) {
  const out = entries.slice();
  for (let i = 0; i + 1 < out.length; i++) {
    const [a, b] = [out[i], out[i + 1]];
    if (a.kind === "agent_assigned" && b.kind === "ticket_opened" && a.ticketId === b.ticketId) {
      out[i] = b; out[i + 1] = a;
    }
  }
  return out;
}

/** A ticket with its transcript, hand-off and customer, whichever API answered. */
function normDetail(t) {
  const item = normTicket(t);
  const entries = inOrder((t.transcript || []).map((turn) => normEntry(turn, t)));
  const handoff = t.handoff ? { reason: plainReason(t.handoff.reason),
                                sources: t.handoff.sources || [] }
    : (t.reason ? { reason: plainReason(t.reason), sources: [] } : null);
  const c = t.customer || {};
  const customer = { name: c.name || t.customer_name || c.profile_name || null,
                     phone: c.phone || t.phone, email: c.email || null,
                     language: c.language || t.language || null,
                     earlier: c.earlier_tickets || null };
  return { ...item, entries, handoff, customer };
}
