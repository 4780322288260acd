"""A customer's message as ms-whatsapp and ms-gateway pass it on (the seed's first two
messages).

Names follow the seed: ``WhatsAppBusinessTextMessageReceived`` is the catalog message
``whatsapp-business-text-message-received`` version ``0.0.1``. The ``example`` of each class
fills the seed's "TODO Add example" and is validated by the tests.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, Field

from helpline.catalog.base import About, CatalogMessage, Route
from helpline.catalog.examples import (
    CUSTOMER,
    MEDIA_EXAMPLE,
    PHONE,
    PHONE_NUMBER_ID,
    WAMID,
    envelope,
)
from helpline.catalog.types import CustomerEntry, Id, MediaInfo, MessageType, Phone, Text


class _InboundMessage(CatalogMessage):
    """Fields of an inbound WhatsApp message (Cloud API ``messages[]`` entry)."""

    wamid: Id
    """WhatsApp's id of the customer's message (the webhook's ``messages[].id``)."""
    phone_number_id: Id
    """Meta's id of the business number the customer wrote to (``metadata.phone_number_id``);
    replies are sent from it."""
    display_phone_number: str | None = None
    """That business number as people see it (``metadata.display_phone_number``); ``None``
    if the webhook left it out."""
    sender_phone: Phone
    """The customer's WhatsApp number (``messages[].from``, E.164 digits without ``+``): the
    conversation is keyed by it."""
    profile_name: str | None = None
    """The customer's WhatsApp profile name (``contacts[].profile.name``); ``None`` if the
    webhook gave none."""
    message_type: MessageType = "text"
    """Meta's ``messages[].type``; a type not listed here arrives as ``unsupported``."""
    text: Text
    """The message as a person reads it: a text's body, a media caption, or a bracketed
    summary (``[voice message]``, ``[location: …]``); cut to 4,096 characters."""
    sent_at: AwareDatetime
    """When the customer sent it: Meta's ``timestamp`` (whole seconds, UTC)."""
    context_wamid: str | None = None
    """The message the customer replied to (``context.id``); ``None`` if it is not a reply."""
    media: MediaInfo | None = Field(default=None, examples=[MEDIA_EXAMPLE])
    """An image, document, audio, video or sticker: Meta's media id and what ms-whatsapp
    did with it (stored under its SHA-256, or why not). ``None`` for other types."""


_INBOUND_EXAMPLE: dict[str, Any] = {
    "wamid": WAMID,
    "phone_number_id": PHONE_NUMBER_ID,
    "display_phone_number": "15550783881",
    "sender_phone": PHONE,
    "profile_name": "Lucía",
    "message_type": "text",
    "text": "Hola, ¿a qué hora abrís el sábado?",
    "sent_at": "2026-11-24T10:15:00Z",
}


class WhatsAppBusinessTextMessageReceived(_InboundMessage):
    """A customer wrote to the business on WhatsApp (Meta called our webhook)."""

    about = About("whatsapp-business-text-message-received",
                  "WhatsApp Business API Text Message Received",
                  "ms-whatsapp turned a webhook notification into a message from a customer.")
    route = Route("event", "ms-whatsapp", ("ms-gateway",))
    example = {**envelope("0b7e6f7e-3c55-5b0e-8f3e-6a4f8c1d2e01", None), **_INBOUND_EXAMPLE}


class WhatsAppBusinessTextMessageWithUserInfoReceived(_InboundMessage):
    """The inbound message with the customer's registry entry (``None`` if unregistered)."""

    about = About("whatsapp-business-text-message-with-user-info-received",
                  "WhatsApp Business API Text Message With User Info Received",
                  "ms-gateway looked the sender up in the customer registry.")
    route = Route("event", "ms-gateway", ("ms-conv-store",))

    customer: CustomerEntry = None

    example = {
        **envelope("5d6a8d0e-7a0f-5f7b-b7a4-43c1f3f0aa02", "0b7e6f7e-3c55-5b0e-8f3e-6a4f8c1d2e01"),
        **_INBOUND_EXAMPLE,
        "customer": CUSTOMER,
    }
