"""One pydantic model per catalog message (the seed's messages plus the ones we added).

Names follow the seed: ``WhatsAppBusinessTextMessageReceived`` is the catalog message
``whatsapp-business-text-message-received`` version ``0.0.1``. The ``example`` of each class
fills the seed's "TODO Add example" and is validated by the tests.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from helpline.catalog.base import CatalogMessage

# ms-whatsapp's delivery reports live in their own module; re-exported here.
from helpline.catalog.delivery import (
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
)
from helpline.catalog.examples import CHANNEL, CONV, CUSTOMER, WAMID, envelope
from helpline.catalog.types import (
    Channel,
    CustomerInfo,
    Frozen,
    Id,
    LongText,
    MessageType,
    Phone,
    Text,
    Turn,
)


class _InboundMessage(CatalogMessage):
    """Fields of an inbound WhatsApp message (Cloud API ``messages[]`` entry)."""

    wamid: Id
    phone_number_id: Id
    display_phone_number: str | None = None
    sender_phone: Phone
    profile_name: str | None = None
    message_type: MessageType = "text"
    text: Text
    sent_at: AwareDatetime
    context_wamid: str | None = None


_INBOUND_EXAMPLE: dict[str, Any] = {
    "wamid": WAMID,
    "phone_number_id": "106540352242922",
    "display_phone_number": "15550783881",
    "sender_phone": "34600123456",
    "profile_name": "Lucía",
    "message_type": "text",
    "text": "Hola, ¿a qué hora abrís el sábado?",
    "sent_at": "2026-11-24T10:15:00Z",
}


class WhatsAppBusinessTextMessageReceived(_InboundMessage):
    """A customer wrote to the business on WhatsApp (Meta called our webhook)."""

    catalog_id = "whatsapp-business-text-message-received"
    kind = "event"
    title = "WhatsApp Business API Text Message Received"
    summary = "ms-whatsapp turned a webhook notification into a message from a customer."
    producer = "ms-whatsapp"
    consumers = ("ms-gateway",)
    example = {**envelope("0b7e6f7e-3c55-5b0e-8f3e-6a4f8c1d2e01", None), **_INBOUND_EXAMPLE}


class WhatsAppBusinessTextMessageWithUserInfoReceived(_InboundMessage):
    """The inbound message with the customer's registry entry (``None`` if unregistered)."""

    catalog_id = "whatsapp-business-text-message-with-user-info-received"
    kind = "event"
    title = "WhatsApp Business API Text Message With User Info Received"
    summary = "ms-gateway looked the sender up in the customer registry."
    producer = "ms-gateway"
    consumers = ("ms-conv-store",)
    example = {
        **envelope("5d6a8d0e-7a0f-5f7b-b7a4-43c1f3f0aa02", "0b7e6f7e-3c55-5b0e-8f3e-6a4f8c1d2e01"),
        **_INBOUND_EXAMPLE,
        "customer": CUSTOMER,
    }

    customer: CustomerInfo | None = None


class GenerateAIAgentAnswerWithUserInfo(CatalogMessage):
    """Ask the AI agent to answer a customer's message."""

    catalog_id = "generate-ai-agent-answer-with-user-info"
    kind = "command"
    title = "Generate AI Agent Answer"
    summary = "ms-conv-store asks ms-rag to answer, with the customer and recent history."
    producer = "ms-conv-store"
    consumers = ("ms-rag",)
    example = {
        **envelope("a3c1e9a4-1b9e-5f0c-9d55-8e0b6c4f7a03", "5d6a8d0e-7a0f-5f7b-b7a4-43c1f3f0aa02"),
        "conversation_id": CONV,
        "in_reply_to": WAMID,
        "question": "Hola, ¿a qué hora abrís el sábado?",
        "phone": "34600123456",
        "customer": CUSTOMER,
        "history": [
            {
                "author": "customer",
                "text": "Hola, ¿a qué hora abrís el sábado?",
                "at": "2026-11-24T10:15:00Z",
                "message_id": WAMID,
            }
        ],
    }

    conversation_id: Id
    in_reply_to: Id
    question: Text
    phone: Phone
    customer: CustomerInfo | None = None
    history: tuple[Turn, ...] = ()


class AIAgentAnswerGenerated(CatalogMessage):
    """The AI agent's answer; ``open_ticket`` asks for a human to take over."""

    catalog_id = "ai-agent-answer-generated"
    kind = "event"
    title = "AI Agent Answer Generated"
    summary = "ms-rag answered from the knowledge base, or asked for a human (open_ticket)."
    producer = "ms-rag"
    consumers = ("ms-conv-store",)
    example = {
        **envelope("c2f0a1d3-5e6b-5a8c-8b1f-2d3e4f5a6b04", "a3c1e9a4-1b9e-5f0c-9d55-8e0b6c4f7a03"),
        "conversation_id": CONV,
        "in_reply_to": WAMID,
        "text": "Los sábados abrimos de 10:00 a 14:00.",
        "open_ticket": False,
        "reason": None,
        "confidence": 0.82,
        "sources": ["kb/es/horario.md"],
    }

    conversation_id: Id
    in_reply_to: Id
    text: LongText
    open_ticket: bool = False
    reason: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    sources: tuple[str, ...] = ()


