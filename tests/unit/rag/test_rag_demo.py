"""``make demo`` answers from ``examples/kb`` with the real answerer (issue 15: the demo said
the shop opens 9:00-20:00 while the knowledge base says 10:00-21:00)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.adapters.rag import load_knowledge_base
from helpline.catalog import SendWhatsAppBusinessTextMessage
from helpline.demo import SAMPLE_KB, run_demo

pytestmark = pytest.mark.unit


def test_the_demo_ai_answers_with_the_sample_kb(tmp_path: Path) -> None:
    runner = run_demo(tmp_path, lambda _: None)
    ai = [m.text for m in runner.log
          if isinstance(m, SendWhatsAppBusinessTextMessage) and m.author == "ai"]
    answers = {e.answer for e in load_knowledge_base(SAMPLE_KB).entries if e.language == "es"}
    hours = next(a for a in answers if "10:00 a 21:00" in a)
    delivery = next(a for a in answers if "24-48 horas" in a)
    assert ai[0] == hours and ai[-1] == delivery
