"""The agent console's inbox, conversation pane and agent actions as a person sees them, in
real headless Chromium: the admin's queue with counts, assignees and waiting times; search;
the hand-off reason, delivery ticks and the customer panel; notes, suggested and saved
replies, transfer, close and reopen; the audit history. The tests share one seeded server
and run in file order (the transfer at the end frees Marta, so the queue is looked at first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import TOM, ConsoleServer, console_server

pytestmark = pytest.mark.e2e

#: ``inboxIs`` waits for an inbox of exactly ``names``, ``inboxLacks`` for one without ``name``.
HELPERS = r"""
async function items(page) {
  return page.$$eval("#inbox li", (lis) => lis.map((li) => ({
    name: li.querySelector(".name").textContent,
    assignee: (li.querySelector(".assignee") || {}).textContent || "",
    waiting: (li.querySelector(".waiting") || {}).textContent || "",
    badge: li.querySelector(".item-top .badge").textContent })));
}
async function inboxIs(page, names) {
  await page.waitForFunction((wanted) => {
    const got = [...document.querySelectorAll("#inbox li .name")].map((n) => n.textContent);
    return got.length === wanted.length && wanted.every((w) => got.some((g) => g.includes(w)));
  }, names, { timeout: 10000 });
  return items(page);
}
async function inboxLacks(page, name) {
  await page.waitForFunction((n) => ![...document.querySelectorAll("#inbox li .name")]
    .some((node) => node.textContent.includes(n)), name, { timeout: 10000 });
  return items(page);
}
async function counts(page) {
  return page.$$eval("#views button", (bs) => Object.fromEntries(bs.map((b) =>
    [b.dataset.view, { hidden: b.hidden, count: b.querySelector(".count").textContent }])));
}
async function open(page, name) {
  await page.locator("#inbox li", { hasText: name }).click();
  await page.waitForFunction((n) => document.getElementById("ticket-title").textContent
    .includes(n), name);
  await page.waitForSelector("#transcript li.bubble");
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser()
    with console_server(tmp_path_factory.mktemp("actions")) as running:
        yield running


def args(server: ConsoleServer) -> list[str]:
    return [server.base, server.token, server.admin_token]


QUEUE = HELPERS + r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, adminToken);
  results.open = await inboxIs(page, ["Lucía", "Tom", "Ana"]);
  await page.waitForFunction(() => document.querySelector('[data-view="queue"] .count')
    .textContent !== "");
  results.counts = await counts(page);
  await page.click('#views [data-view="queue"]');
  results.queue = await inboxIs(page, ["Ana"]);
  results.pressed = await page.getAttribute('#views [data-view="queue"]', "aria-pressed");
  await page.click('#views [data-view="closed"]');
  results.closed = await inboxIs(page, ["Lucía"]);
});
"""


def test_admin_sees_the_queue_view_counts_assignees_and_waiting_times(
        server: ConsoleServer, tmp_path: Path) -> None:
    seen = run_script(tmp_path, QUEUE, args(server))
    counts = seen["counts"]
    assert counts["mine"]["hidden"] is True  # an admin has no tickets of their own
    assert {v: counts[v]["count"] for v in ("queue", "open", "closed")} == {
        "queue": "1", "open": "3", "closed": "1"}
    by_name = {i["name"].split()[0]: i for i in seen["open"]}
    assert by_name["Lucía"]["assignee"] == "Assigned to Marta"
    assert by_name["Tom"]["assignee"] == "Assigned to Marta"
    assert by_name["Ana"]["assignee"] == "Unassigned"
    for item in seen["open"]:
        assert re.fullmatch(r"waiting (under a minute|\d+ min)", item["waiting"]), item
    [ana] = seen["queue"]
    assert (ana["name"], ana["badge"], ana["assignee"]) == ("Ana Ruiz", "In queue", "Unassigned")
    assert ana["waiting"].startswith("waiting")
    assert seen["pressed"] == "true"
    [closed] = seen["closed"]
    assert closed["waiting"] == ""  # a closed ticket waits for nobody


SEARCH = HELPERS + r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, adminToken);
  await inboxIs(page, ["Lucía", "Tom", "Ana"]);
  await page.fill("#search", "Tom");
  results.byName = await inboxIs(page, ["Tom"]);
  await page.fill("#search", "refund");
  results.byText = await inboxIs(page, ["Tom"]);
  await page.fill("#search", "pedido");
  results.byOtherText = await inboxIs(page, ["Lucía"]);
  await page.fill("#search", "zzzz-nobody");
  await inboxIs(page, []);
  results.empty = await page.textContent("#inbox-empty");
  results.emptyVisible = await page.isVisible("#inbox-empty");
  await page.fill("#search", "");
  results.cleared = await inboxIs(page, ["Lucía", "Tom", "Ana"]);
});
"""