class GenerateAgentAnswer(CatalogMessage):
    """Forward a customer's message to the human agent who holds the open ticket."""

    catalog_id = "generate-agent-answer"
    kind = "command"
    title = "Generate Agent Answer"
    summary = "While a ticket is open, ms-conv-store forwards customer messages to ms-agents."
    producer = "ms-conv-store"
    consumers = ("ms-agents",)
    in_seed = False  # named in the seed's prose, not in its steps
    example = {
        **envelope("d4e5f6a7-b8c9-5d0e-9f1a-2b3c4d5e6f05", "5d6a8d0e-7a0f-5f7b-b7a4-43c1f3f0aa02"),
        "conversation_id": CONV,
        "ticket_id": "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510",
        "in_reply_to": WAMID,
        "text": "El pedido 1234 sigue sin llegar",
        "phone": "34600123456",
        "customer": CUSTOMER,
    }

    conversation_id: Id
    ticket_id: Id
    in_reply_to: Id
    text: Text
    phone: Phone
    customer: CustomerInfo | None = None


class OpenTicket(CatalogMessage):
    """Order a ticket so that a human agent takes the conversation over."""

    catalog_id = "open-ticket"
    kind = "command"
    title = "Open Ticket"
    summary = "ms-conv-store orders a ticket because the AI agent asked for one."
    producer = "ms-conv-store"
    consumers = ("ms-agents",)
    example = {
        **envelope("e5f6a7b8-c9d0-5e1f-8a2b-3c4d5e6f7a06", "c2f0a1d3-5e6b-5a8c-8b1f-2d3e4f5a6b04"),
        "ticket_id": "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510",
        "conversation_id": CONV,
        "phone": "34600123456",
        "customer": CUSTOMER,
        "reason": "customer asked for a person",
        "language": "es",
    }

    ticket_id: Id
    conversation_id: Id
    phone: Phone
    customer: CustomerInfo | None = None
    reason: str = ""
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")


class TicketOpened(CatalogMessage):
    """A ticket exists for the conversation (it may still wait for a free agent)."""

    catalog_id = "ticket-opened"
    kind = "event"
    title = "Ticket Opened"
    summary = "ms-agents created the ticket."
    producer = "ms-agents"
    consumers = ("ms-conv-store",)
    example = {
        **envelope("f6a7b8c9-d0e1-5f2a-9b3c-4d5e6f7a8b07", "e5f6a7b8-c9d0-5e1f-8a2b-3c4d5e6f7a06"),
        "ticket_id": "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510",
        "conversation_id": CONV,
        "reason": "customer asked for a person",
    }

    ticket_id: Id
    conversation_id: Id
    reason: str = ""


class AgentAssigned(CatalogMessage):
    """A human agent now holds the ticket (first assignment or reassignment)."""

    catalog_id = "agent-assigned"
    kind = "event"
    title = "Agent Assigned"
    summary = "ms-agents assigned (or reassigned) the ticket to a human agent."
    producer = "ms-agents"
    consumers = ("ms-conv-store",)
    example = {
        **envelope("a7b8c9d0-e1f2-5a3b-8c4d-5e6f7a8b9c08", "e5f6a7b8-c9d0-5e1f-8a2b-3c4d5e6f7a06"),
        "ticket_id": "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510",
        "conversation_id": CONV,
        "agent_id": "agt_marta",
        "agent_name": "Marta",
        "previous_agent_id": None,
    }

    ticket_id: Id
    conversation_id: Id
    agent_id: Id
    agent_name: str
    previous_agent_id: str | None = None


class GetConversation(CatalogMessage):
    """Ask ms-conv-store for a conversation (request/reply over core NATS)."""

    catalog_id = "get-conversation"
    kind = "query"
    title = "Get Conversation"
    summary = "ms-agents asks for the conversation so the agent sees its history."
    producer = "ms-agents"
    consumers = ("ms-conv-store",)
    example = {
        **envelope("b8c9d0e1-f2a3-5b4c-9d5e-6f7a8b9c0d09", "a7b8c9d0-e1f2-5a3b-8c4d-5e6f7a8b9c08"),
        "conversation_id": CONV,
        "requested_by": "ms-agents",
    }

    conversation_id: Id
    requested_by: str = "ms-agents"
    before_version: int | None = Field(default=None, ge=1)
    """Ask for the turns before this conversation version (the next page back); ``None``:
    the latest turns."""


class TicketSummary(Frozen):
    """The ticket part of a Conversation Document."""

    ticket_id: str
    status: Literal["requested", "open", "assigned", "closed"]
    agent_id: str | None = None
    agent_name: str | None = None


