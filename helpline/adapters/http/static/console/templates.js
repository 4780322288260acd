// helpline agent console, part 4b: WhatsApp's 24-hour customer service window. When the
// customer last wrote more than 24 hours ago, the reply box says so and offers the approved
// message templates (synced from the Graph API), their parameters pre-filled where the
// server knows them (the customer's name); free text is allowed again once they answer.
"use strict";

const windowState = { ticket: null, data: null, chosen: null };

function templateKey(t) { return `${t.name}|${t.language}`; }

function fillTemplate(text, values) {
  return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n) => values[Number(n) - 1] || whole);
}

function templateInputs(kind) {
  return [...document.querySelectorAll(`#template-fields input[data-kind="${kind}"]`)]
    .map((input) => input.value.trim());
}

function renderTemplatePreview() {
  const t = windowState.chosen;
  if (!t) { $("template-preview").textContent = ""; return; }
  $("template-preview").textContent = fillTemplate(t.text, templateInputs("body"));
}

function chooseTemplate() {
  const data = windowState.data;
  const t = data && data.templates.find((x) => templateKey(x) === $("template-pick").value);
  windowState.chosen = t || null;
  const fields = [];
  for (const kind of ["header", "body"]) {
    const count = t ? t[`${kind}_parameters`] : 0;
    for (let i = 0; i < count; i += 1) {
      const input = el("input");
      input.id = `template-${kind}-${i + 1}`;
      input.dataset.kind = kind;
      input.value = ((t.prefill || {})[kind] || [])[i] || "";
      input.placeholder = kind === "body" && t.examples[i] ? `e.g. ${t.examples[i]}` : "";
      input.addEventListener("input", renderTemplatePreview);
      const label = el("label", "", `${kind === "body" ? "Text" : "Header"} {{${i + 1}}}`);
      label.htmlFor = input.id;
      fields.push(wrap(label, input));
    }
  }
  $("template-fields").replaceChildren(...fields);
  renderTemplatePreview();
}

function wrap(label, input) {
  const div = el("div", "template-field");
  div.append(label, input);
  return div;
}

function showWindow(data, canWrite) {
  const closed = data && !data.open;
  $("window-box").hidden = !closed;
  const blocked = Boolean(closed) && mode() === "reply";
  $("reply-text").disabled = blocked;
  if (blocked) $("reply-send").disabled = true;
  else if (windowState.canWrite !== undefined) $("reply-send").disabled = !windowState.canWrite;
  $("reply-text").placeholder = blocked
    ? "Free text cannot reach the customer now: send a template instead."
    : "Write to the customer. Ctrl+Enter sends.";
  if (!closed) return;
  $("window-note").textContent = data.message;
  $("template-send").disabled = !canWrite;
  const select = $("template-pick");
  const before = select.value;
  select.replaceChildren(...data.templates.map((t) => {
    const option = el("option", "", `${t.name} (${t.language})`);
    option.value = templateKey(t);
    return option;
  }));
  $("template-empty").hidden = data.templates.length > 0;
  if (data.templates.some((t) => templateKey(t) === before)) select.value = before;
  if (!windowState.chosen || templateKey(windowState.chosen) !== select.value) chooseTemplate();
}

/** Called by renderActions for the open ticket: ask the server about the window. */
async function renderWindow(d, canWrite) {
  if (!has("window") || d.status === "closed") { $("window-box").hidden = true; return; }
  if (windowState.ticket !== state.ticket) {
    Object.assign(windowState, { ticket: state.ticket, data: null, chosen: null });
  }
  windowState.canWrite = canWrite;
  try {
    windowState.data = await api("GET", `/tickets/${state.ticket}/window`);
  } catch (_) { return; }  // the reply box stays as it is; a free text reply still says why
  showWindow(windowState.data, canWrite);
}

async function sendTemplate() {
  const t = windowState.chosen;
  if (!t || !state.ticket) return fail("Choose a template first.");
  try {
    await api("POST", `/tickets/${state.ticket}/template-replies`, {
      name: t.name, language: t.language, header: templateInputs("header"),
      body: templateInputs("body"),
    }, { "Idempotency-Key": newKey() });
  } catch (error) { return fail(error); }
  say("Template sent.");
  refreshSoon();
}

async function refreshTemplates() {
  try {
    await api("POST", "/templates/refresh");
  } catch (error) { return fail(error); }
  say("Templates refreshed.");
  windowState.chosen = null;
  refreshSoon();
}

function setUpTemplates() {
  $("template-pick").addEventListener("change", chooseTemplate);
  $("template-send").addEventListener("click", sendTemplate);
  $("template-refresh").addEventListener("click", refreshTemplates);
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => showWindow(windowState.data, windowState.canWrite));
  }
}
