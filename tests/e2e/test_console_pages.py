"""What a new user of the agent console saw, fixed, in real headless Chromium: sign-in, the
transcript (labels, times, markers, scrolling, incremental updates), readable errors, and
status messages that are not errors. Each test fails on the console this replaced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import LUCIA, TOM, ConsoleServer, console_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser()
    with console_server(tmp_path_factory.mktemp("console")) as running:
        yield running


def args(server: ConsoleServer) -> list[str]:
    return [server.base, server.token, server.admin_token]


SIGN_IN = r"""
run(async (browser) => {
  const page = await browser.newPage();
  await page.goto(base + "/console");
  await page.waitForSelector("#sign-in", { state: "visible" });
  results.before = { desk: await page.isVisible("#desk"), inbox: await page.isVisible("#inbox") };
  await page.fill("#token", "not-a-token");
  await page.click("#sign-in button[type=submit]");
  await page.waitForFunction(() => document.getElementById("sign-in-error").textContent);
  results.wrong = await page.textContent("#sign-in-error");
  await page.fill("#token", token);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#inbox li");
  results.after = {
    form: await page.isVisible("#sign-in"), error: await page.isVisible("#sign-in-error"),
    errorText: await page.textContent("#sign-in-error"),
    deskTop: (await page.locator("#desk").boundingBox()).y,
    who: await page.textContent("#who"),
  };
  await page.reload();
  await page.waitForSelector("#inbox li");
  results.reloaded = { form: await page.isVisible("#sign-in"),
                       desk: await page.isVisible("#desk") };
});
"""


def test_sign_in_shows_the_desk_only_after_a_good_token(server: ConsoleServer,
                                                         tmp_path: Path) -> None:
    seen = run_script(tmp_path, SIGN_IN, args(server))
    assert seen["before"] == {"desk": False, "inbox": False}
    assert seen["wrong"] == "That token is not known. Check it and try again."
    after = seen["after"]
    assert (after["form"], after["error"], after["errorText"]) == (False, False, "")
    assert after["deskTop"] < 80, "the desk is pushed down"
    assert after["who"] == "Marta · online"
    assert seen["reloaded"] == {"form": False, "desk": True}


TRANSCRIPT = r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await signIn(page, token);
  await page.locator("#inbox li", { hasText: "Lucía" }).click();
  await page.waitForSelector("#transcript li.marker");
  await page.waitForTimeout(300);
  results.lines = await page.$$eval("#transcript li", (items) => items.map((li) => ({
    cls: li.className, label: (li.querySelector(".label") || {}).textContent || "",
    time: (li.querySelector("time") || {}).textContent || "",
    text: li.textContent })));
  results.scroll = await page.$eval("#transcript",
                                    (b) => b.scrollHeight - b.scrollTop - b.clientHeight);
  results.handoff = await page.textContent("#handoff");
  results.customer = await page.textContent("#customer-pane");
});
"""


def test_transcript_labels_times_markers_and_opens_at_the_newest(server: ConsoleServer,
                                                                  tmp_path: Path) -> None:
    seen = run_script(tmp_path, TRANSCRIPT, args(server))
    lines = seen["lines"]
    labels = {line["label"] for line in lines if "bubble" in line["cls"]}
    assert {"Customer", "AI assistant", "Marta (agent)"} <= labels
    assert all(line["time"] for line in lines if "bubble" in line["cls"])
    classes = {line["label"]: line["cls"] for line in lines if "bubble" in line["cls"]}
    assert classes["AI assistant"] != classes["Marta (agent)"]
    markers = [line["text"] for line in lines if "marker" in line["cls"]]
    assert [m.split(" · ")[0] for m in markers] == ["Ticket 1 opened", "Ticket 2 opened"]
    order = [line["text"] for line in lines
             if "marker" in line["cls"] or "Assigned" in line["text"]]
    assert order[0].startswith("Ticket 1 opened") and order[1].endswith("Assigned to Marta")
    assert seen["scroll"] < 5, "the transcript does not open at the newest message"
    assert "The customer asked to talk to a person." in seen["handoff"]
    assert "threshold" not in seen["handoff"]
    assert "Lucía Fernández" in seen["customer"] and "+34600000077" in seen["customer"]
    assert "Explained the opening hours" in seen["customer"]  # the earlier ticket


