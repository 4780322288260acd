"""A ticket's priority in real headless Chromium: the agent sets it from the ticket's actions,
the inbox marks the ticket *Urgent*, and the choice is still there after a reload (it is the
tickets projection's, not the page's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import ConsoleServer, console_server

pytestmark = pytest.mark.e2e

PRIORITY = r"""
async function openTom(page) {
  await page.locator("#inbox li", { hasText: "Tom" }).click();
  await page.waitForFunction(() => document.getElementById("ticket-title").textContent
    .includes("Tom"));
  await page.waitForSelector("#priority-form:not([hidden])");
}
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, token);
  await openTom(page);
  results.before = await page.inputValue("#priority");
  await page.selectOption("#priority", "urgent");
  await page.waitForFunction(() => document.getElementById("ticket-status").textContent
    .startsWith("Priority set"));
  results.status = await page.textContent("#ticket-status");
  await page.locator("#inbox li", { hasText: "Tom" }).locator(".priority.urgent")
    .waitFor({ timeout: 10000 });
  results.badge = await page.locator("#inbox li", { hasText: "Tom" })
    .locator(".priority").textContent();
  await page.screenshot({ path: process.argv[5] });
  await page.reload();
  await page.waitForSelector("#desk", { state: "visible" });
  await openTom(page);
  results.after = await page.inputValue("#priority");
  results.a11y = await axe(page);
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser(axe=True)
    with console_server(tmp_path_factory.mktemp("priority")) as running:
        yield running


def test_an_agent_sets_the_priority_and_the_inbox_marks_it(server: ConsoleServer,
                                                            tmp_path: Path) -> None:
    shot = tmp_path / "priority.png"
    seen = run_script(tmp_path, PRIORITY,
                      [server.base, server.token, server.admin_token, str(shot)])
    assert seen["before"] == "normal"
    assert seen["status"] == "Priority set to urgent."
    assert seen["badge"] == "Urgent"
    assert seen["after"] == "urgent"
    assert seen["a11y"] == []
    assert shot.stat().st_size > 10_000
