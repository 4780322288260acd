"""The Ticket aggregate (ms-agents) and the per-conversation index that keeps one open.

A ticket is created by an *Open Ticket* command (its id comes with the command), waits in
the roster's queue until an agent is assigned, collects the customer's messages and the
agent's answers, and is closed with a resolution.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from helpline.domain.errors import DomainError, TicketNotOpenError
from helpline.domain.ids import desk_conversation_id

JSON = dict[str, Any]


class Ticket(Aggregate):
    """A request for a human agent to take a conversation over."""

    class Opened(Aggregate.Created):
        """The ticket exists; it waits for an agent."""

        conversation_id: str
        phone: str
        customer: JSON | None
        reason: str
        language: str | None
        cause_id: str | None

    class AgentAssigned(Aggregate.Event):
        """An agent holds the ticket (``previous_agent_id`` is set on a reassignment)."""

        conversation_id: str
        agent_id: str
        agent_name: str
        previous_agent_id: str | None

        def apply(self, agg: Ticket) -> None:
            agg.agent_id = self.agent_id
            agg.agent_name = self.agent_name
            agg.status = "assigned"
            if agg.assigned_at is None:
                agg.assigned_at = self.timestamp.isoformat()

    class Requeued(Aggregate.Event):
        """The agent holding the ticket left the desk: it waits for another agent."""

        agent_id: str

        def apply(self, agg: Ticket) -> None:
            agg.agent_id = None
            agg.agent_name = None
            agg.status = "queued"

    class CustomerMessageForwarded(Aggregate.Event):
        """A customer message arrived while the ticket was open (Generate Agent Answer)."""

        in_reply_to: str
        text: str

        def apply(self, agg: Ticket) -> None:
            agg.forwarded.append(
                {"in_reply_to": self.in_reply_to, "text": self.text,
                 "at": self.timestamp.isoformat()}
            )

    class ConversationSynced(Aggregate.Event):
        """The Conversation Document ms-conv-store returned, kept for the agent's view."""

        version: int
        turns: list[JSON]

        def apply(self, agg: Ticket) -> None:
            agg.document_version = self.version
            agg.document_turns = self.turns

    class AgentAnswered(Aggregate.Event):
        """The agent wrote an answer for the customer."""

        conversation_id: str
        answer_id: str
        agent_id: str
        agent_name: str
        text: str

        def apply(self, agg: Ticket) -> None:
            agg.answers.append(self.answer_id)
            if agg.first_answer_at is None:
                agg.first_answer_at = self.timestamp.isoformat()

    class Closed(Aggregate.Event):
        """The ticket is resolved; the AI agent takes the conversation back."""

        conversation_id: str
        resolution: str
        agent_id: str | None

        def apply(self, agg: Ticket) -> None:
            agg.status = "closed"
            agg.resolution = self.resolution
            agg.closed_at = self.timestamp.isoformat()

    def __init__(
        self,
        conversation_id: str,
        phone: str,
        customer: JSON | None,
        reason: str,
        language: str | None,
        cause_id: str | None,
    ) -> None:
        self.conversation_id = conversation_id
        self.phone = phone
        self.customer = customer
        self.reason = reason
        self.language = language
        self.status = "queued"
        self.agent_id: str | None = None
        self.agent_name: str | None = None
        self.forwarded: list[JSON] = []
        self.answers: list[str] = []
        self.document_version = -1
        self.document_turns: list[JSON] = []
        self.resolution: str | None = None
        self.assigned_at: str | None = None
        self.first_answer_at: str | None = None
        self.closed_at: str | None = None

    @classmethod
    def open(
        cls,
        *,
        ticket_id: str,
        conversation_id: str,
        phone: str,
        customer: JSON | None,
        reason: str,
        language: str | None,
        at: datetime,
        cause_id: str | None = None,
    ) -> Ticket:
        """Open the ticket ``ticket_id`` (the id chosen by the Open Ticket command)."""
        return cls._create(
            cls.Opened, id=UUID(ticket_id), timestamp=at, conversation_id=conversation_id,
            phone=phone, customer=customer, reason=reason, language=language, cause_id=cause_id,
        )

    @property
    def is_open(self) -> bool:
        """Queued or assigned: not closed."""
        return self.status != "closed"

    def assign(self, *, agent_id: str, agent_name: str, at: datetime) -> bool:
        """Give the ticket to an agent. ``False`` if that agent already holds it."""
        self._check_open()
        if self.agent_id == agent_id:
            return False
        self.trigger_event(self.AgentAssigned, timestamp=at, agent_id=agent_id,
                           conversation_id=self.conversation_id,
                           agent_name=agent_name, previous_agent_id=self.agent_id)
        return True

    def requeue(self, *, at: datetime) -> bool:
        """Its agent left: the ticket waits for another. ``False`` if nobody held it."""
        self._check_open()
        if self.agent_id is None:
            return False
        self.trigger_event(self.Requeued, timestamp=at, agent_id=self.agent_id)
        return True

    def forward_customer_message(self, *, in_reply_to: str, text: str, at: datetime) -> bool:
        """Add a customer message to the agent's view. ``False`` if already there."""
        if any(f["in_reply_to"] == in_reply_to for f in self.forwarded):
            return False
        self.trigger_event(self.CustomerMessageForwarded, timestamp=at,
                           in_reply_to=in_reply_to, text=text)
        return True

    def sync_conversation(self, *, version: int, turns: list[JSON], at: datetime) -> bool:
        """Keep a newer Conversation Document. ``False`` if it is not newer."""
        if version <= self.document_version:
            return False
        self.trigger_event(self.ConversationSynced, timestamp=at, version=version, turns=turns)
        return True

    def answer(self, *, answer_id: str, agent_id: str, text: str, at: datetime) -> bool:
        """The assigned agent answers. ``False`` for a repeated ``answer_id``."""
        if answer_id in self.answers:
            return False
        self._check_open()
        if agent_id != self.agent_id:
            raise DomainError(f"agent {agent_id} does not hold ticket {self.id}")
        self.trigger_event(self.AgentAnswered, timestamp=at, answer_id=answer_id,
                           conversation_id=self.conversation_id,
                           agent_id=agent_id, agent_name=self.agent_name or "", text=text)
        return True

    def close(self, *, resolution: str, agent_id: str | None, at: datetime) -> bool:
        """Close the ticket. ``False`` if it is already closed."""
        if not self.is_open:
            return False
        self.trigger_event(self.Closed, timestamp=at, resolution=resolution, agent_id=agent_id,
                           conversation_id=self.conversation_id)
        return True

    def _check_open(self) -> None:
        if not self.is_open:
            raise TicketNotOpenError(f"ticket {self.id} is closed")