LIVE = r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 600 } });
  await signIn(page, token);
  await page.locator("#inbox li", { hasText: "Lucía" }).click();
  await page.waitForSelector("#transcript li.marker");
  const count = async () => page.locator("#transcript li").count();
  // Select the text of the first customer message and tag its node.
  await page.$eval("#transcript li.customer .text", (node) => {
    node.closest("li").dataset.probe = "kept";
    const range = document.createRange(); range.selectNodeContents(node);
    getSelection().removeAllRanges(); getSelection().addRange(range);
  });
  results.selected = await page.evaluate(() => getSelection().toString());
  let before = await count();
  await ask("customer writes");
  await page.waitForFunction((n) => document.querySelectorAll("#transcript li").length > n,
                             before, { timeout: 15000 });
  results.afterFirst = {
    selection: await page.evaluate(() => getSelection().toString()),
    probe: await page.$$eval("[data-probe=kept]", (n) => n.length),
    last: await page.textContent("#transcript li:last-child"),
    gap: await page.$eval("#transcript", (b) => b.scrollHeight - b.scrollTop - b.clientHeight),
  };
  await page.$eval("#transcript", (b) => { b.scrollTop = 0; });
  before = await count();
  await ask("customer writes again");
  await page.waitForFunction((n) => document.querySelectorAll("#transcript li").length > n,
                             before, { timeout: 15000 });
  results.scrolledUp = {
    top: await page.$eval("#transcript", (b) => b.scrollTop),
    button: await page.isVisible("#new-below"),
  };
  await ask("another customer writes");
  const tom = page.locator("#inbox li", { hasText: "Tom" });
  await tom.locator(".unread").waitFor({ timeout: 15000 });
  results.unread = { item: await tom.locator(".unread").textContent(), title: await page.title() };
});
"""


def test_new_messages_arrive_without_redrawing_and_follow_unless_scrolled_up(
        server: ConsoleServer, tmp_path: Path) -> None:
    seen = run_script(tmp_path, LIVE, args(server), {
        "customer writes": lambda: server.customer_says(LUCIA, "¿Me decís algo del pedido?"),
        "customer writes again": lambda: server.customer_says(LUCIA, "Sigo esperando"),
        "another customer writes": lambda: server.customer_says(TOM, "Any news?", name="Tom"),
    })
    assert seen["selected"] == "hola"
    first = seen["afterFirst"]
    assert first["selection"] == "hola", "the update cleared the agent's selection"
    assert first["probe"] == 1, "the transcript was redrawn instead of updated"
    assert "¿Me decís algo del pedido?" in first["last"]
    assert first["gap"] < 5, "a new message did not scroll into view"
    assert seen["scrolledUp"] == {"top": 0, "button": True}
    assert seen["unread"] == {"item": "1 unread", "title": "(1) helpline · agent console"}


ERRORS = r"""
run(async (browser) => {
  const page = await browser.newPage();
  await signIn(page, token);
  await page.locator("#inbox li", { hasText: "Tom" }).click();
  await page.waitForSelector("#transcript li.customer");
  await page.fill("#reply-text", "x".repeat(4200));
  results.counter = { text: await page.textContent("#counter"),
                      cls: await page.getAttribute("#counter", "class") };
  await page.waitForFunction(
    () => document.getElementById("counter").textContent.includes("sent as"));
  results.split = await page.textContent("#counter");
  await page.fill("#reply-text", "x".repeat(13000));
  await page.click("#reply-send");
  await page.waitForFunction(() => document.getElementById("ticket-error").textContent);
  results.tooLong = await page.textContent("#ticket-error");
  await page.fill("#resolution", "r".repeat(1500));
  await page.click("#close-ticket");
  await page.waitForFunction((old) => document.getElementById("ticket-error").textContent !== old,
                             results.tooLong);
  results.serverError = await page.textContent("#ticket-error");
  await page.fill("#reply-text", "Hi Tom, I am looking at your refund now.");
  await page.press("#reply-text", "Control+Enter");
  await page.waitForFunction(() => document.getElementById("ticket-status").textContent);
  const look = (id) => page.$eval(id, (n) => ({ text: n.textContent, role: n.getAttribute("role"),
    visible: n.offsetParent !== null, color: getComputedStyle(n).color }));
  results.sent = await look("#ticket-status");
  results.errorAfterSent = await look("#ticket-error");
  await page.fill("#reply-text", "x".repeat(13000));
  await page.click("#reply-send");
  await page.waitForFunction(() => document.getElementById("ticket-error").textContent);
  results.error = await look("#ticket-error");
});
"""


def test_errors_are_one_readable_sentence_and_status_is_not_an_error(
        server: ConsoleServer, tmp_path: Path) -> None:
    before = len([c for c in server.sender.sent if c.author == "agent"])
    seen = run_script(tmp_path, ERRORS, args(server))
    assert seen["counter"] == {"text": "4,200 / 4,096", "cls": "counter over"}
    # up to three WhatsApp messages the desk splits the reply as the sender will ...
    assert seen["split"] == "4,200 / 4,096 · sent as 2 messages"
    # ... and a longer one is refused in one sentence, without the text
    assert seen["tooLong"] == (
        "The reply is 13,000 characters; WhatsApp allows 4,096 per message and the desk "
        "sends at most 3 messages (12,288 characters) for one reply. Shorten it or send it "
        "in several replies.")
    assert "xxxx" not in seen["tooLong"]
    server_error = seen["serverError"]
    for raw in ("{", "[", "string_too_long", "rrrr", "input"):
        assert raw not in server_error, server_error
    assert server_error == "The resolution is too long: use at most 1,000 characters."
    sent = seen["sent"]
    assert (sent["text"], sent["role"], sent["visible"]) == ("Sent.", "status", True)
    assert seen["errorAfterSent"]["visible"] is False
    error = seen["error"]
    assert error["role"] == "alert" and error["color"] != sent["color"]
    replies = [c for c in server.sender.sent if c.author == "agent"][before:]
    assert [c.text for c in replies] == ["Hi Tom, I am looking at your refund now."]
