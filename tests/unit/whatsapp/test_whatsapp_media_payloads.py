"""Media messages in webhooks (Meta's documented shapes): the parser keeps what the media
endpoint needs (the media id) and what people read (caption, filename, voice, animated)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from helpline.adapters.whatsapp.payloads import WebhookPayloadError, parse_notification
from helpline.catalog import MediaInfo, WhatsAppBusinessTextMessageReceived

pytestmark = pytest.mark.unit
PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def received(data: dict[str, Any]) -> WhatsAppBusinessTextMessageReceived:
    (message,) = parse_notification(data).messages
    assert isinstance(message, WhatsAppBusinessTextMessageReceived)
    return message


@pytest.mark.parametrize(("name", "expected"), [
    ("image", MediaInfo(kind="image", media_id="1003383421387256", mime_type="image/jpeg",
                        sha256="Bhu9eQkxK8cCRRl8A3XHmRrbEsa5KqnXS4gGmxSn6yU=",
                        caption="This is the broken box")),
    ("audio", MediaInfo(kind="audio", media_id="1003383421387258",
                        mime_type="audio/ogg; codecs=opus",
                        sha256="bQ0nN+JbkPHMf7fm/yJnsBg4n/bZ+PE8E4G2KfhaUW0=", voice=True)),
    ("video", MediaInfo(kind="video", media_id="1003383421387259", mime_type="video/mp4",
                        sha256="kMwtf1b/RXOGBGRl6SyFbDQYB8u3jNrYVhBOxIHHNi4=",
                        caption="how it arrived")),
    ("document", MediaInfo(kind="document", media_id="1003383421387260",
                           mime_type="application/pdf", filename="invoice-1234.pdf",
                           sha256="7I0h0Gv1Xz6EHj3dVJgKxG0zbA5p6HKcZtJU2g6wYxE=")),
    ("sticker", MediaInfo(kind="sticker", media_id="1003383421387261", mime_type="image/webp",
                          sha256="oMMqvFhDRg1OKjvn2t5L8rVo8YMMYqbbgKl9yVQ66Ys=",
                          animated=False)),
])
def test_documented_media_messages_carry_their_media(name: str, expected: MediaInfo) -> None:
    message = received(load(name))
    assert message.message_type == name
    assert message.media == expected


def test_text_messages_carry_no_media() -> None:
    assert received(load("text")).media is None


def test_a_media_message_without_an_id_is_refused() -> None:
    data = load("image")
    del data["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["id"]
    with pytest.raises(WebhookPayloadError, match=r"image\.id"):
        parse_notification(data)


def test_odd_optional_fields_are_left_out_rather_than_refused() -> None:
    data = copy.deepcopy(load("document"))
    doc = data["entry"][0]["changes"][0]["value"]["messages"][0]["document"]
    doc.update(filename=12, mime_type=None, sha256=["x"], caption="  ")
    media = received(data).media
    assert media == MediaInfo(kind="document", media_id="1003383421387260")