class DeskConversation(Aggregate):
    """The AgentDesk's index of one conversation: at most one open ticket at a time."""

    class Started(Aggregate.Created):
        """The desk saw a first ticket for the conversation."""

        conversation_id: str

    class TicketLinked(Aggregate.Event):
        """``ticket_id`` is now the conversation's open ticket."""

        ticket_id: str

        def apply(self, agg: DeskConversation) -> None:
            agg.open_ticket_id = self.ticket_id
            agg.ticket_ids.append(self.ticket_id)

    class TicketUnlinked(Aggregate.Event):
        """``ticket_id`` was closed."""

        ticket_id: str

        def apply(self, agg: DeskConversation) -> None:
            if agg.open_ticket_id == self.ticket_id:
                agg.open_ticket_id = None

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self.open_ticket_id: str | None = None
        self.ticket_ids: list[str] = []

    @classmethod
    def start(cls, *, conversation_id: str, at: datetime) -> DeskConversation:
        """The index of ``conversation_id``."""
        return cls._create(cls.Started, id=desk_conversation_id(conversation_id), timestamp=at,
                           conversation_id=conversation_id)

    def link(self, *, ticket_id: str, at: datetime) -> bool:
        """Make ``ticket_id`` the open ticket. ``False`` if another ticket is open."""
        if self.open_ticket_id is not None:
            return False
        self.trigger_event(self.TicketLinked, timestamp=at, ticket_id=ticket_id)
        return True

    def unlink(self, *, ticket_id: str, at: datetime) -> bool:
        """Forget ``ticket_id`` as the open ticket. ``False`` if it is not the open one."""
        if self.open_ticket_id != ticket_id:
            return False
        self.trigger_event(self.TicketUnlinked, timestamp=at, ticket_id=ticket_id)
        return True
