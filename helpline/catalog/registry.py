"""The catalog as data: every message class, looked up by catalog id or subject."""

from __future__ import annotations

from helpline.catalog.base import CatalogMessage
from helpline.catalog.messages import (
    AgentAnswerGenerated,
    AgentAssigned,
    AIAgentAnswerGenerated,
    ConversationDocument,
    GenerateAgentAnswer,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    OpenTicket,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
    TicketOpened,
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)

#: Every message of the catalog, in the order of the flow.
MESSAGES: tuple[type[CatalogMessage], ...] = (
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
    GenerateAIAgentAnswerWithUserInfo,
    AIAgentAnswerGenerated,
    GenerateAgentAnswer,
    OpenTicket,
    TicketOpened,
    AgentAssigned,
    GetConversation,
    ConversationDocument,
    AgentAnswerGenerated,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
    WhatsAppBusinessTextMessageSendFailed,
)

_BY_ID: dict[str, type[CatalogMessage]] = {m.catalog_id: m for m in MESSAGES}
_BY_SUBJECT: dict[str, type[CatalogMessage]] = {m.subject(): m for m in MESSAGES}


class UnknownMessageError(LookupError):
    """No catalog message has the given id or subject."""


def message_class(catalog_id: str) -> type[CatalogMessage]:
    """The message class with the given catalog id."""
    try:
        return _BY_ID[catalog_id]
    except KeyError:
        raise UnknownMessageError(f"no catalog message with id {catalog_id!r}") from None


def message_class_for_subject(subject: str) -> type[CatalogMessage]:
    """The message class published on the given NATS subject."""
    try:
        return _BY_SUBJECT[subject]
    except KeyError:
        raise UnknownMessageError(f"no catalog message on subject {subject!r}") from None


def parse_message(subject: str, data: bytes | str) -> CatalogMessage:
    """Validate wire data received on ``subject`` into its catalog message."""
    return message_class_for_subject(subject).model_validate_json(data)
