"""ms-whatsapp's delivery reports: what happened to a *Send WhatsApp Business Text Message*
(our additions to the seed's catalog)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from helpline.catalog.base import About, CatalogMessage, Route
from helpline.catalog.examples import CONV, PHONE, PHONE_NUMBER_ID, SEND, envelope
from helpline.catalog.types import ConversationId, Id, Phone, described

#: The customer a send command was for (both of its outcomes name them).
Recipient = Annotated[Phone, described("""
    The customer's number the send command was for (its ``channel.customer_phone``).""")]


class _DeliveryReport(CatalogMessage):
    """What ms-whatsapp reports about one of the conversation's replies."""

    in_seed = False

    conversation_id: ConversationId


class _SendOutcome(_DeliveryReport):
    """How a *Send WhatsApp Business Text Message* command ended."""

    route = Route("event", "ms-whatsapp", ("ms-conv-store",))

    send_message_id: Id
    """The ``message_id`` of the send command."""


class WhatsAppBusinessTextMessageSent(_SendOutcome):
    """The Graph API accepted our message; ``wamid`` is Meta's id for it."""

    about = About("whatsapp-business-text-message-sent", "WhatsApp Business Text Message Sent",
                  "ms-whatsapp sent a message through the Graph API.")

    wamids: tuple[str, ...] = Field(min_length=1)
    """Meta's ids of the WhatsApp messages the command became, in order: one per piece of a
    text longer than 4,096 characters; with an attachment, its media message first."""
    to: Recipient

    example = {
        **envelope("a3b4c5d6-e7f8-5a9b-8c0d-2e3f4a5b6c14", SEND),
        "conversation_id": CONV,
        "send_message_id": SEND,
        "wamids": ["wamid.HBgLMzQ2MDAxMjM0NTYVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"],
        "to": PHONE,
    }


class WhatsAppBusinessTextMessageStatusUpdated(_DeliveryReport):
    """Meta reported a delivery status for one of our messages."""

    about = About("whatsapp-business-text-message-status-updated",
                  "WhatsApp Business Text Message Status Updated",
                  "ms-whatsapp relays a status notification (sent, delivered, read, failed); "
                  "it also settles its own send ledger with it.")
    route = Route("event", "ms-whatsapp", ("ms-conv-store", "ms-whatsapp"))

    wamid: Id
    """Meta's id of our message the status is about (one of a *…-sent*'s ``wamids``)."""
    status: Literal["sent", "delivered", "read", "failed", "deleted", "warning"]
    """Meta's ``statuses[].status`` (a value not listed here is not relayed)."""
    recipient_phone: Phone
    """The customer's number the message went to (``statuses[].recipient_id``): the
    conversation is keyed by it."""
    phone_number_id: Id
    """Meta's id of the business number that sent it (``metadata.phone_number_id``)."""
    errors: tuple[dict[str, Any], ...] = ()
    """Meta's ``statuses[].errors`` objects, as received; empty when there are none."""
    callback_data: str | None = Field(default=None, max_length=512)
    """Meta's ``biz_opaque_callback_data``, echoed from the send: ``<send command id>:<piece>``
    for our sends (it settles a send whose outcome a crash left unknown)."""

    example = {
        **envelope("b4c5d6e7-f8a9-5b0c-9d1e-3f4a5b6c7d15", None, "2026-11-24T10:15:09Z"),
        "conversation_id": CONV,
        "wamid": "wamid.HBgLMzQ2MDAxMjM0NTYVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
        "status": "read",
        "recipient_phone": PHONE,
        "phone_number_id": PHONE_NUMBER_ID,
        "errors": [],
        "callback_data": f"{SEND}:0",
    }


class WhatsAppBusinessTextMessageSendFailed(_SendOutcome):
    """A send command could not be carried out; ``code`` is Meta's error code if any."""

    about = About("whatsapp-business-text-message-send-failed",
                  "WhatsApp Business Text Message Send Failed",
                  "ms-whatsapp gave up on a send (permanent Graph API error or policy).")

    to: Recipient
    code: int | None = None
    """Meta's error code (Graph API ``error.code``), or 131047 when ms-whatsapp itself refused a
    text outside the 24-hour window; ``None``: no code (e.g. ms-whatsapp gave up on it)."""
    reason: str
    """Why, in words: Meta's error message or ms-whatsapp's own; the transcript shows ``Reply
    not delivered: …``."""

    example = {
        **envelope("c5d6e7f8-a9b0-5c1d-8e2f-4a5b6c7d8e16", SEND),
        "conversation_id": CONV,
        "send_message_id": SEND,
        "to": PHONE,
        "code": 131047,
        "reason": "Re-engagement message: more than 24 hours since the customer last replied.",
    }
