"""Parse Meta's WhatsApp Business Account webhook notifications into catalog messages.

Written against the documented shape of a Cloud API notification::

    {"object": "whatsapp_business_account",
     "entry": [{"id": "<WABA id>",
                "changes": [{"field": "messages",
                             "value": {"messaging_product": "whatsapp",
                                       "metadata": {"display_phone_number": ..,
                                                    "phone_number_id": ..},
                                       "contacts": [{"profile": {"name": ..}, "wa_id": ..}],
                                       "messages": [...], "statuses": [...],
                                       "errors": [...]}}]}]}

Every ``messages[]`` item becomes a :class:`WhatsAppBusinessTextMessageReceived` (its
``message_type`` says what it is, its ``text`` a readable rendering: the caption when there is
one) and every ``statuses[]`` item a :class:`WhatsAppBusinessTextMessageStatusUpdated`.
Ids are derived from the wamid, and ``occurred_at`` is Meta's timestamp, so a redelivered
notification yields byte-identical messages (JetStream's duplicate window drops them).

Structural problems (not an object, a missing ``id``, a list where an object belongs ...)
raise :class:`WebhookPayloadError`. Things Meta may add later and that we cannot act on (a
``field`` other than ``messages``, a new status value, value-level ``errors`` that name no
customer) are not errors: they are listed in :attr:`ParsedNotification.ignored`, so Meta gets
its 200 and does not retry forever.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args

from pydantic import ValidationError

from helpline.catalog import (
    MAX_TEXT_LENGTH,
    CatalogMessage,
    MediaInfo,
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageStatusUpdated,
    normalise_phone,
)
from helpline.catalog.types import MessageType
from helpline.domain.ids import conversation_id_for, derived_id
from helpline.domain.message_types import MEDIA_TYPES

WABA_OBJECT = "whatsapp_business_account"
_MESSAGE_TYPES: frozenset[str] = frozenset(get_args(MessageType))
_STATUSES = frozenset({"sent", "delivered", "read", "failed", "deleted", "warning"})

Json = dict[str, Any]


class WebhookPayloadError(ValueError):
    """The body is not a WhatsApp Business Account notification of the documented shape."""


@dataclass(frozen=True)
class ParsedNotification:
    """What one webhook notification holds: catalog messages, and what was left aside."""

    messages: tuple[CatalogMessage, ...]
    ignored: tuple[str, ...] = field(default=())


def parse_notification_bytes(body: bytes) -> ParsedNotification:
    """Parse the raw webhook body (UTF-8 JSON); raise :class:`WebhookPayloadError`."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise WebhookPayloadError(f"body is not JSON: {e}") from e
    return parse_notification(data)


def parse_notification(data: object) -> ParsedNotification:
    """Parse a decoded notification into catalog messages (see the module docstring)."""
    root = _obj(data, "notification")
    if root.get("object") != WABA_OBJECT:
        raise WebhookPayloadError(f"object must be {WABA_OBJECT!r}, got {root.get('object')!r}")
    messages: list[CatalogMessage] = []
    ignored: list[str] = []
    for i, entry in enumerate(_list(root, "entry", "notification", required=True)):
        entry_obj = _obj(entry, f"entry[{i}]")
        for j, change in enumerate(_list(entry_obj, "changes", f"entry[{i}]", required=True)):
            where = f"entry[{i}].changes[{j}]"
            change_obj = _obj(change, where)
            if change_obj.get("field") != "messages":
                ignored.append(f"{where}: field {change_obj.get('field')!r} is not 'messages'")
                continue
            _parse_value(_obj(change_obj.get("value"), f"{where}.value"), where, messages, ignored)
    return ParsedNotification(tuple(messages), tuple(ignored))


def _parse_value(value: Json, where: str, out: list[CatalogMessage], ignored: list[str]) -> None:
    metadata = _obj(value.get("metadata"), f"{where}.value.metadata")
    phone_number_id = _str(metadata, "phone_number_id", f"{where}.value.metadata")
    display = metadata.get("display_phone_number")
    names: dict[str, str] = {}
    for k, contact in enumerate(_list(value, "contacts", where)):
        c = _obj(contact, f"{where}.value.contacts[{k}]")
        profile = c.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        if isinstance(c.get("wa_id"), str) and isinstance(name, str):
            names[c["wa_id"]] = name
    for k, msg in enumerate(_list(value, "messages", where)):
        w = f"{where}.value.messages[{k}]"
        out.append(_received(_obj(msg, w), w, phone_number_id, display, names))
    for k, status in enumerate(_list(value, "statuses", where)):
        w = f"{where}.value.statuses[{k}]"
        parsed = _status(_obj(status, w), w, phone_number_id)
        if isinstance(parsed, str):
            ignored.append(parsed)
        else:
            out.append(parsed)
    for k, error in enumerate(_list(value, "errors", where)):
        # Value-level errors name no customer, so there is no conversation to record them in.
        ignored.append(f"{where}.value.errors[{k}]: {_error_text(error)}")


