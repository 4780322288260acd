// helpline agent console, part 2: the conversation, drawn incrementally. Each line keeps its
// DOM node (keyed by the entry's id) across updates, so text selection and the scroll
// position survive; new lines scroll into view unless the agent has scrolled up.
"use strict";

const transcriptNodes = new Map();
const FOLLOW_PX = 48;

function timeText(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const today = new Date().toDateString() === at.toDateString();
  const hm = at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return today ? hm : `${at.toLocaleDateString("en-GB", { day: "numeric", month: "short" })}, ${hm}`;
}

function timeEl(iso) {
  const node = el("time", "at", timeText(iso));
  node.dateTime = iso;
  node.title = new Date(iso).toLocaleString("en-GB");
  return node;
}

function authorLabel(entry) {
  switch (entry.author) {
    case "customer": return "Customer";
    case "ai": return "AI assistant";
    case "agent": return entry.authorName ? `${entry.authorName} (agent)` : "Agent";
    case "note": return `Internal note${entry.authorName ? " · " + entry.authorName : ""}`;
    default: return "System";
  }
}

const TICKS = {
  sent: ["✓", "Sent"], delivered: ["✓✓", "Delivered"], read: ["✓✓", "Read"],
  failed: ["!", "Not delivered"],
};

function systemText(entry) {
  const assigned = /^Agent (.+) assigned$/.exec(entry.text);
  if (entry.kind === "agent_assigned" && assigned) return `Assigned to ${assigned[1]}`;
  return entry.text;
}

// What a line looks like, as [className, label, text, ticks]: drawn again only if changed.
function look(entry, ticketNumber) {
  if (entry.kind === "ticket_opened" || entry.kind === "marker") {
    return ["marker", `Ticket ${ticketNumber} opened`, "", null];
  }
  if (entry.author === "system" || ["agent_assigned", "ticket_closed", "ticket_reopened",
                                     "system"].includes(entry.kind)) {
    return [entry.kind === "send_failed" ? "system failed" : "system", "", systemText(entry),
            null];
  }
  const failed = entry.delivery === "failed";
  const className = `bubble ${entry.author}${failed ? " failed" : ""}`;
  return [className, authorLabel(entry), entry.text, entry.delivery];
}

function drawLine(node, entry, shape) {
  const [className, label, text, delivery] = shape;
  node.className = "entry " + className;
  if (className === "marker") {
    node.replaceChildren(el("span", "marker-text", label), document.createTextNode(" · "),
                         timeEl(entry.at));
    return;
  }
  const head = el("div", "who");
  if (label) head.append(el("span", "label", label), document.createTextNode(" · "));
  head.append(timeEl(entry.at));
  const body = el("div", "text", text);
  node.replaceChildren(head, body);
  if (entry.media) {  // a customer's file (media.js); "[image]" and the like say nothing more
    node.insertBefore(mediaEl(entry.media), body);
    if (/^\[[a-z ]+(:.*)?\]$/.test(text)) body.remove();
  }
  if (delivery) {
    const [mark, word] = TICKS[delivery] || ["", delivery];
    const ticks = el("div", `ticks ${delivery}`);
    ticks.append(el("span", "tick-mark", mark), document.createTextNode(" " + word));
    if (delivery === "failed" && entry.failureReason) {
      ticks.append(document.createTextNode(": " + entry.failureReason));
    }
    node.append(ticks);
  }
}

// The lines to show, with a marker wherever a ticket starts without its own "opened" line.
function withMarkers(entries) {
  const out = [];
  const seen = new Set();
  let number = 0;
  for (const entry of entries) {
    if (entry.kind === "ticket_opened") {
      seen.add(entry.ticketId); number += 1;
      out.push([entry, number]);
      continue;
    }
    if (entry.ticketId && !seen.has(entry.ticketId)) {
      seen.add(entry.ticketId); number += 1;
      out.push([{ id: "marker-" + entry.ticketId, kind: "marker", at: entry.at }, number]);
    }
    out.push([entry, number]);
  }
  return out;
}

/** Whether the agent is at the newest line (so new lines and a resized pane keep it there). */
let transcriptFollowing = true;

/** Show ``entries`` (already normalised); ``reset`` when another ticket was opened. */
function renderTranscript(entries, reset) {
  const box = $("transcript");
  const follow = reset || transcriptFollowing;
  if (reset) { box.replaceChildren(); transcriptNodes.clear(); }
  const wanted = new Set();
  let added = 0;
  withMarkers(entries).forEach(([entry, number], index) => {
    wanted.add(entry.id);
    const shape = look(entry, number);
    const signature = JSON.stringify([shape, entry.at, entry.failureReason, entry.media]);
    let node = transcriptNodes.get(entry.id);
    if (!node) {
      node = el("li");
      node.dataset.entryId = entry.id;
      transcriptNodes.set(entry.id, node);
      added += 1;
    }
    if (node.dataset.signature !== signature) {
      drawLine(node, entry, shape);
      node.dataset.signature = signature;
    }
    if (box.children[index] !== node) box.insertBefore(node, box.children[index] || null);
  });
  for (const [id, node] of transcriptNodes) {
    if (!wanted.has(id)) { node.remove(); transcriptNodes.delete(id); }
  }
  if (follow) {  // also when a line only changed (a tick, a longer text): stay at the end
    box.scrollTop = box.scrollHeight;
    transcriptFollowing = true;
  } else if (added) {
    $("new-below").hidden = false;
  }
}

/** Keep the newest line in view when the pane changes size while the agent follows. */
function watchTranscriptSize() {
  const box = $("transcript");
  new ResizeObserver(() => {
    if (transcriptFollowing) box.scrollTop = box.scrollHeight;
  }).observe(box);
}

function followTranscript() {
  const box = $("transcript");
  box.scrollTop = box.scrollHeight;
  transcriptFollowing = true;
  $("new-below").hidden = true;
}

function onTranscriptScroll() {
  const box = $("transcript");
  transcriptFollowing = box.scrollHeight - box.scrollTop - box.clientHeight < FOLLOW_PX;
  if (transcriptFollowing) $("new-below").hidden = true;
}
