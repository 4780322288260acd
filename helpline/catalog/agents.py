"""ms-agents' messages: what happens to a ticket, told to ms-conv-store, and its query for
the conversation."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from helpline.catalog.base import About, CatalogMessage, Route
from helpline.catalog.examples import (
    AGENT_EXAMPLE,
    ATTACHMENT_EXAMPLE,
    CONV,
    TICKET_EXAMPLE,
    envelope,
)
from helpline.catalog.types import (
    Attachment,
    ConversationId,
    HolderId,
    HolderName,
    LongText,
    Text,
    TicketId,
)


class _TicketEvent(CatalogMessage):
    """An event of one ticket, which ms-conv-store logs in the ticket's conversation."""

    route = Route("event", "ms-agents", ("ms-conv-store",))

    ticket_id: TicketId
    conversation_id: ConversationId


class TicketOpened(_TicketEvent):
    """A ticket exists for the conversation (it may still wait for a free agent)."""

    about = About("ticket-opened", "Ticket Opened", "ms-agents created the ticket.")

    reason: str = ""
    """Why the ticket was opened: Open Ticket's ``reason``."""

    example = {
        **envelope("f6a7b8c9-d0e1-5f2a-9b3c-4d5e6f7a8b07", "e5f6a7b8-c9d0-5e1f-8a2b-3c4d5e6f7a06"),
        **TICKET_EXAMPLE,
        "reason": "customer asked for a person",
    }


class AgentAssigned(_TicketEvent):
    """A human agent now holds the ticket (first assignment or reassignment)."""

    about = About("agent-assigned", "Agent Assigned",
                  "ms-agents assigned (or reassigned) the ticket to a human agent.")

    agent_id: HolderId
    agent_name: HolderName
    previous_agent_id: str | None = None
    """The agent who held it before (a reassignment or transfer); ``None``: nobody did (the
    first assignment, or after its agent left the desk)."""

    example = {
        **envelope("a7b8c9d0-e1f2-5a3b-8c4d-5e6f7a8b9c08", "e5f6a7b8-c9d0-5e1f-8a2b-3c4d5e6f7a06"),
        **TICKET_EXAMPLE,
        **AGENT_EXAMPLE,
        "previous_agent_id": None,
    }


class GetConversation(CatalogMessage):
    """Ask ms-conv-store for a conversation (request/reply over core NATS)."""

    about = About("get-conversation", "Get Conversation",
                  "ms-agents asks for the conversation so the agent sees its history.")
    route = Route("query", "ms-agents", ("ms-conv-store",))

    conversation_id: ConversationId
    requested_by: str = "ms-agents"
    """Who asks (ms-conv-store answers any caller and does not read it)."""
    before_version: int | None = Field(default=None, ge=1)
    """Ask for the turns before this conversation version (the next page back); ``None``:
    the latest turns."""

    example = {
        **envelope("b8c9d0e1-f2a3-5b4c-9d5e-6f7a8b9c0d09", "a7b8c9d0-e1f2-5a3b-8c4d-5e6f7a8b9c08"),
        "conversation_id": CONV,
        "requested_by": "ms-agents",
    }


class AgentAnswerGenerated(_TicketEvent):
    """A human agent wrote a reply to the customer."""

    about = About("agent-answer-generated", "Agent Answer Generated",
                  "ms-agents publishes the human agent's answer.")

    agent_id: HolderId
    agent_name: HolderName = ""
    text: LongText
    """The agent's reply as they wrote it (ms-conv-store may sign it with their name when it
    sends it)."""
    attachment: Attachment | None = Field(default=None, examples=[ATTACHMENT_EXAMPLE])
    """The image or document the agent attached (kept in the media store by its SHA-256);
    ``text`` is its caption."""

    example = {
        **envelope("d0e1f2a3-b4c5-5d6e-9f7a-8b9c0d1e2f11", None),
        **TICKET_EXAMPLE,
        **AGENT_EXAMPLE,
        "text": "Hola Lucía, soy Marta. Miro tu pedido ahora mismo.",
    }


class TicketClosed(_TicketEvent):
    """The ticket is closed; the AI agent answers the conversation again."""

    about = About("ticket-closed", "Ticket Closed",
                  "ms-agents closed the ticket with a resolution; the AI takes over again.")
    in_seed = False

    agent_id: str | None = None
    """The agent who closed it (``None``: the admin)."""
    resolution: Text
    """How the ticket was resolved, in the closer's words; the transcript shows ``Ticket
    closed: …``."""

    example = {
        **envelope("f2a3b4c5-d6e7-5f8a-9b0c-1d2e3f4a5b13", None),
        **TICKET_EXAMPLE,
        "agent_id": "agt_marta",
        "resolution": "Pedido reenviado; llegará el jueves.",
    }


class TicketReopened(_TicketEvent):
    """A closed ticket is open again: the conversation forwards the customer's messages to
    its agent (or, while it waits in the queue, to whoever takes it), not to the AI."""

    about = About("ticket-reopened", "Ticket Reopened",
                  "ms-agents reopened a closed ticket; a human answers the conversation again.")
    in_seed = False

    agent_id: str | None = None
    """The agent who holds the reopened ticket (``None``: it waits in the queue)."""
    agent_name: str | None = None
    """That agent's name in ms-agents' roster (``None`` with ``agent_id``)."""

    example = {
        **envelope("c4d5e6f7-a8b9-5c0d-9e1f-3a4b5c6d7e15", None),
        **TICKET_EXAMPLE,
        **AGENT_EXAMPLE,
    }


class TicketActivity(_TicketEvent):
    """A message family: something done on a ticket that ms-conv-store only notes in the
    conversation, as one system line of the transcript (:meth:`transcript_line`), and keeps
    no other state for. One ms-conv-store handler serves the whole family, so a new member
    is a subclass here (with its :attr:`line_template`), the ticket's event and command, and the
    desk's translation."""

    #: The transcript line, with the message's fields in braces (each member sets it; a
    #: test checks that every member of ``MESSAGES`` does).
    line_template: ClassVar[str] = ""

    def transcript_line(self) -> str:
        """The line the conversation's transcript shows for it: :attr:`line_template`, filled in."""
        return self.line_template.format(**self.model_dump())


#: A ticket's priority, lowest first.
Priority = Literal["low", "normal", "high", "urgent"]


class TicketPriorityChanged(TicketActivity):
    """An agent (or the admin) changed how urgent the ticket is."""

    about = About("ticket-priority-changed", "Ticket Priority Changed",
                  "ms-agents changed the ticket's priority; the conversation shows a line for it.")
    in_seed = False

    priority: Priority
    """The ticket's new priority."""
    previous_priority: Priority
    """Its priority before (a new ticket's is ``normal``)."""
    agent_id: str | None = None
    """Who changed it (``None``: the admin)."""
    agent_name: str
    """Their name: the agent's in ms-agents' roster, or ``Admin``."""

    line_template = "Priority changed from {previous_priority} to {priority} by {agent_name}"

    example = {
        **envelope("d5e6f7a8-b9c0-5d1e-8f2a-4b5c6d7e8f16", None),
        **TICKET_EXAMPLE,
        "priority": "high",
        "previous_priority": "normal",
        **AGENT_EXAMPLE,
    }
