"""Emit the catalog's messages: a pure translation from stored domain events.

This is the outbox's content: the relay follows an application's notification log and
publishes ``messages_for(event, generation)`` for each stored event. Message ids are derived
from the event's aggregate id and version and the store's generation, so a republished event
carries the same ``message_id`` (the ``Nats-Msg-Id`` JetStream de-duplicates on), while another
store (rebuilt, or another deployment on the same NATS) never repeats one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import singledispatch
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    CatalogMessage,
    GenerateAgentAnswer,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    OpenTicket,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
    TicketOpened,
)
from helpline.domain.conversation import Conversation
from helpline.domain.ids import derived_id
from helpline.domain.ticket import Ticket


def message_id_for(event: Any, index: int = 0, generation: str | None = None) -> UUID:
    """The id of the ``index``-th message emitted by a stored event of the store
    ``generation`` (``None``: the ids of stores older than generations)."""
    scope = [event.originator_id] if generation is None else [event.originator_id, generation]
    return derived_id(*scope, "message", event.originator_version, index)


def _envelope(event: Any, generation: str | None, correlation_id: object, cause: str | None,
              index: int = 0) -> Any:
    return {
        "message_id": message_id_for(event, index, generation),
        "correlation_id": str(correlation_id),
        "causation_id": cause,
        "occurred_at": event.timestamp,
    }


def messages_for(event: object, generation: str | None = None) -> list[CatalogMessage]:
    """The catalog messages a stored domain event of the store ``generation`` publishes
    (most publish none)."""
    return _messages(event, generation)


@singledispatch
def _messages(event: object, generation: str | None) -> list[CatalogMessage]:
    return []


def emitting_topics() -> list[str]:
    """The topics of the stored events that publish messages (what an outbox relay reads)."""
    return [get_topic(cls) for cls in _messages.registry if cls is not object]


def _register(cls: type[Any]) -> Callable[[Callable[[Any, str | None],
                                                  list[CatalogMessage]]], Any]:
    return _messages.register(cls)


@_register(Conversation.AIAnswerRequested)
def _(e: Conversation.AIAnswerRequested, generation: str | None) -> list[CatalogMessage]:
    return [
        GenerateAIAgentAnswerWithUserInfo(
            **_envelope(e, generation, e.originator_id, e.cause_id),
            conversation_id=str(e.originator_id), in_reply_to=e.in_reply_to,
            question=e.question, phone=e.phone, customer=e.customer, history=e.history,
        )
    ]


@_register(Conversation.AgentAnswerRequested)
def _(e: Conversation.AgentAnswerRequested, generation: str | None) -> list[CatalogMessage]:
    return [
        GenerateAgentAnswer(
            **_envelope(e, generation, e.originator_id, e.cause_id),
            conversation_id=str(e.originator_id), ticket_id=e.ticket_id,
            in_reply_to=e.in_reply_to, text=e.text, phone=e.phone, customer=e.customer,
        )
    ]


@_register(Conversation.TicketRequested)
def _(e: Conversation.TicketRequested, generation: str | None) -> list[CatalogMessage]:
    return [
        OpenTicket(
            **_envelope(e, generation, e.originator_id, e.cause_id),
            ticket_id=e.ticket_id, conversation_id=str(e.originator_id), phone=e.phone,
            customer=e.customer, reason=e.reason, language=e.language,
        )
    ]


@_register(Conversation.ReplyDispatched)
def _(e: Conversation.ReplyDispatched, generation: str | None) -> list[CatalogMessage]:
    return [
        SendWhatsAppBusinessTextMessage(
            # The reply's own id, so that ms-whatsapp's Sent/SendFailed name the reply.
            **{**_envelope(e, generation, e.originator_id, e.cause_id),
               "message_id": UUID(e.reply_id)},
            conversation_id=str(e.originator_id), channel=e.channel, text=e.text,
            author=e.author, reply_to_wamid=e.reply_to_wamid,
            customer_last_message_at=e.customer_last_message_at,
        )
    ]


@_register(Ticket.Opened)
def _(e: Ticket.Opened, generation: str | None) -> list[CatalogMessage]:
    return [
        TicketOpened(
            **_envelope(e, generation, e.conversation_id, e.cause_id),
            ticket_id=str(e.originator_id), conversation_id=e.conversation_id, reason=e.reason,
        )
    ]


@_register(Ticket.AgentAssigned)
def _(e: Ticket.AgentAssigned, generation: str | None) -> list[CatalogMessage]:
    first = AgentAssigned(
        **_envelope(e, generation, e.conversation_id, None), ticket_id=str(e.originator_id),
        conversation_id=e.conversation_id, agent_id=e.agent_id, agent_name=e.agent_name,
        previous_agent_id=e.previous_agent_id,
    )
    # The seed's step 5: once an agent holds the ticket, ms-agents asks for the conversation.
    query = GetConversation(
        **_envelope(e, generation, e.conversation_id, str(first.message_id), 1),
        conversation_id=e.conversation_id,
    )
    return [first, query]


@_register(Ticket.AgentAnswered)
def _(e: Ticket.AgentAnswered, generation: str | None) -> list[CatalogMessage]:
    return [
        AgentAnswerGenerated(
            **_envelope(e, generation, e.conversation_id, None), ticket_id=str(e.originator_id),
            conversation_id=e.conversation_id, agent_id=e.agent_id, agent_name=e.agent_name,
            text=e.text,
        )
    ]


@_register(Ticket.Closed)
def _(e: Ticket.Closed, generation: str | None) -> list[CatalogMessage]:
    return [
        TicketClosed(
            **_envelope(e, generation, e.conversation_id, None), ticket_id=str(e.originator_id),
            conversation_id=e.conversation_id, agent_id=e.agent_id, resolution=e.resolution,
        )
    ]