def test_search_by_name_and_by_message_text_narrows_the_inbox(server: ConsoleServer,
                                                              tmp_path: Path) -> None:
    seen = run_script(tmp_path, SEARCH, args(server))
    assert [i["name"] for i in seen["byName"]] == ["Tom Baker"]
    assert [i["name"] for i in seen["byText"]] == ["Tom Baker"]
    assert [i["name"] for i in seen["byOtherText"]] == ["Lucía Fernández"]
    assert seen["empty"] == "No tickets match your search." and seen["emptyVisible"]
    assert len(seen["cleared"]) == 3


PANE = HELPERS + r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, token);
  await open(page, "Lucía");
  results.handoffVisible = await page.isVisible("#handoff");
  results.handoff = await page.textContent("#handoff");
  const fact = (id) => page.textContent("#customer-" + id);
  results.customer = { name: await fact("name"), phone: await fact("phone"),
                       email: await fact("email"), language: await fact("language") };
  results.earlier = await page.$$eval("#earlier li", (lis) => lis.map((li) => li.textContent));
  const reply = "Hola Lucía, ya estoy mirando tu pedido.";
  await page.fill("#reply-text", reply);
  await page.click("#reply-send");
  const bubble = page.locator("#transcript li.bubble.agent", { hasText: reply });
  await bubble.locator(".ticks").waitFor({ timeout: 15000 });
  results.bubble = { label: await bubble.locator(".label").textContent(),
                     ticks: await bubble.locator(".ticks").textContent(),
                     cls: await bubble.locator(".ticks").getAttribute("class") };
});
"""


def test_conversation_pane_shows_why_ticks_and_the_customer(server: ConsoleServer,
                                                            tmp_path: Path) -> None:
    seen = run_script(tmp_path, PANE, args(server))
    assert seen["handoffVisible"]
    assert seen["handoff"].strip().startswith("Why this came to you:")
    assert "The customer asked to talk to a person." in seen["handoff"]
    assert seen["customer"] == {"name": "Lucía Fernández", "phone": "+34600000077",
                                "email": "lucia@example.com", "language": "Spanish"}
    assert len(seen["earlier"]) == 1
    assert "Resolved: Explained the opening hours" in seen["earlier"][0]
    bubble = seen["bubble"]
    assert bubble["label"] == "Marta (agent)"
    assert bubble["ticks"].startswith("✓"), bubble
    assert any(word in bubble["ticks"] for word in ("Sent", "Delivered", "Read")), bubble
    assert "failed" not in bubble["cls"]
    sent = [c.text for c in server.sender.sent if c.author == "agent"]
    assert "Hola Lucía, ya estoy mirando tu pedido." in sent


NOTE_SUGGEST_CANNED = HELPERS + r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, token);
  await open(page, "Tom");
  await page.check('input[name="mode"][value="note"]');
  results.noteButton = await page.textContent("#reply-send");
  const note = "Refund approved by finance, waiting for the bank";
  await page.fill("#reply-text", note);
  await page.click("#reply-send");
  const line = page.locator("#transcript li", { hasText: note });
  await line.waitFor({ timeout: 15000 });
  results.note = { label: await line.locator(".label").textContent(),
                   cls: await line.getAttribute("class"),
                   ticks: await line.locator(".ticks").count() };
  results.noteStatus = await page.textContent("#ticket-status");
  await ask("note added");

  await page.locator("#transcript li.bubble.customer", { hasText: "horario" })
    .waitFor({ timeout: 15000 });
  await page.click("#suggest");
  await page.waitForFunction(() => document.getElementById("reply-text").value.length > 0,
                             null, { timeout: 20000 });
  results.draft = await page.inputValue("#reply-text");
  results.mode = await page.$eval('input[name="mode"]:checked', (r) => r.value);
  results.suggestNote = await page.textContent("#suggest-note");
  await page.press("#reply-text", "End");
  await page.keyboard.type(" Edited by Marta.");
  results.edited = await page.inputValue("#reply-text");

  await page.fill("#reply-text", "");
  await page.waitForSelector("#canned:not([hidden])");
  await page.selectOption("#canned", { label: "Refund on its way" });
  results.canned = await page.inputValue("#reply-text");
});
"""


