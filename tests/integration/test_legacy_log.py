"""An event log written by the version before bounded conversations (commit 7ffe291, see
``tests/data/legacy/README.md``) still loads and behaves: the conversations load into the
new, bounded state; the receipts migration makes every old message idempotent again, even
one far older than the aggregate's window of recent ids; the transcript and the
Conversation Document are read from the old events."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from helpline.application import AgentDesk, ConversationStore
from helpline.catalog import (
    ConversationDocument,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.domain import Conversation, Ticket
from helpline.domain.conversation import HISTORY_TURNS, RECENT_IDS
from helpline.domain.ids import conversation_id_for

pytestmark = pytest.mark.integration

LEGACY = Path(__file__).resolve().parent.parent / "data" / "legacy"


def _env(tmp_path: Path, name: str) -> dict[str, str]:
    shutil.copy(LEGACY / f"{name}.sqlite", tmp_path / f"{name}.sqlite")
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / f"{name}.sqlite")}


def _inbound(phone: str, wamid: str, text: str = "hola") -> (
        WhatsAppBusinessTextMessageWithUserInfoReceived):
    now = datetime.now(UTC)
    return WhatsAppBusinessTextMessageWithUserInfoReceived(
        message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=now,
        wamid=wamid, phone_number_id="106540352242922", sender_phone=phone, text=text,
        sent_at=now)


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(env=_env(tmp_path, "conversation_store"))


def test_old_conversations_load_into_the_bounded_state(store: ConversationStore) -> None:
    long = store.conversation_for_phone("34600000002")
    assert isinstance(long, Conversation)
    assert len(long.recent_turns) == HISTORY_TURNS and len(long.recent_wamids) == RECENT_IDS
    assert long.recent_wamids[-1] == "wamid.legacy.2.81"
    assert long.pending == {} and long.unsettled == {}  # every reply settled (one failed)
    waiting = store.conversation_for_phone("34600000003")
    assert waiting is not None and waiting.ticket is not None
    assert waiting.ticket["status"] == "assigned" and waiting.ticket["agent_name"] == "Marta"
    assert waiting.pending == {"wamid.legacy.3.2": {"state": "agent", "text": "sigo esperando"}}
    back_to_ai = store.conversation_for_phone("34600000001")
    assert back_to_ai is not None and back_to_ai.ticket is None


def test_migration_makes_every_old_message_idempotent(store: ConversationStore) -> None:
    old = _inbound("34600000002", "wamid.legacy.2.1")  # far outside the recent window
    assert "wamid.legacy.2.1" not in store.conversation_for_phone("34600000002").recent_wamids  # type: ignore[union-attr]
    written = store.migrate()
    assert written == 4 + 81 + 2 + 1  # the three customers' messages, one agent answer
    assert store.migrate() == 0  # once per store
    size = store.recorder.max_notification_id()
    assert store.whatsapp_business_text_message_with_user_info_received(old) == []
    assert store.recorder.max_notification_id() == size
    # A new message is handled as usual, after the migration (customer 1's ticket is closed).
    (ask,) = store.whatsapp_business_text_message_with_user_info_received(
        _inbound("34600000001", "wamid.new.1", "¿horario?"))
    assert isinstance(ask, GenerateAIAgentAnswerWithUserInfo)
    assert [t.message_id for t in ask.history][-1] == "wamid.new.1"


def test_transcript_and_document_come_from_the_old_events(store: ConversationStore) -> None:
    conv_id = conversation_id_for("34600000001")
    turns = store.transcript(conv_id)
    texts = [t.text for t in turns]
    assert texts[0] == "¿cuál es el horario?"
    for line in ("Ticket opened", "Agent Marta assigned", "Tu pedido sale hoy.",
                 "Ticket closed: Resuelto", "gracias, ¿y el envío?"):
        assert line in texts
    long_id = str(conversation_id_for("34600000002"))

    def page(before: int | None) -> ConversationDocument:
        return store.get_conversation(GetConversation(
            message_id=uuid4(), correlation_id="t", occurred_at=datetime.now(UTC),
            conversation_id=long_id, before_version=before))

    doc = page(None)
    assert doc.found and [t.text for t in doc.turns[-3:]] == [
        "Reply not delivered: 24 h window", "Ticket opened", "Agent Marta assigned"]
    # 165 lines: a page of the latest 100, then the rest on request.
    assert len(doc.turns) == 100 and doc.earlier_before_version is not None
    earlier = page(doc.earlier_before_version)
    assert earlier.earlier_before_version is None
    assert [*earlier.turns, *doc.turns] == store.transcript(long_id)


def test_old_tickets_load(tmp_path: Path) -> None:
    desk = AgentDesk(env=_env(tmp_path, "agent_desk"))
    roster = desk.roster()
    assert roster.agent("agt_marta")["name"] == "Marta"
    tickets = [desk.find(t, Ticket) for t in roster.agent("agt_marta")["tickets"]]
    assert tickets and all(t is not None and t.is_open for t in tickets)
