"""Ids that guard exactly-once are unique per store generation (issue: a second deployment
on the same database or NATS, a rebuilt store or a staging copy must never meet the ids of
another one in a send ledger, a desk or JetStream's duplicate window), and the same within
one store (a restored backup republishes the same ids)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from app_helpers import CONV_ID, StepClock, with_info

from helpline.application import ConversationStore
from helpline.catalog import AIAgentAnswerGenerated as Answer
from helpline.catalog import (
    CatalogMessage,
    GenerateAIAgentAnswerWithUserInfo,
    OpenTicket,
    SendWhatsAppBusinessTextMessage,
)
from helpline.domain.ids import conversation_id_for, derived_id

pytestmark = pytest.mark.unit

LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy"


def _sqlite(path: Path) -> ConversationStore:
    return ConversationStore(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                  "SQLITE_DBNAME": str(path)}, clock=StepClock())


def _hand_over(store: ConversationStore) -> list[CatalogMessage]:
    (ask,) = store.handle(with_info("wamid.same", "PERSON por favor"))
    assert isinstance(ask, GenerateAIAgentAnswerWithUserInfo)
    answer = Answer(message_id=derived_id(ask.message_id, "ai-answer"),
                    correlation_id=CONV_ID, occurred_at=ask.occurred_at,
                    conversation_id=ask.conversation_id, in_reply_to=ask.in_reply_to,
                    text="Te paso.", open_ticket=True, reason="asked")
    return [ask, *store.handle(answer)]


def _ids(messages: list[CatalogMessage]) -> dict[str, Any]:
    by_type = {type(m).__name__: m for m in messages}
    send = by_type["SendWhatsAppBusinessTextMessage"]
    ticket = by_type["OpenTicket"]
    assert isinstance(send, SendWhatsAppBusinessTextMessage) and isinstance(ticket, OpenTicket)
    return {"ask": by_type["GenerateAIAgentAnswerWithUserInfo"].message_id,
            "send": send.message_id, "ticket": ticket.ticket_id, "open": ticket.message_id}


def test_another_store_never_repeats_the_ids_of_the_same_conversation(tmp_path: Path) -> None:
    first, second = _sqlite(tmp_path / "a.sqlite"), _sqlite(tmp_path / "b.sqlite")
    assert first.generation != second.generation
    a, b = _ids(_hand_over(first)), _ids(_hand_over(second))
    for key in a:  # the AI request, the send command (the ledger's key), the ticket
        assert a[key] != b[key], key


def test_a_restored_copy_keeps_its_generation_and_its_ids(tmp_path: Path) -> None:
    original = _sqlite(tmp_path / "a.sqlite")
    before = _ids(_hand_over(original))
    original.close()
    shutil.copy(tmp_path / "a.sqlite", tmp_path / "restored.sqlite")
    restored = _sqlite(tmp_path / "restored.sqlite")
    # Republishing from the restored log gives the ids published before.
    republished = [m for n in restored.recorder.select_notifications(0, 100)
                   for m in restored_messages(restored, n)]
    assert {m.message_id for m in republished} >= {before["ask"], before["send"],
                                                    before["open"]}


def restored_messages(store: ConversationStore, notification: Any) -> list[CatalogMessage]:
    return store.messages_for(store.mapper.to_domain_event(notification), store.generation)


def test_conversations_older_than_generations_keep_their_ids(tmp_path: Path) -> None:
    shutil.copy(LEGACY / "conversation_store.sqlite", tmp_path / "old.sqlite")
    store = _sqlite(tmp_path / "old.sqlite")
    conv = store.conversation_for_phone("34600000003")
    assert conv is not None and conv.generation is None and conv.ticket is not None
    # The ticket the old code ordered, with the old formula: the desk knows it by this id.
    assert conv.ticket["ticket_id"] == str(derived_id(conversation_id_for("34600000003"),
                                                      "ticket", 1))