def test_note_suggested_reply_and_saved_reply_in_the_page(server: ConsoleServer,
                                                          tmp_path: Path) -> None:
    server.call("PUT", "/canned-replies/refund-on-its-way", server.admin_token, json={
        "title": "Refund on its way",
        "text": "Hi {customer_name}, your refund is on its way."})
    sent_before = list(server.sender.sent)
    seen_sent: list[object] = []

    def note_added() -> None:
        seen_sent.extend(server.sender.sent[len(sent_before):])
        # a question the knowledge base answers, for the assistant to draft a reply to
        server.customer_says(TOM, "¿cuál es el horario de la tienda?", name="Tom")

    seen = run_script(tmp_path, NOTE_SUGGEST_CANNED, args(server), {
        "note added": lambda: note_added(),
    })
    assert seen["noteButton"] == "Add note"
    assert seen["note"]["label"] == "Internal note · Marta"
    assert "note" in seen["note"]["cls"].split() and seen["note"]["ticks"] == 0
    assert seen["noteStatus"] == "Note added."
    assert seen_sent == [], "the internal note was sent to the customer on WhatsApp"
    assert all("Refund approved" not in c.text for c in server.sender.sent)
    draft = seen["draft"]
    assert len(draft) > 20 and seen["mode"] == "reply"
    assert "9:00" in draft  # the knowledge base's opening hours
    assert seen["suggestNote"].startswith("Draft from the knowledge base")
    assert seen["edited"] == draft + " Edited by Marta."
    assert seen["canned"] == "Hi Tom Baker, your refund is on its way."


TRANSFER_CLOSE = HELPERS + r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, token);
  results.mineBefore = (await inboxIs(page, ["Lucía", "Tom"])).map((i) => i.name);
  await open(page, "Tom");
  await page.selectOption("#transfer-to", { label: "Jon (offline)" });
  await page.click("#transfer-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("ticket-status").textContent);
  results.transferStatus = await page.textContent("#ticket-status");
  results.mineAfter = (await inboxLacks(page, "Tom")).map((i) => i.name);
  await page.waitForSelector("#no-ticket:not([hidden])", { timeout: 15000 });
  results.left = { pane: await page.isVisible("#ticket"),
                   text: await page.textContent("#no-ticket") };

  await open(page, "Lucía");
  await page.fill("#resolution", "Order found, courier delivers tomorrow");
  await page.click("#close-ticket");
  await page.waitForFunction(() => document.getElementById("ticket-badge").textContent
    === "Closed", null, { timeout: 15000 });
  await page.waitForSelector("#reopen:not([hidden])");
  results.closed = { badge: await page.textContent("#ticket-badge"),
                     meta: await page.textContent("#ticket-meta"),
                     status: await page.textContent("#ticket-status"),
                     replyHidden: await page.isHidden("#reply-form") };
  await page.click("#reopen");
  await page.waitForFunction(() => document.getElementById("ticket-badge").textContent
    === "Open", null, { timeout: 15000 });
  results.reopened = { badge: await page.textContent("#ticket-badge"),
                       status: await page.textContent("#ticket-status"),
                       closeVisible: await page.isVisible("#close-ticket"),
                       reopenHidden: await page.isHidden("#reopen") };
});
"""


def test_transfer_to_jon_then_close_with_a_resolution_and_reopen(server: ConsoleServer,
                                                                  tmp_path: Path) -> None:
    seen = run_script(tmp_path, TRANSFER_CLOSE, args(server))
    assert sorted(seen["mineBefore"]) == ["Lucía Fernández", "Tom Baker"]
    assert seen["transferStatus"] == "Transferred to Jon (offline)."
    # Tom left Marta's Mine view; the freed place took the queued Ana
    assert sorted(seen["mineAfter"]) == ["Ana Ruiz", "Lucía Fernández"]
    # and its pane closed, saying why, instead of showing a ticket she can no longer answer
    assert seen["left"]["pane"] is False
    assert seen["left"]["text"].startswith("That conversation is no longer yours")
    closed = seen["closed"]
    assert closed["badge"] == "Closed" and closed["status"] == "Ticket closed."
    assert "Resolved: Order found, courier delivers tomorrow" in closed["meta"]
    assert closed["replyHidden"]
    assert seen["reopened"] == {"badge": "Open", "status": "Ticket reopened.",
                                "closeVisible": True, "reopenHidden": True}


HISTORY = HELPERS + r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, adminToken);
  await page.click('#views [data-view="open"]');
  await page.locator("#inbox li", { hasText: "Tom" }).waitFor();
  results.tomItem = (await items(page)).find((i) => i.name.includes("Tom"));
  await open(page, "Tom");
  await page.click("#tab-history");
  await page.waitForSelector("#timeline li", { timeout: 10000 });
  results.visible = { history: await page.isVisible("#history-view"),
                      conversation: await page.isVisible("#conversation-view") };
  results.lines = await page.$$eval("#timeline li", (lis) => lis.map((li) => ({
    actor: li.querySelector(".actor").textContent,
    action: li.querySelector(".action").textContent,
    time: li.querySelector("time").textContent })));
});
"""


