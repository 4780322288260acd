"""ms-conv-store's messages: what it asks ms-rag, ms-agents and ms-whatsapp to do, and its
reply to Get Conversation."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from helpline.catalog.base import About, CatalogMessage, InReplyToCustomerMessage, Route
from helpline.catalog.examples import (
    AGENT_EXAMPLE,
    ATTACHMENT_EXAMPLE,
    CHANNEL,
    CONV,
    PHONE_AND_CUSTOMER,
    SEND,
    TICKET,
    WAMID,
    envelope,
)
from helpline.catalog.types import (
    ActiveChannel,
    Attachment,
    Channel,
    ConversationId,
    CustomerEntry,
    CustomerPhone,
    Frozen,
    Id,
    LongText,
    Phone,
    Text,
    TicketId,
    Turn,
)


class GenerateAIAgentAnswerWithUserInfo(InReplyToCustomerMessage):
    """Ask the AI agent to answer a customer's message. It carries what ms-rag needs to
    answer on its own: the customer's registry entry and the latest turns."""

    about = About("generate-ai-agent-answer-with-user-info", "Generate AI Agent Answer",
                  "ms-conv-store asks ms-rag to answer, with the customer and recent history.")
    route = Route("command", "ms-conv-store", ("ms-rag",))

    question: Text
    """The customer's message to answer: its ``text`` as received."""
    phone: CustomerPhone
    customer: CustomerEntry = None
    history: tuple[Turn, ...] = ()
    """The conversation's latest turns (at most ten), oldest first, for context."""

    example = {
        **envelope("a3c1e9a4-1b9e-5f0c-9d55-8e0b6c4f7a03", "5d6a8d0e-7a0f-5f7b-b7a4-43c1f3f0aa02"),
        "conversation_id": CONV,
        "in_reply_to": WAMID,
        "question": "Hola, ¿a qué hora abrís el sábado?",
        **PHONE_AND_CUSTOMER,
        "history": [
            {
                "author": "customer",
                "text": "Hola, ¿a qué hora abrís el sábado?",
                "at": "2026-11-24T10:15:00Z",
                "message_id": WAMID,
            }
        ],
    }


class GenerateAgentAnswer(InReplyToCustomerMessage):
    """Forward a customer's message to the human agent who holds the open ticket."""

    about = About("generate-agent-answer", "Generate Agent Answer",
                  "While a ticket is open, ms-conv-store forwards customer messages to ms-agents.")
    route = Route("command", "ms-conv-store", ("ms-agents",))
    in_seed = False  # named in the seed's prose, not in its steps

    ticket_id: TicketId
    text: Text
    """The customer's message: its ``text`` as received."""
    phone: CustomerPhone
    customer: CustomerEntry = None

    example = {
        **envelope("d4e5f6a7-b8c9-5d0e-9f1a-2b3c4d5e6f05", "5d6a8d0e-7a0f-5f7b-b7a4-43c1f3f0aa02"),
        "conversation_id": CONV,
        "ticket_id": TICKET,
        "in_reply_to": WAMID,
        "text": "El pedido 1234 sigue sin llegar",
        **PHONE_AND_CUSTOMER,
    }


class OpenTicket(CatalogMessage):
    """Order a ticket so that a human agent takes the conversation over."""

    about = About("open-ticket", "Open Ticket",
                  "ms-conv-store orders a ticket because the AI agent asked for one.")
    route = Route("command", "ms-conv-store", ("ms-agents",))

    ticket_id: Id
    """Derived from the conversation and the request, so a redelivered order opens one
    ticket."""
    conversation_id: ConversationId
    phone: CustomerPhone
    customer: CustomerEntry = None
    reason: str = ""
    """Why a person is needed: the AI agent's reason, or ms-conv-store's own when it hands
    over by itself (an AI answer too late for the 24-hour window, a reply that could not be
    delivered)."""
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    """The customer's language (their entry's ``language``): of equally busy agents, ms-agents
    gives the ticket to one who speaks it; ``None``: not known."""

    example = {
        **envelope("e5f6a7b8-c9d0-5e1f-8a2b-3c4d5e6f7a06", "c2f0a1d3-5e6b-5a8c-8b1f-2d3e4f5a6b04"),
        "ticket_id": TICKET,
        "conversation_id": CONV,
        **PHONE_AND_CUSTOMER,
        "reason": "customer asked for a person",
        "language": "es",
    }


