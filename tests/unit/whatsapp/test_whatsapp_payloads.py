"""The webhook parser against Meta's documented example notifications (payloads/*.json)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from helpline.adapters.whatsapp.builders import build_status_notification, build_text_notification
from helpline.adapters.whatsapp.payloads import (
    WebhookPayloadError,
    parse_notification,
    parse_notification_bytes,
)
from helpline.catalog import (
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageStatusUpdated,
)
from helpline.domain.ids import conversation_id_for, derived_id

pytestmark = pytest.mark.unit
PAYLOADS = Path(__file__).parent / "payloads"
KERRY = "16315551181"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def only_received(name: str) -> WhatsAppBusinessTextMessageReceived:
    parsed = parse_notification(load(name))
    assert len(parsed.messages) == 1, parsed
    message = parsed.messages[0]
    assert isinstance(message, WhatsAppBusinessTextMessageReceived)
    return message


@pytest.mark.parametrize(("name", "message_type", "text"), [
    ("text", "text", "Hello, is the shop open on Saturday?"),
    ("text_reply", "text", "Yes, that one please"),
    ("image", "image", "This is the broken box"),
    ("image_no_caption", "image", "[image]"),
    ("audio", "audio", "[voice message]"),
    ("video", "video", "how it arrived"),
    ("document", "document", "[document: invoice-1234.pdf]"),
    ("sticker", "sticker", "[sticker]"),
    ("location", "location",
     "[location: Puerta del Sol - Plaza de la Puerta del Sol, Madrid - 40.4168, -3.7038]"),
    ("contacts", "contacts", "[contacts: Barbara Johnson (+1 (940) 555-1234)]"),
    ("interactive_button_reply", "interactive", "Change"),
    ("interactive_list_reply", "interactive", "Express Shipping"),
    ("button", "button", "Unsubscribe from Promos"),
    ("reaction", "reaction",
     "[reaction \U0001F44D to wamid.HBgLMTYzMTU1NTExODEVAgARGBI5MjlGNjA3RjYzMDdDQTlENzYA]"),
    ("order", "order", "[order: 2 x di9ozbzfi4] please deliver after 6pm"),
    ("system", "system", "[system: Kerry Fisher changed their phone number to a new number]"),
    ("unsupported", "unsupported",
     "[unsupported message type 'unsupported': 131051 Message type unknown "
     "Message type is currently not supported.]"),
    ("unknown", "unsupported",
     "[unsupported message type 'unknown': 131051 Unsupported message type]"),
])
def test_every_documented_message_type(name: str, message_type: str, text: str) -> None:
    raw = load(name)["entry"][0]["changes"][0]["value"]["messages"][0]
    message = only_received(name)
    assert message.message_type == message_type
    assert message.text == text
    assert message.wamid == raw["id"]
    assert message.sender_phone == KERRY
    assert message.phone_number_id == "106540352242922"
    assert message.display_phone_number == "15550783881"
    assert message.message_id == derived_id("whatsapp-inbound", raw["id"])
    assert message.correlation_id == str(conversation_id_for(KERRY))
    assert message.sent_at == datetime(2025, 2, 12, 0, 43, 44, tzinfo=UTC)
    assert message.occurred_at == message.sent_at


def test_profile_name_and_reply_context() -> None:
    message = only_received("text_reply")
    assert message.profile_name == "Kerry Fisher"
    assert message.context_wamid == "wamid.HBgLMTYzMTU1NTExODEVAgARGBI0QkU2RjZCRTVEMDlEQTI0OTMA"
    assert only_received("system").profile_name is None  # system messages carry no contacts


def test_statuses_become_status_events_in_order() -> None:
    parsed = parse_notification(load("statuses"))
    assert all(isinstance(m, WhatsAppBusinessTextMessageStatusUpdated) for m in parsed.messages)
    statuses = [m for m in parsed.messages
                if isinstance(m, WhatsAppBusinessTextMessageStatusUpdated)]
    assert [s.status for s in statuses] == ["sent", "delivered", "read", "failed"]
    failed = statuses[-1]
    assert failed.errors[0]["code"] == 131047
    assert failed.recipient_phone == KERRY
    assert failed.conversation_id == str(conversation_id_for(KERRY))
    assert len({s.message_id for s in statuses}) == 4  # one event per (wamid, status)


def test_several_entries_changes_and_messages() -> None:
    parsed = parse_notification(load("multi_entry"))
    received = [m for m in parsed.messages if isinstance(m, WhatsAppBusinessTextMessageReceived)]
    assert [(m.message_type, m.sender_phone) for m in received] == [
        ("text", KERRY), ("image", KERRY), ("audio", KERRY), ("text", "34600123456")]
    assert received[3].profile_name == "Ana"
    assert received[3].correlation_id == str(conversation_id_for("34600123456"))
    assert sum(isinstance(m, WhatsAppBusinessTextMessageStatusUpdated)
               for m in parsed.messages) == 4
    assert len(parsed.ignored) == 1 and "account_update" in parsed.ignored[0]


def test_redelivery_gives_identical_messages() -> None:
    body = json.dumps(load("multi_entry")).encode()
    first, second = parse_notification_bytes(body), parse_notification_bytes(body)
    assert [m.to_json() for m in first.messages] == [m.to_json() for m in second.messages]


def test_value_level_errors_are_reported_not_published() -> None:
    parsed = parse_notification(load("value_errors"))
    assert parsed.messages == ()
    assert "131000" in parsed.ignored[0]


def test_built_text_notification_parses_back() -> None:
    note = build_text_notification(phone_number_id="106540352242922", sender_phone="34600123456",
                                   text="hola", wamid="wamid.sim.1", timestamp=1739321024)
    message = only_received_from(note)
    assert (message.text, message.wamid, message.sender_phone) == ("hola", "wamid.sim.1",
                                                                  "34600123456")


def only_received_from(note: dict[str, Any]) -> WhatsAppBusinessTextMessageReceived:
    (message,) = parse_notification(note).messages
    assert isinstance(message, WhatsAppBusinessTextMessageReceived)
    return message


def test_long_text_is_clipped_to_whatsapp_limit() -> None:
    note = load("text")
    note["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "x" * 5000
    assert len(only_received_from(note).text) == 4096


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    note = load("text")
    target: Any = note
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return note


MSG = ["entry", 0, "changes", 0, "value", "messages", 0]


@pytest.mark.parametrize("data", [
    [], "whatsapp_business_account", None, {"object": "page", "entry": []},
    {"object": "whatsapp_business_account"},
    {"object": "whatsapp_business_account", "entry": {}},
    {"object": "whatsapp_business_account", "entry": [[]]},
    {"object": "whatsapp_business_account", "entry": [{"id": "1"}]},
    _broken(["entry", 0, "changes", 0, "value"], []),
    _broken(["entry", 0, "changes", 0, "value", "metadata"], KeyError),
    _broken(["entry", 0, "changes", 0, "value", "messages"], {}),
    _broken([*MSG, "id"], KeyError),
    _broken([*MSG, "from"], "not-a-phone"),
    _broken([*MSG, "timestamp"], "yesterday"),
    _broken([*MSG, "timestamp"], True),
    _broken([*MSG, "type"], 7),
    _broken([*MSG, "text"], "hello"),
])
def test_invalid_shapes_raise_a_clear_error(data: Any) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_notification(data)


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[" * 100_000])
def test_non_json_bytes_raise(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_notification_bytes(body)


def test_status_callback_data_is_kept_and_must_be_a_string() -> None:
    """Meta echoes ``biz_opaque_callback_data`` of a send in its statuses: it names the send
    command (and piece) so ms-whatsapp can settle a send a crash left unknown."""
    note = build_status_notification(phone_number_id="106540352242922",
                                     recipient_phone="34600123456", wamid="wamid.out.1",
                                     status="sent", timestamp=1739321030,
                                     callback_data="cmd-1:0")
    (status,) = parse_notification(note).messages
    assert isinstance(status, WhatsAppBusinessTextMessageStatusUpdated)
    assert status.callback_data == "cmd-1:0" and status.wamid == "wamid.out.1"
    note["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] = 7
    with pytest.raises(WebhookPayloadError, match="biz_opaque_callback_data"):
        parse_notification(note)
