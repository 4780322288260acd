"""The console after WhatsApp's 24-hour window, in real headless Chromium: the reply box says
the window is closed and offers the synced templates with the customer's name pre-filled; a
template with a parameter left out gets one readable sentence; the template is sent and shows
in the conversation; the customer's answer reopens the box for free text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import LUCIA, ConsoleServer, console_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser()
    with console_server(tmp_path_factory.mktemp("templates"), seeded=False) as running:
        running.customer_says(LUCIA, "quiero hablar con una persona",
                              sent_at=datetime.now(UTC) - timedelta(hours=25))
        running.ticket_of(LUCIA)
        synced = running.call("POST", "/templates/refresh")
        assert {t["name"] for t in synced["templates"]} >= {"seguimiento_pedido"}
        yield running


PICKER = r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await signIn(page, token);
  await page.locator("#inbox li", { hasText: "Lucía" }).click();
  await page.waitForSelector("#window-box", { state: "visible", timeout: 10000 });
  results.note = await page.textContent("#window-note");
  results.textDisabled = await page.isDisabled("#reply-text");
  results.sendDisabled = await page.isDisabled("#reply-send");
  results.options = await page.$$eval("#template-pick option", (os) => os.map((o) => o.value));
  await page.selectOption("#template-pick", "seguimiento_pedido|es");
  results.prefilled = await page.inputValue("#template-body-1");
  await page.fill("#template-body-2", "1234");
  results.preview = await page.textContent("#template-preview");
  await page.fill("#template-body-2", "");
  await page.click("#template-send");
  await page.waitForFunction(() => document.getElementById("ticket-error").textContent !== "");
  results.error = await page.textContent("#ticket-error");
  await page.fill("#template-body-2", "1234");
  await page.click("#template-send");
  await page.waitForFunction(() => [...document.querySelectorAll("#transcript li.bubble")]
    .some((li) => li.textContent.includes("te escribimos por tu pedido 1234")));
  results.status = await page.textContent("#ticket-status");
  await ask("customer answers");
  await page.waitForSelector("#window-box", { state: "hidden", timeout: 10000 });
  results.textEnabledAgain = !(await page.isDisabled("#reply-text"));
  results.sendEnabledAgain = !(await page.isDisabled("#reply-send"));
});
"""


def test_the_reply_box_offers_templates_after_24_hours(server: ConsoleServer,
                                                       tmp_path: Path) -> None:
    seen = run_script(tmp_path, PICKER, [server.base, server.token, server.admin_token],
                      {"customer answers": lambda: server.customer_says(LUCIA, "sí, dime")})
    assert "more than 24 hours ago" in seen["note"] and "template" in seen["note"]
    assert seen["textDisabled"] is True and seen["sendDisabled"] is True
    assert "seguimiento_pedido|es" in seen["options"]
    assert "oferta_navidad|es" not in seen["options"]  # not approved
    assert seen["prefilled"] == "Lucía"  # the customer's name, from the directory
    assert seen["preview"] == "Hola Lucía, te escribimos por tu pedido 1234. ¿Podemos ayudarte?"
    assert seen["error"] == "Fill in {{2}} of the template's body before sending it."
    assert seen["status"] == "Template sent."
    assert seen["textEnabledAgain"] is True and seen["sendEnabledAgain"] is True
    (sent,) = server.sender.templates
    assert sent.template.name == "seguimiento_pedido"
    assert [p.text for p in sent.template.components[0].parameters] == ["Lucía", "1234"]
