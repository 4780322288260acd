// Knowledge-base gaps, for an administrator: the questions the AI handed over, grouped by
// similarity (GET /admin/kb-gaps), biggest group first, each with why it was handed over
// and its tickets, so the business can add what its knowledge base lacks where it fails most.
"use strict";

function gapsSay(text, isError) {
  $("gaps-status").textContent = isError ? "" : text;
  $("gaps-error").textContent = isError ? text : "";
}

function drawGap(group) {
  const li = el("li", "gap");
  const head = el("p", "gap-head");
  head.append(el("strong", "gap-size", `${group.size} ×`), " ",
              el("span", "gap-question", `“${group.representative}”`));
  li.append(head);
  const about = [];
  if (group.words.length) about.push("Shared words: " + group.words.join(", "));
  if (group.languages.length) about.push(group.languages.map(languageName).join(", "));
  if (about.length) li.append(el("p", "gap-about", about.join(" · ")));
  if (group.reasons.length) li.append(el("p", "gap-reason", group.reasons[0]));
  const others = group.questions.filter((q) => q !== group.representative);
  if (others.length) {
    const list = el("ul", "gap-others");
    list.append(...others.map((q) => el("li", "", `“${q}”`)));
    li.append(list);
  }
  const tickets = el("p", "gap-tickets");
  tickets.append(group.tickets.length === 1 ? "Ticket: " : "Tickets: ");
  group.tickets.forEach((id, n) => {
    const open = el("button", "link", `#${n + 1}`);
    open.type = "button";
    open.setAttribute("aria-label", `Open ticket ${n + 1} of “${group.representative}”`);
    open.addEventListener("click", async () => {
      $("gaps-dialog").close();
      await openTicket(id, true);
    });
    tickets.append(open, " ");
  });
  li.append(tickets);
  return li;
}

async function renderGaps() {
  let gaps;
  gapsSay("Grouping the questions…", false);
  try {
    gaps = await api("GET", "/admin/kb-gaps");
  } catch (error) {
    $("gaps-list").replaceChildren();
    $("gaps-empty").hidden = true;
    return gapsSay(error.message, true);
  }
  $("gaps-empty").hidden = gaps.groups.length > 0;
  $("gaps-list").replaceChildren(...gaps.groups.map(drawGap));
  const by = gaps.grouped_by === "meaning" ? "by meaning, across languages" : "by their words";
  const many = (n, one, more) => `${n} ${n === 1 ? one : more}`;
  const people = gaps.person_requests ? ` ${many(gaps.person_requests, "more customer",
    "more customers")} asked for a person.` : "";
  const late = gaps.late_answers ? ` ${many(gaps.late_answers, "more was", "more were")} ` +
    "handed over because the customer's 24-hour window had closed." : "";
  gapsSay((gaps.questions ? `${many(gaps.questions, "handed-over question",
    "handed-over questions")} in ${many(gaps.groups.length, "group", "groups")}, ` +
           `grouped ${by}.` : "") + people + late, false);
}

setUpDialog("gaps", gapsSay, renderGaps);
