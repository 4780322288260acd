"""``helpline demo`` plays the scripted conversation and prints its transcript."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.catalog import (
    AgentAssigned,
    ConversationDocument,
    OpenTicket,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
)
from helpline.demo import run_demo

pytestmark = pytest.mark.unit


def test_demo_runs_the_whole_story(tmp_path: Path) -> None:
    lines: list[str] = []
    runner = run_demo(tmp_path, lines.append)
    kinds = [type(m) for m in runner.log]
    sends = [m for m in runner.log if isinstance(m, SendWhatsAppBusinessTextMessage)]
    assert [s.author for s in sends] == ["ai", "ai", "agent", "ai"]
    assert kinds.count(OpenTicket) == 1 and kinds.count(AgentAssigned) == 1
    assert kinds.count(ConversationDocument) == 1 and kinds.count(TicketClosed) == 1
    transcript = lines[lines.index("\n## Transcript") + 1:]
    authors = [line.split("]", 1)[1].split(":", 1)[0].strip() for line in transcript]
    assert authors == ["customer", "ai", "customer", "ai", "system", "system", "customer",
                       "agent", "system", "customer", "ai"]
    assert "Marta" in transcript[7]
