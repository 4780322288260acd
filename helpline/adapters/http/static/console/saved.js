// Saved replies, managed by an administrator: list, add or change (PUT), delete. Agents
// insert them from the reply box (actions.js), with the placeholders filled in.
"use strict";

const SAVED_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

function savedSay(text, isError) {
  $("saved-status").textContent = isError ? "" : text;
  $("saved-error").textContent = isError ? text : "";
}

async function renderSaved() {
  let replies;
  try {
    replies = await api("GET", "/canned-replies");
  } catch (error) { return savedSay(error.message, true); }
  $("saved-empty").hidden = replies.length > 0;
  $("saved-list").replaceChildren(...replies.map((r) => {
    const li = el("li");
    const edit = el("button", "link", "Edit");
    edit.type = "button";
    edit.setAttribute("aria-label", `Edit ${r.title}`);
    edit.addEventListener("click", () => {
      $("saved-id").value = r.id; $("saved-name").value = r.title; $("saved-text").value = r.text;
      $("saved-text").focus();
    });
    const remove = el("button", "link", "Delete");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete ${r.title}`);
    remove.addEventListener("click", () => deleteSaved(r));
    li.append(el("strong", "", r.title), el("span", "saved-text", r.text), edit, remove);
    return li;
  }));
}

async function saveSaved(event) {
  event.preventDefault();
  const id = $("saved-id").value.trim().toLowerCase();
  const title = $("saved-name").value.trim();
  const text = $("saved-text").value.trim();
  if (!SAVED_ID.test(id)) {
    return savedSay("Use a short name of lower-case letters, digits and hyphens, " +
                    "like refund-on-its-way.", true);
  }
  if (!title || !text) return savedSay("Give the saved reply a title and a text.", true);
  try {
    await api("PUT", `/canned-replies/${id}`, { title, text });
  } catch (error) { return savedSay(error.message, true); }
  $("saved-form").reset();
  savedSay(`Saved “${title}”.`, false);
  await renderSaved();
  await loadCanned();
}

async function deleteSaved(reply) {
  try {
    await api("DELETE", `/canned-replies/${reply.id}`);
  } catch (error) { return savedSay(error.message, true); }
  savedSay(`Deleted “${reply.title}”.`, false);
  await renderSaved();
  await loadCanned();
}

setUpDialog("saved", savedSay, renderSaved);
$("saved-form").addEventListener("submit", saveSaved);
