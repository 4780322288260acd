"""The same conversation on every persistence module (POPO, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from helpline.application import AIAgent, ConversationStore, KeywordAnswerer
from helpline.catalog import (
    SendWhatsAppBusinessTextMessage,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)

pytestmark = pytest.mark.integration


def test_ai_path_and_redelivery_on_each_persistence(es_env: dict[str, str]) -> None:
    store = ConversationStore(env=es_env)
    rag = AIAgent(KeywordAnswerer({"horario": "De 9 a 20."}))
    now = datetime.now(UTC)
    msg = WhatsAppBusinessTextMessageWithUserInfoReceived(
        message_id=uuid4(), correlation_id="c", occurred_at=now, wamid="wamid.1",
        phone_number_id="1065", sender_phone="+34 600 123 456", text="¿horario?", sent_at=now)
    (ask,) = store.whatsapp_business_text_message_with_user_info_received(msg)
    (answer,) = rag.generate_ai_agent_answer_with_user_info(ask)
    (send,) = store.ai_agent_answer_generated(answer)
    assert isinstance(send, SendWhatsAppBusinessTextMessage)
    assert send.text == "De 9 a 20." and send.channel.customer_phone == "34600123456"
    assert store.whatsapp_business_text_message_with_user_info_received(msg) == []
    assert store.ai_agent_answer_generated(answer) == []
    reopened = ConversationStore(env=es_env) if es_env["PERSISTENCE_MODULE"] != (
        "eventsourcing.popo") else store
    conv = reopened.conversation_for_phone("34600123456")
    assert conv is not None
    assert [t.author for t in reopened.transcript(conv.id)] == ["customer", "ai"]