def _received(
    msg: Json, where: str, phone_number_id: str, display: object, names: Mapping[str, str]
) -> WhatsAppBusinessTextMessageReceived:
    wamid = _str(msg, "id", where)
    sender = _str(msg, "from", where)
    kind = _str(msg, "type", where)
    sent_at = _timestamp(msg, where)
    message_type = kind if kind in _MESSAGE_TYPES else "unsupported"
    text = _render(msg, kind, where)
    context = msg.get("context")
    context_wamid = context.get("id") if isinstance(context, dict) else None
    try:
        return WhatsAppBusinessTextMessageReceived(
            message_id=derived_id("whatsapp-inbound", wamid),
            correlation_id=str(conversation_id_for(_phone(sender))),
            causation_id=None,
            occurred_at=sent_at,
            wamid=wamid,
            phone_number_id=phone_number_id,
            display_phone_number=display if isinstance(display, str) else None,
            sender_phone=sender,
            profile_name=names.get(sender),
            message_type=message_type,
            text=_clip(text),
            sent_at=sent_at,
            context_wamid=context_wamid if isinstance(context_wamid, str) else None,
            media=_media(msg, kind, where) if kind in MEDIA_TYPES else None,
        )
    except ValidationError as e:
        raise WebhookPayloadError(f"{where}: {_first_error(e)}") from e


def _status(
    status: Json, where: str, phone_number_id: str
) -> WhatsAppBusinessTextMessageStatusUpdated | str:
    wamid = _str(status, "id", where)
    value = _str(status, "status", where)
    recipient = _str(status, "recipient_id", where)
    at = _timestamp(status, where)
    if value not in _STATUSES:
        return f"{where}: status {value!r} is not one we record"
    errors = status.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        raise WebhookPayloadError(f"{where}.errors must be a list of objects")
    try:
        phone = _phone(recipient)
    except WebhookPayloadError:
        # Group messages report a group id here: no customer conversation to record it in.
        return f"{where}: recipient_id {recipient!r} is not a phone number"
    callback = status.get("biz_opaque_callback_data")
    if callback is not None and not isinstance(callback, str):
        raise WebhookPayloadError(f"{where}.biz_opaque_callback_data must be a string")
    try:
        return WhatsAppBusinessTextMessageStatusUpdated(
            message_id=derived_id("whatsapp-status", wamid, value),
            correlation_id=str(conversation_id_for(phone)),
            causation_id=None,
            occurred_at=at,
            conversation_id=str(conversation_id_for(phone)),
            wamid=wamid,
            status=value,
            recipient_phone=phone,
            phone_number_id=phone_number_id,
            errors=tuple(errors),
            callback_data=callback,
        )
    except ValidationError as e:
        raise WebhookPayloadError(f"{where}: {_first_error(e)}") from e


def _media(msg: Json, kind: str, where: str) -> MediaInfo:
    """The media object of an image, document, audio, video or sticker: its id is needed (to
    fetch it); optional fields of an unexpected type are left out."""
    body = _obj(msg.get(kind), f"{where}.{kind}")
    media_id = _str(body, "id", f"{where}.{kind}")

    def text(key: str) -> str | None:
        value = body.get(key)
        return value if isinstance(value, str) and value.strip() else None

    return MediaInfo(kind=kind, media_id=media_id, mime_type=text("mime_type"),
                     sha256=text("sha256"), filename=text("filename"),
                     caption=_clip(body["caption"]) if text("caption") else None,
                     voice=body.get("voice") is True, animated=body.get("animated") is True)


# --- rendering: what a person reading the conversation should see ---------------------------


def _render(msg: Json, kind: str, where: str) -> str:
    if kind == "contacts":
        if not isinstance(msg.get("contacts"), list):
            raise WebhookPayloadError(f"{where}.contacts must be a list")
        return _render_contacts(msg)
    renderer = _RENDERERS.get(kind)
    body = msg.get(kind)
    if renderer is None or not isinstance(body, dict):
        if kind in _RENDERERS and kind not in ("unsupported", "unknown", "system"):
            raise WebhookPayloadError(f"{where}.{kind} must be an object")
        return _render_unsupported(msg, kind)
    text = renderer(body, msg).strip()
    return text or f"[{kind}]"