class ConversationDocument(CatalogMessage):
    """The reply to Get Conversation: the conversation as the agent should see it."""

    catalog_id = "conversation-document"
    kind = "reply"
    title = "Conversation Document"
    summary = "ms-conv-store answers Get Conversation with the ordered history."
    producer = "ms-conv-store"
    consumers = ("ms-agents",)
    example = {
        **envelope("c9d0e1f2-a3b4-5c5d-8e6f-7a8b9c0d1e10", "b8c9d0e1-f2a3-5b4c-9d5e-6f7a8b9c0d09"),
        "conversation_id": CONV,
        "found": True,
        "phone": "34600123456",
        "customer": CUSTOMER,
        "active_channel": CHANNEL,
        "ticket": {
            "ticket_id": "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510",
            "status": "assigned",
            "agent_id": "agt_marta",
            "agent_name": "Marta",
        },
        "turns": [
            {"author": "customer", "text": "quiero hablar con una persona",
             "at": "2026-11-24T10:16:00Z", "message_id": WAMID},
            {"author": "ai", "text": "Te paso con una persona del equipo.",
             "at": "2026-11-24T10:16:01Z"},
        ],
        "version": 9,
    }

    conversation_id: Id
    found: bool = True
    phone: Phone | None = None
    customer: CustomerInfo | None = None
    active_channel: Channel | None = None
    ticket: TicketSummary | None = None
    turns: tuple[Turn, ...] = ()
    """The latest turns, oldest first; at most a page (a count and a size that keep the
    document well under NATS's max payload)."""
    version: int = 0
    earlier_before_version: int | None = None
    """Earlier turns exist: ask again with ``before_version`` set to this; ``None`` when
    ``turns`` starts at the beginning of the conversation."""


class AgentAnswerGenerated(CatalogMessage):
    """A human agent wrote a reply to the customer."""

    catalog_id = "agent-answer-generated"
    kind = "event"
    title = "Agent Answer Generated"
    summary = "ms-agents publishes the human agent's answer."
    producer = "ms-agents"
    consumers = ("ms-conv-store",)
    example = {
        **envelope("d0e1f2a3-b4c5-5d6e-9f7a-8b9c0d1e2f11", None),
        "ticket_id": "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510",
        "conversation_id": CONV,
        "agent_id": "agt_marta",
        "agent_name": "Marta",
        "text": "Hola Lucía, soy Marta. Miro tu pedido ahora mismo.",
    }

    ticket_id: Id
    conversation_id: Id
    agent_id: Id
    agent_name: str = ""
    text: LongText


class SendWhatsAppBusinessTextMessage(CatalogMessage):
    """Command ms-whatsapp to send a text to the customer through the Graph API."""

    catalog_id = "send-whatsapp-business-text-message"
    kind = "command"
    title = "Send WhatsApp Business Text Message"
    summary = "ms-conv-store sends an answer (AI or human) on the active channel."
    producer = "ms-conv-store"
    consumers = ("ms-whatsapp",)
    example = {
        **envelope("e1f2a3b4-c5d6-5e7f-8a9b-0c1d2e3f4a12", "c2f0a1d3-5e6b-5a8c-8b1f-2d3e4f5a6b04"),
        "conversation_id": CONV,
        "channel": CHANNEL,
        "text": "Los sábados abrimos de 10:00 a 14:00.",
        "author": "ai",
        "reply_to_wamid": WAMID,
        "preview_url": False,
        "customer_last_message_at": "2026-11-24T10:15:00Z",
    }

    conversation_id: Id
    channel: Channel
    text: LongText
    author: Literal["ai", "agent", "system"]
    reply_to_wamid: str | None = None
    preview_url: bool = False
    customer_last_message_at: AwareDatetime | None = None
    """When the customer last wrote: free-form replies are allowed for 24 hours after it."""


class TicketClosed(CatalogMessage):
    """The ticket is closed; the AI agent answers the conversation again."""

    catalog_id = "ticket-closed"
    kind = "event"
    title = "Ticket Closed"
    summary = "ms-agents closed the ticket with a resolution; the AI takes over again."
    producer = "ms-agents"
    consumers = ("ms-conv-store",)
    in_seed = False
    example = {
        **envelope("f2a3b4c5-d6e7-5f8a-9b0c-1d2e3f4a5b13", None),
        "ticket_id": "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510",
        "conversation_id": CONV,
        "agent_id": "agt_marta",
        "resolution": "Pedido reenviado; llegará el jueves.",
    }

    ticket_id: Id
    conversation_id: Id
    agent_id: str | None = None
    resolution: Text


__all__ = [
    "AIAgentAnswerGenerated",
    "AgentAnswerGenerated",
    "AgentAssigned",
    "ConversationDocument",
    "GenerateAIAgentAnswerWithUserInfo",
    "GenerateAgentAnswer",
    "GetConversation",
    "OpenTicket",
    "SendWhatsAppBusinessTextMessage",
    "TicketClosed",
    "TicketOpened",
    "TicketSummary",
    "WhatsAppBusinessTextMessageReceived",
    "WhatsAppBusinessTextMessageSendFailed",
    "WhatsAppBusinessTextMessageSent",
    "WhatsAppBusinessTextMessageStatusUpdated",
    "WhatsAppBusinessTextMessageWithUserInfoReceived",
]
