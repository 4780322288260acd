"""What the agent sees of a hand-over the AI made from the knowledge base (the reason in
plain words and the entries it considered) and of a reply WhatsApp could not deliver (in red,
with Meta's reason), in real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from helpline.application.ai_agent import KeywordAnswerer
from helpline.application.ports import Answer
from helpline.bootstrap import DEMO_ANSWERS
from helpline.catalog import CustomerInfo, Turn, WhatsAppBusinessTextMessageStatusUpdated
from helpline.domain.ids import conversation_id_for
from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import ConsoleServer, console_server

pytestmark = pytest.mark.e2e

PHONE = "34622333444"
REASON = "The closest entry, “Product warranty”, says nothing about “extendida”."


class WarrantyDesk(KeywordAnswerer):
    """ms-rag's port as the knowledge base answers a near-miss: it hands over, says why and
    names the entries it looked at (the real answerer is tested in tests/unit/rag)."""

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        if "extendida" in question:
            return Answer("Te paso con una persona del equipo.", open_ticket=True,
                          reason=REASON, sources=("warranty@es", "repair@es"), confidence=0.4)
        return super().answer(question, history, customer)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser()
    with console_server(tmp_path_factory.mktemp("delivery"), seeded=False,
                        answerer=WarrantyDesk(DEMO_ANSWERS)) as running:
        running.customer_says(PHONE, "¿Tenéis garantía extendida de 5 años?", name="Eva")
        running.ticket_of(PHONE)
        yield running


SCRIPT = r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, token);
  await page.locator("#inbox li").first().click();
  await page.waitForSelector("#handoff:not([hidden])");
  results.reason = await page.textContent("#handoff-reason");
  results.sources = await page.textContent("#handoff-sources");
  await page.fill("#reply-text", "Hola Eva, lo consulto y te digo.");
  await page.press("#reply-text", "Control+Enter");
  await page.waitForSelector("#transcript li.agent");
  await ask("fail");
  await page.waitForSelector("#transcript li.agent .failed", { timeout: 15000 });
  results.failed = await page.$eval("#transcript li.agent", (li) => ({
    text: li.textContent, color: getComputedStyle(li.querySelector(".failed")).color }));
});
"""


def test_hand_over_reason_sources_and_a_failed_delivery(server: ConsoleServer,
                                                         tmp_path: Path) -> None:
    def fail() -> None:
        [reply] = [c for c in server.sender.sent if c.author == "agent"]
        server.publish([WhatsAppBusinessTextMessageStatusUpdated(
            message_id=uuid4(), correlation_id=str(conversation_id_for(PHONE)),
            occurred_at=datetime.now(UTC), conversation_id=str(conversation_id_for(PHONE)),
            wamid=f"wamid.fake.{reply.message_id.hex}", status="failed",
            recipient_phone=PHONE, phone_number_id="106540352242922",
            errors=({"code": 131047, "title": "Re-engagement message",
                     "message": "More than 24 hours have passed since the customer last "
                                "replied"},))])

    seen = run_script(tmp_path, SCRIPT, [server.base, server.token, server.admin_token],
                      actions={"fail": fail})
    assert seen["reason"] == REASON
    assert "Warranty" in seen["sources"] and "Repair" in seen["sources"]
    failed = seen["failed"]
    assert "More than 24 hours have passed" in failed["text"], failed
    red, green, blue = (int(x) for x in failed["color"][4:-1].split(",")[:3])
    assert red > 150 and green < 100 and blue < 100, failed["color"]  # shown in red


NOTIFY = r"""
run(async (browser) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.shown = [];
    window.Notification = class {
      constructor(title, options) { window.shown.push({ title, body: options.body }); }
      static get permission() { return "granted"; }
      static async requestPermission() { return "granted"; }
    };
    Object.defineProperty(document, "hidden", { get: () => true });  // the agent is elsewhere
  });
  const page = await context.newPage();
  await signIn(page, token);
  await page.waitForSelector("#inbox li");
  await page.check("#notify");
  await ask("message");
  await page.waitForFunction(() => window.shown.length > 0, null, { timeout: 15000 });
  results.shown = await page.evaluate(() => window.shown);
  results.title = await page.title();
});
"""


def test_desktop_notification_and_unread_title_when_the_agent_is_elsewhere(
        server: ConsoleServer, tmp_path: Path) -> None:
    seen = run_script(tmp_path, NOTIFY, [server.base, server.token, server.admin_token],
                      actions={"message": lambda: server.customer_says(
                          PHONE, "¿Y cuánto cuesta?", name="Eva")})
    [shown] = seen["shown"]
    assert shown["title"].startswith("New message from")
    assert shown["body"] == "¿Y cuánto cuesta?"
    assert seen["title"].startswith("(1)"), seen["title"]
