// helpline agent console, part 5: what the agent does. Reply (Ctrl+Enter, a counter with
// WhatsApp's 4,096 limit), internal notes, saved replies with placeholders, the AI's
// suggested reply, transfer, close with a resolution, reopen. Then the page starts.
"use strict";

function mode() { return document.querySelector('input[name="mode"]:checked').value; }

let previewTimer = null;
function updateCounter() {
  const text = $("reply-text").value;
  const n = text.length;
  const over = n > LIMIT && mode() === "reply";
  $("counter").textContent = `${nice(n)} / ${nice(LIMIT)}`;
  $("counter").className = "counter" + (over ? " over" : "");
  $("counter").title = over ? `Over WhatsApp's limit of ${nice(LIMIT)} characters` : "";
  clearTimeout(previewTimer);
  if (over && has("preview") && state.ticket) {
    previewTimer = setTimeout(async () => {
      try {
        const answer = await api("POST", `/tickets/${state.ticket}/replies/preview`, { text });
        // The agent may have changed the text while the preview was on its way.
        if ($("reply-text").value === text) {
          $("counter").textContent += ` · sent as ${answer.parts.length} messages`;
        }
      } catch (_) { /* the counter alone says enough */ }
    }, 300);
  }
  $("reply-text").classList.toggle("note", mode() === "note");
  $("reply-send").textContent = mode() === "note" ? "Add note" : "Send";
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
}

async function sendReply(event) {
  event.preventDefault();
  const text = $("reply-text").value.trim();
  if (!state.ticket) return;
  if (!text) return fail("Write something first.");
  const note = mode() === "note";
  if (!note && text.length > LIMIT && !has("preview")) {
    return fail(`The reply is ${nice(text.length)} characters; WhatsApp allows ` +
                `${nice(LIMIT)}. Shorten it or send it in parts.`);
  }
  try {
    if (note) {
      await api("POST", `/tickets/${state.ticket}/notes`, { text });
    } else {
      // One key per submission: a retried request never sends the answer twice.
      // An attached file (media.js) is uploaded first and named in the reply.
      await api("POST", `/tickets/${state.ticket}/replies`, await replyBody(text),
                { "Idempotency-Key": newKey() });
    }
  } catch (error) {
    if (error.status === 404 && note) session.features.notes = false;
    return fail(error);
  }
  $("reply-text").value = "";
  if (!note) clearAttachment();
  $("suggest-note").hidden = true;
  updateCounter();
  say(note ? "Note added." : "Sent.");
  refreshSoon();
}

async function loadCanned() {
  if (!has("canned")) return;
  try {
    const replies = await api("GET", "/canned-replies");
    const select = $("canned");
    select.replaceChildren(select.options[0]);
    for (const r of replies) {
      const option = el("option", "", r.title);
      option.value = r.text;
      select.append(option);
    }
  } catch (_) { session.features.canned = false; }
}

function fillPlaceholders(text) {
  const d = state.detail || {};
  const values = { customer_name: (d.customer && d.customer.name) || "",
                   agent_name: (state.me.agent && state.me.agent.name) || "",
                   phone: phoneText(d.phone) };
  return text.replace(/\{(customer_name|agent_name|phone)\}/g, (_, key) => values[key]);
}

function insertCanned() {
  const select = $("canned");
  if (!select.value) return;
  const box = $("reply-text");
  box.value = (box.value ? box.value + "\n" : "") + fillPlaceholders(select.value);
  select.value = "";
  box.focus();
  updateCounter();
}

async function suggest() {
  $("suggest-note").hidden = false;
  $("suggest-note").textContent = "Asking the assistant…";
  let answer;
  try {
    answer = await api("GET", `/tickets/${state.ticket}/suggestion`);
  } catch (error) {
    $("suggest-note").textContent = error.message;
    return;
  }
  if (!answer.text) {
    $("suggest-note").textContent = "No suggestion: " + plainReason(answer.reason || "");
    return;
  }
  document.querySelector('input[name="mode"][value="reply"]').checked = true;
  $("reply-text").value = answer.text;
  updateCounter();
  const from = (answer.sources || []).join(", ");
  $("suggest-note").textContent = "Draft from the knowledge base" + (from ? ` (${from})` : "") +
    ". Check and edit it, then send.";
  $("reply-text").focus();
}

async function ticketAction(path, body, done) {
  try {
    await api("POST", `/tickets/${state.ticket}/${path}`, body);
  } catch (error) {
    return fail(error);
  }
  say(done);
  refreshSoon();
}

async function loadAgents() {
  if (!has("transfer")) return;
  try {
    const agents = await api("GET", "/agents/colleagues");
    const me = state.me.agent ? state.me.agent.agent_id : null;
    $("transfer-to").replaceChildren(...agents.filter((a) => a.agent_id !== me).map((a) => {
      const option = el("option", "", `${a.name}${a.online ? "" : " (offline)"}`);
      option.value = a.agent_id;
      return option;
    }));
  } catch (_) { $("transfer-to").replaceChildren(); }
}

function setUpActions() {
  $("reply-form").addEventListener("submit", sendReply);
  $("reply-text").addEventListener("input", () => {
    $("ticket-error").textContent = "";
    updateCounter();
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", updateCounter);
  }
  $("canned").addEventListener("change", insertCanned);
  $("suggest").addEventListener("click", suggest);
  $("close-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const resolution = $("resolution").value.trim();
    if (!resolution) return fail("Write how the ticket was resolved before closing it.");
    $("resolution").value = "";
    ticketAction("close", { resolution }, "Ticket closed.");
  });
  $("reopen").addEventListener("click", () => ticketAction("reopen", {}, "Ticket reopened."));
  $("take").addEventListener("click", () =>
    ticketAction("transfer", { agent_id: state.me.agent.agent_id }, "The ticket is yours now."));
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const select = $("transfer-to");
    const name = select.options[select.selectedIndex].textContent;
    ticketAction("transfer", { agent_id: select.value }, `Transferred to ${name}.`);
  });
  $("priority").addEventListener("change", () => {
    const select = $("priority");
    ticketAction("priority", { priority: select.value },
                 `Priority set to ${select.options[select.selectedIndex].textContent.toLowerCase()}.`);
  });
  $("tab-conversation").addEventListener("click", () => showTab("conversation"));
  $("tab-history").addEventListener("click", () => showTab("history"));
  $("new-below").addEventListener("click", followTranscript);
  $("transcript").addEventListener("scroll", onTranscriptScroll);
  watchTranscriptSize();
}

async function toggleStatus() {
  const online = !state.me.agent.online;
  try {
    await api("PUT", "/agents/me/status", { status: online ? "online" : "offline" });
    state.me = await api("GET", "/me");
  } catch (error) { return fail(error); }
  renderMe();
  refreshInbox();
}

function boot() {
  setUpInbox();
  setUpActions();
  setUpTemplates();
  $("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    await signIn($("token").value.trim());
    if (session.token) { loadCanned().then(() => state.detail && renderActions(state.detail)); loadAgents(); }
  });
  $("status-toggle").addEventListener("click", toggleStatus);
  $("sign-out").addEventListener("click", () => signOut());
  updateCounter();
  const saved = sessionStorage.getItem("helpline-token");
  if (saved) {
    signIn(saved).then(() => { if (session.token) { loadCanned(); loadAgents(); } });
  } else {
    show(false);
  }
}

boot();
