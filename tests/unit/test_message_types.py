"""Non-text WhatsApp messages: recorded as what they are; unreadable ones get a clear reply,
reactions and system notices get none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpline.application import ConversationStore
from helpline.catalog import SendWhatsAppBusinessTextMessage
from helpline.domain.conversation import UNREADABLE_REPLY, Conversation, is_readable
from helpline.domain.message_types import MEDIA_PROBLEM_REPLY

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CHANNEL = {"kind": "whatsapp", "phone_number_id": "1065", "customer_phone": "34600123456"}


def _conv(language: str | None = "es") -> Conversation:
    customer = None if language is None else {
        "customer_id": "c1", "name": "Ana", "phone": "34600123456", "email": None,
        "language": language}
    return Conversation.start(phone="34600123456", channel=CHANNEL, customer=customer, at=NOW)


def _receive(conv: Conversation, wamid: str, message_type: str, text: str) -> list[str]:
    before = len(conv.pending_events)
    conv.receive_customer_message(wamid=wamid, text=text, message_type=message_type,
                                  sent_at=NOW, channel=CHANNEL, customer=conv.customer, at=NOW)
    return [m.catalog_id for e in conv.pending_events[before:]
            for m in ConversationStore.messages_for(e)]


@pytest.mark.parametrize(("message_type", "text", "readable"), [
    ("text", "hola", True),
    ("image", "¿tenéis esta talla?", True),
    ("image", "[image]", False),
    ("audio", "[voice message]", False),
    ("sticker", "[sticker]", False),
    ("unsupported", "[unsupported message type 'unknown']", False),
    ("interactive", "Sí, confirmar", True),
    ("location", "[location: 40.4, -3.7]", True),
])
def test_readability(message_type: str, text: str, readable: bool) -> None:
    assert is_readable(message_type, text) is readable


def test_unreadable_message_gets_a_system_reply_in_the_customers_language() -> None:
    conv = _conv("en")
    assert _receive(conv, "w1", "audio", "[voice message]") == [
        SendWhatsAppBusinessTextMessage.catalog_id]
    send = ConversationStore.messages_for(conv.pending_events[-1])[0]
    assert isinstance(send, SendWhatsAppBusinessTextMessage)
    assert send.text == UNREADABLE_REPLY["en"] and send.author == "system"
    assert send.reply_to_wamid == "w1"
    assert [t["author"] for t in conv.recent_turns] == ["customer", "system"]
    assert conv.recent_turns[0]["message_type"] == "audio"


def test_unknown_language_gets_both_languages() -> None:
    conv = _conv(None)
    _receive(conv, "w1", "sticker", "[sticker]")
    assert UNREADABLE_REPLY["es"] in conv.recent_turns[-1]["text"]
    assert UNREADABLE_REPLY["en"] in conv.recent_turns[-1]["text"]


@pytest.mark.parametrize("message_type", ["reaction", "system"])
def test_reactions_and_system_notices_are_recorded_and_not_answered(message_type: str) -> None:
    conv = _conv()
    assert _receive(conv, "w1", message_type, "[reaction 👍 to wamid.x]") == []
    assert conv.recent_turns[-1]["message_type"] == message_type


def test_captioned_media_goes_to_the_ai_and_unreadable_media_to_the_agent_on_a_ticket() -> None:
    conv = _conv()
    assert _receive(conv, "w1", "image", "¿la tenéis en azul?") == [
        "generate-ai-agent-answer-with-user-info"]
    conv.receive_ai_answer(answer_id="a1", in_reply_to="w1", text="Te paso con alguien.",
                           open_ticket=True, reason="asked", confidence=0.2, sources=[], at=NOW)
    # With a ticket open, the human sees the photo placeholder and decides.
    assert _receive(conv, "w2", "image", "[image]") == ["generate-agent-answer"]


@pytest.mark.parametrize("problem", ["too_large", "unsupported_type", "not_found",
                                     "checksum_mismatch"])
def test_media_we_could_not_keep_gets_a_plain_words_reply_and_no_ai_answer(problem: str) -> None:
    conv = _conv("en")
    conv.receive_customer_message(wamid="w1", text="[document: big.pdf]",
                                  message_type="document", sent_at=NOW, channel=CHANNEL,
                                  customer=conv.customer, at=NOW, media_problem=problem)
    sends = [m for e in conv.pending_events for m in ConversationStore.messages_for(e)]
    assert [type(m) for m in sends] == [SendWhatsAppBusinessTextMessage]
    send = sends[0]
    assert isinstance(send, SendWhatsAppBusinessTextMessage)
    assert send.text == MEDIA_PROBLEM_REPLY[problem]["en"] and send.author == "system"
    assert not send.text.startswith("[")


def test_a_file_too_big_is_explained_in_the_customer_s_words_even_with_a_ticket_open() -> None:
    conv = _conv("es")
    conv.receive_customer_message(wamid="w0", text="necesito ayuda", message_type="text",
                                  sent_at=NOW, channel=CHANNEL, customer=conv.customer, at=NOW)
    conv.receive_ai_answer(answer_id="a1", in_reply_to="w0", text="Te paso con alguien.",
                           open_ticket=True, reason="asked", confidence=0.2, sources=[], at=NOW)
    before = len(conv.pending_events)
    conv.receive_customer_message(wamid="w1", text="[video]", message_type="video",
                                  sent_at=NOW, channel=CHANNEL, customer=conv.customer, at=NOW,
                                  media_problem="too_large")
    sends = [m for e in conv.pending_events[before:] for m in ConversationStore.messages_for(e)]
    assert [m.text for m in sends if isinstance(m, SendWhatsAppBusinessTextMessage)] == [
        MEDIA_PROBLEM_REPLY["too_large"]["es"]]