def test_history_tab_lists_who_did_what(server: ConsoleServer, tmp_path: Path) -> None:
    seen = run_script(tmp_path, HISTORY, args(server))
    assert seen["tomItem"]["assignee"] == "Assigned to Jon"  # the transfer, as the admin sees it
    assert seen["visible"] == {"history": True, "conversation": False}
    lines = seen["lines"]
    assert all(line["time"] for line in lines)
    marta = [line["action"] for line in lines if line["actor"] == "Marta"]
    assert any("note" in action.lower() for action in marta), lines
    assert any("Jon" in action for action in marta), lines  # the transfer
    assert any(line["actor"] == "Customer" for line in lines), lines


SAVED = HELPERS + r"""
run(async (browser) => {
  const admin = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(admin, adminToken);
  await admin.click("#saved-open");
  await admin.waitForSelector("#saved-dialog[open]");
  await admin.fill("#saved-id", "Not a name!");
  await admin.fill("#saved-name", "Greeting");
  await admin.fill("#saved-text", "Hola {customer_name}, soy {agent_name}.");
  await admin.click("#saved-form button[type=submit]");
  results.badName = await admin.textContent("#saved-error");
  await admin.fill("#saved-id", "greeting");
  await admin.click("#saved-form button[type=submit]");
  await admin.waitForFunction(() => document.getElementById("saved-status").textContent);
  results.saved = await admin.textContent("#saved-status");
  await admin.waitForSelector("#saved-list li", { hasText: "Greeting" });
  results.listed = await admin.$$eval("#saved-list li strong", (s) => s.map((n) => n.textContent));
  await admin.click('#saved-list button[aria-label="Delete Refund on its way"]');
  await admin.waitForFunction(() => document.getElementById("saved-status").textContent
    .startsWith("Deleted") && ![...document.querySelectorAll("#saved-list li strong")]
    .some((n) => n.textContent === "Refund on its way"));
  results.afterDelete = await admin.$$eval("#saved-list li strong",
                                           (s) => s.map((n) => n.textContent));
  results.a11y = await axe(admin);
  await admin.click("#saved-close");

  const agent = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(agent, token);
  results.agentButton = await agent.isVisible("#saved-open");
  await open(agent, "Ana");
  await agent.waitForSelector("#canned:not([hidden])");
  results.options = await agent.$$eval("#canned option", (os) => os.map((o) => o.textContent));
  await agent.selectOption("#canned", { label: "Greeting" });
  results.inserted = await agent.inputValue("#reply-text");
});
"""


def test_an_admin_manages_saved_replies_and_agents_insert_them(server: ConsoleServer,
                                                                 tmp_path: Path) -> None:
    seen = run_script(tmp_path, SAVED, args(server))
    assert seen["badName"].startswith("Use a short name of lower-case letters")
    assert seen["saved"] == "Saved “Greeting”."
    assert "Greeting" in seen["listed"] and "Refund on its way" in seen["listed"]
    assert "Refund on its way" not in seen["afterDelete"] and "Greeting" in seen["afterDelete"]
    assert seen["a11y"] == []
    assert seen["agentButton"] is False  # agents use saved replies; admins manage them
    assert "Greeting" in seen["options"] and "Refund on its way" not in seen["options"]
    assert seen["inserted"] == "Hola Ana Ruiz, soy Marta."
