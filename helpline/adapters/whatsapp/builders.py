"""Webhook notifications in the documented shape, built rather than received: what the
customer simulator and the fake Graph API post to our webhook, and what tests send."""

from __future__ import annotations

from typing import Any

from helpline.adapters.whatsapp.payloads import WABA_OBJECT


def build_text_notification(
    *,
    phone_number_id: str,
    sender_phone: str,
    text: str,
    wamid: str,
    timestamp: int,
    profile_name: str = "Customer",
    display_phone_number: str = "15550783881",
    waba_id: str = "102290129340398",
) -> dict[str, Any]:
    """A documented-shape notification of one inbound text (for the simulator and tests)."""
    return {
        "object": WABA_OBJECT,
        "entry": [{
            "id": waba_id,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": display_phone_number,
                                 "phone_number_id": phone_number_id},
                    "contacts": [{"profile": {"name": profile_name}, "wa_id": sender_phone}],
                    "messages": [{"from": sender_phone, "id": wamid, "timestamp": str(timestamp),
                                  "type": "text", "text": {"body": text}}],
                },
            }],
        }],
    }


def build_status_notification(
    *,
    phone_number_id: str,
    recipient_phone: str,
    wamid: str,
    status: str,
    timestamp: int,
    callback_data: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    waba_id: str = "102290129340398",
) -> dict[str, Any]:
    """A documented-shape notification of one status of a message we sent (for the fake
    Graph API and tests)."""
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(timestamp),
                            "recipient_id": recipient_phone}
    if callback_data is not None:
        item["biz_opaque_callback_data"] = callback_data
    if errors:
        item["errors"] = errors
    return {
        "object": WABA_OBJECT,
        "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881",
                         "phone_number_id": phone_number_id},
            "statuses": [item]}}]}],
    }


def build_media_notification(
    *,
    phone_number_id: str,
    sender_phone: str,
    kind: str,
    media: dict[str, Any],
    wamid: str,
    timestamp: int,
    profile_name: str = "Customer",
) -> dict[str, Any]:
    """A documented-shape notification of one inbound image, document, audio, video or
    sticker; ``media`` is its object (``{"id", "mime_type", "sha256", "caption"?, ...}``)."""
    note = build_text_notification(phone_number_id=phone_number_id, sender_phone=sender_phone,
                                   text="-", wamid=wamid, timestamp=timestamp,
                                   profile_name=profile_name)
    message = note["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type=kind, **{kind: media})
    return note
