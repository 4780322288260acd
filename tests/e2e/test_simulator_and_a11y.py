"""The customer simulator as a customer sees it, and axe-core's accessibility audit of the
console (signed out and signed in) and the simulator, in real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import ConsoleServer, console_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser()
    with console_server(tmp_path_factory.mktemp("simulator")) as running:
        yield running


SIMULATOR = r"""
run(async (browser) => {
  const page = await browser.newPage();
  await page.goto(base + "/simulator");
  await page.fill("#phone", "34699000111");
  await page.dispatchEvent("#phone", "change");
  await page.fill("#text", "¿cuál es el horario?");
  await page.press("#text", "Enter");
  await page.waitForSelector("li.bubble.them", { timeout: 15000 });
  await page.fill("#text", "y".repeat(5000));
  await page.press("#text", "Enter");
  await page.waitForSelector("li.not-sent");
  const bubbles = () => page.$$eval("#chat li", (items) => items.map((li) => ({
    cls: li.className, text: li.textContent })));
  results.first = await bubbles();
  results.alert = await page.textContent("#status");
  await page.fill("#phone", "12");
  await page.dispatchEvent("#phone", "change");
  await page.fill("#text", "hola");
  await page.press("#text", "Enter");
  await page.waitForSelector("li.not-sent");
  results.badPhone = await bubbles();
  await page.fill("#phone", "34699000111");
  await page.dispatchEvent("#phone", "change");
  await page.reload();
  await page.waitForSelector("li.bubble.them", { timeout: 15000 });
  results.reloaded = await bubbles();
});
"""


def test_simulator_shows_the_customers_view_refuses_in_words_and_survives_reload(
        server: ConsoleServer, tmp_path: Path) -> None:
    seen = run_script(tmp_path, SIMULATOR, [server.base, server.token, server.admin_token])
    first = seen["first"]
    assert [b["cls"] for b in first] == ["bubble me", "bubble them", "bubble me not-sent"]
    asked, answer, refused = (b["text"] for b in first)
    assert asked.startswith("¿cuál es el horario?") and "✓" in asked
    assert "Help desk · " in answer and "9:00" in answer
    for raw in ("wamid", "webhook", "==", "[object Object]"):
        assert raw not in "".join(b["text"] for b in first)
    assert "Not sent: the message is 5,000 characters; WhatsApp allows 4,096." in refused
    assert seen["alert"] == "Not sent: the message is 5,000 characters; WhatsApp allows 4,096."
    [bad] = seen["badPhone"]
    assert bad["cls"] == "bubble me not-sent"
    assert "Not sent: That is not a phone number" in bad["text"]
    assert [b["cls"] for b in seen["reloaded"]] == [b["cls"] for b in first]
    assert seen["reloaded"][0]["text"] == asked


OVERLAPPING_POLLS = r"""
run(async (browser) => {
  const page = await browser.newPage();
  await page.goto(base + "/simulator");
  await page.fill("#phone", "34699000222");
  await page.dispatchEvent("#phone", "change");
  await page.fill("#text", "¿cuál es el horario?");
  await page.press("#text", "Enter");
  await page.waitForSelector("li.bubble.them", { timeout: 15000 });
  // Forget what was seen (as a phone switch does), then let two polls overlap, as the
  // timer's and a phone change's do on a slow machine: both ask for the replies after 0.
  results.bubbles = await page.evaluate(async () => {
    switchPhone();
    await Promise.all([poll(), poll()]);
    return document.querySelectorAll("#chat li.bubble.them").length;
  });
});
"""


def test_overlapping_polls_show_each_reply_once(server: ConsoleServer, tmp_path: Path) -> None:
    seen = run_script(tmp_path, OVERLAPPING_POLLS,
                      [server.base, server.token, server.admin_token])
    assert seen["bubbles"] == 1


STALE_POLL = r"""
run(async (browser) => {
  const page = await browser.newPage();
  await page.goto(base + "/simulator");
  await page.fill("#phone", "34699000333");
  await page.dispatchEvent("#phone", "change");
  for (const text of ["¿cuál es el horario?", "¿y el envío?"]) {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
  }
  await page.waitForFunction(() => document.querySelectorAll("#chat li.bubble.them").length === 2,
                             null, { timeout: 15000 });
  // A poll that has seen the first reply is in flight when the customer switches to another
  // phone and back: its answer (the second reply only) must not count as what was seen.
  results.bubbles = await page.evaluate(async () => {
    view.lastSeq -= 1;
    const stale = poll();
    const phone = document.getElementById("phone");
    phone.value = "34699000444"; switchPhone();
    phone.value = "34699000333"; switchPhone();
    await stale;
    await poll();
    return document.querySelectorAll("#chat li.bubble.them").length;
  });
});
"""


def test_a_poll_sent_before_a_phone_switch_is_dropped(server: ConsoleServer,
                                                      tmp_path: Path) -> None:
    seen = run_script(tmp_path, STALE_POLL, [server.base, server.token, server.admin_token])
    assert seen["bubbles"] == 2


AXE = r"""
run(async (browser) => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(base + "/console");
  await page.waitForSelector("#sign-in", { state: "visible" });
  results.signedOut = await axe(page);
  await signIn(page, token);
  await page.locator("#inbox li", { hasText: "Lucía" }).click();
  await page.waitForSelector("#transcript li.marker");
  results.signedIn = await axe(page);
  await page.goto(base + "/simulator");
  await page.fill("#text", "hola");
  await page.press("#text", "Enter");
  await page.waitForSelector("li.bubble.them", { timeout: 15000 });
  results.simulator = await axe(page);
});
"""


def test_axe_finds_no_serious_or_critical_violations(server: ConsoleServer,
                                                      tmp_path: Path) -> None:
    seen = run_script(tmp_path, AXE, [server.base, server.token, server.admin_token])
    assert seen == {"signedOut": [], "signedIn": [], "simulator": []}
