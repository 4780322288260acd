"""Value types shared by the catalog messages: validated phone numbers, texts and ids, and the
documented types of the fields many messages share (described once)."""

from __future__ import annotations

import inspect
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

#: WhatsApp's limit for a text message body.
MAX_TEXT_LENGTH = 4096

_NON_DIGITS = re.compile(r"[\s().\-/]")


def normalise_phone(value: str) -> str:
    """Return ``value`` as E.164 digits without the ``+`` (WhatsApp's ``wa_id`` form).

    Accepts the usual ways people write numbers (``+34 600 12-34-56``, ``(34) 600123456``,
    ``0034600123456``) and rejects anything that is not 8 to 15 digits with a non-zero
    country code.
    """
    if not isinstance(value, str):
        raise ValueError("phone number must be a string")
    raw = _NON_DIGITS.sub("", value.strip())
    if raw.startswith("+"):
        raw = raw[1:]
    elif raw.startswith("00"):
        raw = raw[2:]
    if not raw.isdigit():
        raise ValueError(f"phone number {value!r} must contain only digits, spaces and + - ( ) .")
    if not 8 <= len(raw) <= 15:
        raise ValueError(f"phone number {value!r} must have 8 to 15 digits in E.164 form")
    if raw[0] == "0":
        raise ValueError(f"phone number {value!r} must start with a country code, not 0")
    return raw


#: A phone number in E.164 digits (no ``+``), e.g. ``"34600123456"``.
Phone = Annotated[str, AfterValidator(normalise_phone)]

#: A non-empty identifier with no surrounding blanks.
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]

#: A message text as WhatsApp accepts it: 1..4096 characters, not only blanks.
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH)
]

#: A reply we send: ms-whatsapp splits it into messages of at most 4096 characters.
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=65536)]

#: Who wrote a line of a conversation.
Author = Literal["customer", "ai", "agent", "system"]

#: The WhatsApp message types we parse (Cloud API ``messages[].type``).
MessageType = Literal[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "order",
    "system",
    "unsupported",
]


class Frozen(BaseModel):
    """Base of every catalog model: immutable, and unknown fields are an error. A field's
    docstring is its description in the JSON Schema (so in the AsyncAPI document and the
    EventCatalog pages)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False,
                              use_attribute_docstrings=True)


class CustomerInfo(Frozen):
    """What the customer registry knows about the sender of a message."""

    customer_id: Id
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    phone: Phone
    email: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")


class Channel(Frozen):
    """The channel a conversation answers on: a business WhatsApp number and a customer."""

    kind: Literal["whatsapp"] = "whatsapp"
    phone_number_id: Id
    customer_phone: Phone


class Turn(Frozen):
    """One line of a conversation as services exchange it (history, documents)."""

    author: Author
    text: str
    at: AwareDatetime
    message_id: str | None = None
    message_type: str = "text"


#: Media kinds of WhatsApp messages (Cloud API ``messages[].type``).
MediaKind = Literal["image", "audio", "video", "document", "sticker"]

#: Why ms-whatsapp did not store a customer's media (see ``adapters/whatsapp/media.py``).
MediaProblem = Literal["too_large", "unsupported_type", "not_found", "checksum_mismatch"]


class MediaInfo(Frozen):
    """A customer's image, document, audio, video or sticker: what Meta's webhook and media
    endpoint said about it, and whether ms-whatsapp stored it (``stored_sha256``, the hex
    SHA-256 of the bytes it keeps) or why not (``problem``)."""

    kind: MediaKind
    media_id: Id
    """Meta's media id (``GET /{media-id}`` gives a download URL for a while)."""
    mime_type: str | None = Field(default=None, max_length=255)
    sha256: str | None = Field(default=None, max_length=128)
    """The checksum Meta reported (hex or base64)."""
    filename: str | None = Field(default=None, max_length=255)
    file_size: int | None = Field(default=None, ge=0)
    caption: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    voice: bool = False
    animated: bool = False
    stored_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    problem: MediaProblem | None = None


class Attachment(Frozen):
    """A file an agent attached to a reply: kept by its SHA-256 in the media store, sent as
    an ``image`` or a ``document`` (with the reply's text as its caption)."""

    kind: Literal["image", "document"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    mime_type: str = Field(min_length=3, max_length=255)
    filename: str | None = Field(default=None, max_length=255)
    size: int = Field(ge=1)



# -- fields that mean the same in many messages, described once -----------------------------


def described(text: str) -> Any:
    """The ``Field`` of a documented alias: ``text``, cleaned as pydantic cleans a field's
    docstring, is the description of every field typed with the alias. A docstring under such
    a field would be ignored (pydantic takes one only when the type gives no description; a
    test catches it)."""
    return Field(description=inspect.cleandoc(text))


#: The conversation a message is about.
ConversationId = Annotated[Id, described("""
    The customer's conversation: ms-conv-store's id for it, a UUID derived from the
    customer's phone on the WhatsApp channel (``helpline.domain.ids.conversation_id_for``),
    so every service computes the same one.""")]

#: A ticket of ms-agents.
TicketId = Annotated[Id, described("""
    The ticket: its id in ms-agents, the UUID ms-conv-store chose when it ordered it (Open
    Ticket's ``ticket_id``).""")]

#: The customer's phone, as the conversation knows it.
CustomerPhone = Annotated[Phone, described("""
    The customer's WhatsApp number, the one the conversation is keyed by (E.164 digits
    without ``+``).""")]

#: The customer's registry entry, or ``None``.
CustomerEntry = Annotated[CustomerInfo | None, described("""
    The customer's entry in ms-gateway's customer registry, looked up by their phone
    (ms-conv-store passes on the latest it was given); ``None``: none was ever found.""")]

#: Where a conversation's replies go.
ActiveChannel = Annotated[Channel, described("""
    Where the conversation's replies go: the business number to send from (Meta's
    ``phone_number_id`` of the number the customer last wrote to) and the customer's number.""")]

#: The human agent who holds a ticket.
HolderId = Annotated[Id, described("""
    The human agent who holds the ticket: their id in ms-agents' roster.""")]

#: That agent's name.
HolderName = Annotated[str, described("""
    That agent's name in ms-agents' roster: the transcript shows it, and a reply signed with
    it starts with ``*Name*:``.""")]
