"""The administrator's *Knowledge-base gaps* in real headless Chromium, with ms-rag's real
answerer over ``examples/kb``: three customers ask for a student discount in Spanish,
English and Portuguese, one asks to pay in bitcoin; the AI hands all four over, and the
dialog shows the student discount as one group of three (grouped by meaning, across
languages) above the bitcoin one, with the tickets to open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpline.adapters.rag import KnowledgeBaseAnswerer
from helpline.adapters.rag.embeddings import MultilingualEmbedder
from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import ADMIN_TOKEN, ConsoleServer, console_server

pytestmark = pytest.mark.e2e

SAMPLE_KB = Path(__file__).resolve().parents[2] / "examples" / "kb"
QUESTIONS = {"34611000001": "¿Hacéis descuento a estudiantes?",
             "34611000002": "Do you have a student discount?",
             "34611000003": "Vocês têm desconto para estudantes?",
             "34611000004": "¿Aceptáis pagos con bitcoin?"}

GAPS = r"""
run(async (browser) => {
  const agent = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(agent, token);
  results.agentButton = await agent.isVisible("#gaps-open");
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, adminToken);
  await page.click("#gaps-open");
  await page.waitForSelector("#gaps-list li.gap", { timeout: 15000 });
  results.status = await page.textContent("#gaps-status");
  results.groups = await page.$$eval("#gaps-list > li.gap", (lis) => lis.map((li) => ({
    head: li.querySelector(".gap-head").textContent,
    about: (li.querySelector(".gap-about") || {}).textContent || "",
    reason: (li.querySelector(".gap-reason") || {}).textContent || "",
    others: [...li.querySelectorAll(".gap-others li")].map((n) => n.textContent),
    tickets: li.querySelectorAll(".gap-tickets button").length })));
  results.a11y = await axe(page);
  await page.screenshot({ path: process.argv[5] });
  await page.click("#gaps-list > li.gap .gap-tickets button");
  await page.waitForFunction(() => !document.getElementById("gaps-dialog").open);
  await page.waitForSelector("#transcript li.customer", { timeout: 10000 });
  results.opened = await page.textContent("#transcript");
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser(axe=True)
    answerer = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, embedder=MultilingualEmbedder())
    with console_server(tmp_path_factory.mktemp("gaps"), seeded=False,
                        answerer=answerer) as running:
        for phone, question in QUESTIONS.items():
            running.customer_says(phone, question, name="Cliente")
        def all_handed_over() -> bool:
            rows = [r for status in ("open", "queued") for r in running.call(
                "GET", f"/tickets?status={status}&limit=200", ADMIN_TOKEN)]
            return {r["phone"] for r in rows} >= set(QUESTIONS)
        running.wait_for(all_handed_over, timeout_s=30)
        yield running


def test_the_admin_sees_what_the_ai_handed_over_grouped_across_languages(
        server: ConsoleServer, tmp_path: Path) -> None:
    shot = tmp_path / "kb-gaps.png"
    seen = run_script(tmp_path, GAPS,
                      [server.base, server.token, server.admin_token, str(shot)])
    assert seen["agentButton"] is False  # the gaps are the business's, not an agent's
    assert seen["status"] == ("4 handed-over questions in 2 groups, grouped by meaning, "
                              "across languages.")
    students, bitcoin = seen["groups"]
    head = students["head"].lower()
    assert head.startswith("3 \u00d7") and any(w in head for w in ("estud", "student"))
    assert all(lang in students["about"] for lang in ("English", "Portuguese", "Spanish"))
    assert students["reason"].startswith("The closest entry")
    assert len(students["others"]) == 2 and students["tickets"] == 3
    assert bitcoin["head"] == "1 \u00d7 “¿Aceptáis pagos con bitcoin?”"
    assert seen["a11y"] == []
    assert any(w in seen["opened"].lower() for w in ("descuento", "discount", "desconto"))
    assert shot.stat().st_size > 10_000