def _render_text(body: Json, _: Json) -> str:
    text = body.get("body")
    return text if isinstance(text, str) and text.strip() else "[empty text]"


def _render_media(kind: str) -> Callable[[Json, Json], str]:
    def render(body: Json, _: Json) -> str:
        caption = body.get("caption")
        if isinstance(caption, str) and caption.strip():
            return caption
        if kind == "document" and isinstance(body.get("filename"), str):
            return f"[document: {body['filename']}]"
        if kind == "audio" and body.get("voice") is True:
            return "[voice message]"
        return f"[{kind}]"

    return render


def _render_location(body: Json, _: Json) -> str:
    parts = [str(body[k]) for k in ("name", "address") if isinstance(body.get(k), str)]
    coords = f"{body.get('latitude')}, {body.get('longitude')}"
    return f"[location: {' - '.join([*parts, coords])}]"


def _render_contacts(msg: Json) -> str:
    shown: list[str] = []
    for contact in msg.get("contacts") or []:
        if not isinstance(contact, dict):
            continue
        name = contact.get("name")
        label = name.get("formatted_name") if isinstance(name, dict) else None
        phones = [p.get("phone") for p in contact.get("phones") or [] if isinstance(p, dict)]
        numbers = ", ".join(p for p in phones if isinstance(p, str))
        shown.append(" ".join(str(x) for x in (label, f"({numbers})" if numbers else None) if x))
    return f"[contacts: {'; '.join(shown)}]" if shown else "[contacts]"


def _render_interactive(body: Json, _: Json) -> str:
    kind = body.get("type")
    reply = body.get(kind) if isinstance(kind, str) else None
    if isinstance(reply, dict):
        title = reply.get("title") or reply.get("body")
        if isinstance(title, str) and title.strip():
            return title
    return f"[interactive: {kind}]"


def _render_button(body: Json, _: Json) -> str:
    text = body.get("text")
    return text if isinstance(text, str) else "[button]"


def _render_reaction(body: Json, _: Json) -> str:
    emoji = body.get("emoji")
    if isinstance(emoji, str) and emoji:
        return f"[reaction {emoji} to {body.get('message_id')}]"
    return f"[reaction removed from {body.get('message_id')}]"


def _render_order(body: Json, _: Json) -> str:
    items = [i for i in body.get("product_items") or [] if isinstance(i, dict)]
    listed = ", ".join(f"{i.get('quantity')} x {i.get('product_retailer_id')}" for i in items)
    note = body.get("text")
    return f"[order: {listed}]" + (f" {note}" if isinstance(note, str) else "")


def _render_system(body: Json, _: Json) -> str:
    text = body.get("body")
    return f"[system: {text}]" if isinstance(text, str) else "[system]"


def _render_unsupported(msg: Json, kind: str) -> str:
    errors = msg.get("errors")
    detail = _error_text(errors[0]) if isinstance(errors, list) and errors else None
    return f"[unsupported message type {kind!r}" + (f": {detail}]" if detail else "]")


_RENDERERS: dict[str, Callable[[Json, Json], str]] = {
    "text": _render_text,
    **{kind: _render_media(kind) for kind in sorted(MEDIA_TYPES)},
    "location": _render_location,
    "interactive": _render_interactive,
    "button": _render_button,
    "reaction": _render_reaction,
    "order": _render_order,
    "system": _render_system,
}


# --- shape helpers -------------------------------------------------------------------------


def _obj(value: object, where: str) -> Json:
    if not isinstance(value, dict):
        raise WebhookPayloadError(f"{where} must be a JSON object")
    return value


def _list(parent: Json, key: str, where: str, *, required: bool = False) -> list[Any]:
    value = parent.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise WebhookPayloadError(f"{where}.{key} must be a list")
    return value


def _str(parent: Json, key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value.strip():
        raise WebhookPayloadError(f"{where}.{key} must be a non-empty string")
    return value


def _timestamp(parent: Json, where: str) -> datetime:
    raw = parent.get("timestamp")
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).isdigit():
        raise WebhookPayloadError(f"{where}.timestamp must be Unix seconds")
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise WebhookPayloadError(f"{where}.timestamp is out of range") from e


def _phone(value: str) -> str:
    try:
        return normalise_phone(value)
    except ValueError as e:
        raise WebhookPayloadError(str(e)) from e


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + "…"


def _error_text(error: object) -> str:
    if not isinstance(error, dict):
        return repr(error)
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    parts = [str(error.get("code")), error.get("title") or error.get("message"), details]
    return " ".join(str(p) for p in parts if p)


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