class TicketSummary(Frozen):
    """The ticket part of a Conversation Document."""

    ticket_id: str
    status: Literal["requested", "open", "assigned", "closed"]
    agent_id: str | None = None
    agent_name: str | None = None


class ConversationDocument(CatalogMessage):
    """The reply to Get Conversation: the conversation as the agent should see it."""

    about = About("conversation-document", "Conversation Document",
                  "ms-conv-store answers Get Conversation with the ordered history.")
    route = Route("reply", "ms-conv-store", ("ms-agents",))

    conversation_id: ConversationId
    found: bool = True
    """``False``: ms-conv-store has no such conversation, and the fields below are empty."""
    phone: Phone | None = None
    """The customer's WhatsApp number (E.164 digits without ``+``); ``None`` when not
    ``found``."""
    customer: CustomerEntry = None
    active_channel: Channel | None = None
    """Where replies go now: the business number the customer last wrote to (Meta's
    ``phone_number_id``) and their number; ``None`` when not ``found``."""
    ticket: TicketSummary | None = None
    """The conversation's current ticket (requested, open or assigned); ``None`` when it has
    none."""
    turns: tuple[Turn, ...] = ()
    """The latest turns, oldest first; at most a page (a count and a size that keep the
    document well under NATS's max payload)."""
    version: int = 0
    """The conversation's version (how many events it has stored) when it was read: ms-agents
    keeps a document only if it is newer than the one it has; 0 when not ``found``."""
    earlier_before_version: int | None = None
    """Earlier turns exist: ask again with ``before_version`` set to this; ``None`` when
    ``turns`` starts at the beginning of the conversation."""

    example = {
        **envelope("c9d0e1f2-a3b4-5c5d-8e6f-7a8b9c0d1e10", "b8c9d0e1-f2a3-5b4c-9d5e-6f7a8b9c0d09"),
        "conversation_id": CONV,
        "found": True,
        **PHONE_AND_CUSTOMER,
        "active_channel": CHANNEL,
        "ticket": {
            "ticket_id": TICKET,
            "status": "assigned",
            **AGENT_EXAMPLE,
        },
        "turns": [
            {"author": "customer", "text": "quiero hablar con una persona",
             "at": "2026-11-24T10:16:00Z", "message_id": WAMID},
            {"author": "ai", "text": "Te paso con una persona del equipo.",
             "at": "2026-11-24T10:16:01Z"},
        ],
        "version": 9,
    }


class SendWhatsAppBusinessTextMessage(CatalogMessage):
    """Command ms-whatsapp to send a text to the customer through the Graph API."""

    about = About("send-whatsapp-business-text-message", "Send WhatsApp Business Text Message",
                  "ms-conv-store sends an answer (AI or human) on the active channel.")
    route = Route("command", "ms-conv-store", ("ms-whatsapp",))

    conversation_id: ConversationId
    channel: ActiveChannel
    text: LongText
    """The reply (an agent's starts with ``*Name*:`` where the business number signs replies);
    ms-whatsapp sends it as messages of at most 4,096 characters."""
    author: Literal["ai", "agent", "system"]
    """Who wrote the text, as the conversation's transcript shows it (ms-whatsapp sends every
    author's text the same way)."""
    reply_to_wamid: str | None = None
    """The customer's message the reply quotes (Graph API ``context.message_id``, on its first
    message); ``None``: it quotes none."""
    preview_url: bool = False
    """Graph API ``text.preview_url``: whether WhatsApp may show a preview of a link in the
    text; ms-conv-store sends ``False``."""
    customer_last_message_at: AwareDatetime | None = None
    """When the customer last wrote: free-form replies are allowed for 24 hours after it."""
    attachment: Attachment | None = Field(default=None, examples=[ATTACHMENT_EXAMPLE])
    """An agent's image or document: ms-whatsapp uploads it (``POST /{phone-number-id}/media``)
    and sends it by its media id with ``text`` as its caption (or, over 1,024 characters,
    the text after it), each step once however often the command is delivered."""

    example = {
        **envelope(SEND, "c2f0a1d3-5e6b-5a8c-8b1f-2d3e4f5a6b04"),
        "conversation_id": CONV,
        "channel": CHANNEL,
        "text": "Los sábados abrimos de 10:00 a 14:00.",
        "author": "ai",
        "reply_to_wamid": WAMID,
        "preview_url": False,
        "customer_last_message_at": "2026-11-24T10:15:00Z",
    }
