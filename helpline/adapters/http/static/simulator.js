// The customer simulator: the conversation as the customer sees it on WhatsApp (their own
// messages and the replies, with times and ticks), kept per phone number in localStorage so
// a reload keeps it. A message that is refused says why, in words, and is marked not sent.
"use strict";
const LIMIT = 4096;
const $ = (id) => document.getElementById(id);
const base = location.pathname.replace(/\/$/, "");  // the page is served at <prefix>/simulator
// ``epoch`` counts the times the replies were forgotten (a phone switch): a poll sent before
// is stale, even when the page has come back to the same phone.
const view = { phone: null, mine: [], replies: [], lastSeq: 0, timer: null, epoch: 0 };

function digits(phone) { return String(phone).replace(/\D/g, "").replace(/^00/, ""); }
function storageKey() { return "helpline-simulator:" + digits(view.phone); }
function save() { localStorage.setItem(storageKey(), JSON.stringify(view.mine)); }
function nice(n) { return Number(n).toLocaleString("en-US"); }

function load() {
  try { view.mine = JSON.parse(localStorage.getItem(storageKey()) || "[]"); }
  catch (_) { view.mine = []; }
  view.replies = []; view.lastSeq = 0; view.epoch += 1;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(iso) {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? "" :
    at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

// One sentence from any error answer (never "[object Object]", never a JSON dump).
function readable(status, data) {
  const detail = data && data.detail;
  if (typeof detail === "string") return detail.length > 200 ? detail.slice(0, 197) + "…" : detail;
  if (Array.isArray(detail) && detail.length) {
    const msg = String(detail[0].msg || "");
    const most = /at most (\d+) characters/.exec(msg);
    return most ? `Too long: WhatsApp allows ${nice(most[1])} characters.` : "The message was refused.";
  }
  return status ? `The message was refused (HTTP ${status}).` : "The help desk cannot be reached.";
}

function tick(message) {
  if (message.state === "sending") return "sending…";
  if (message.state === "failed") return "Not sent: " + message.error;
  const answered = view.replies.some((r) => r.in_reply_to && r.in_reply_to === message.wamid);
  return answered ? "✓✓ Delivered" : "✓ Sent";
}

function render() {
  const lines = [...view.mine.map((m) => ({ ...m, mine: true })),
                 ...view.replies.map((r) => ({ ...r, mine: false }))]
    .sort((a, b) => String(a.at).localeCompare(String(b.at)));
  $("chat").replaceChildren(...lines.map((line) => {
    const li = el("li", "bubble " + (line.mine ? "me" : "them") +
                        (line.state === "failed" ? " not-sent" : ""));
    const long = line.text.length > 600;
    li.append(el("span", "text", long ? line.text.slice(0, 600) + "…" : line.text));
    const meta = el("div", "meta");
    if (line.mine) {
      meta.append(el("time", "", clock(line.at)), document.createTextNode(" "));
      meta.append(el("span", "tick",
                     tick(line)));
    } else {
      meta.append(document.createTextNode("Help desk · "), el("time", "", clock(line.at)));
    }
    li.append(meta);
    return li;
  }));
  $("empty").hidden = lines.length > 0;
  window.scrollTo(0, document.body.scrollHeight);
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  const message = { id: String(Date.now()) + Math.random(), text, at: new Date().toISOString(),
                    state: "sending" };
  view.mine.push(message);
  $("text").value = "";
  counter();
  if (text.length > LIMIT) {
    Object.assign(message, { state: "failed",
      error: `the message is ${nice(text.length)} characters; WhatsApp allows ${nice(LIMIT)}.` });
  } else {
    render();
    await deliver(message, text);
  }
  $("status").textContent = message.state === "failed" ? "Not sent: " + message.error : "";
  save();
  render();
}

async function deliver(message, text) {
  try {
    const response = await fetch(`${base}/send`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ phone: $("phone").value, text, name: $("name").value }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok) Object.assign(message, { state: "sent", wamid: data.wamid });
    else Object.assign(message, { state: "failed", error: readable(response.status, data) });
  } catch (_) {
    Object.assign(message, { state: "failed", error: "the help desk cannot be reached." });
  }
}

async function poll() {
  clearTimeout(view.timer);
  if (digits($("phone").value) !== digits(view.phone)) switchPhone();
  const phone = view.phone, epoch = view.epoch;
  if (digits(phone).length >= 8) {
    try {
      const response = await fetch(`${base}/replies?phone=${encodeURIComponent(phone)}` +
                                   `&after=${view.lastSeq}`);
      const data = await response.json().catch(() => ({}));
      // Polls overlap (the timer's and a phone change's): a reply another poll has shown
      // already is skipped, and so is an answer to a poll sent before a phone switch.
      const fresh = response.ok && epoch === view.epoch
        ? data.replies.filter((reply) => reply.seq > view.lastSeq) : [];
      for (const reply of fresh) {
        view.lastSeq = Math.max(view.lastSeq, reply.seq);
        view.replies.push({ text: reply.text, at: reply.at || new Date().toISOString(),
                            in_reply_to: reply.in_reply_to });
      }
      if (fresh.length) render();
    } catch (_) { /* the next poll tries again */ }
  }
  clearTimeout(view.timer);
  view.timer = setTimeout(poll, 1000);
}

function switchPhone() {
  view.phone = $("phone").value;
  localStorage.setItem("helpline-simulator-phone", view.phone);
  load();
  render();
}

function counter() {
  const n = $("text").value.length;
  $("counter").textContent = `${nice(n)} / ${nice(LIMIT)}`;
  $("counter").className = "counter" + (n > LIMIT ? " over" : "");
}

$("composer").addEventListener("submit", send);
$("text").addEventListener("input", counter);
$("phone").addEventListener("change", () => poll());
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("phone").value = localStorage.getItem("helpline-simulator-phone") || $("phone").value;
switchPhone();
poll();
