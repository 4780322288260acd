"""The Ticket aggregate (ms-agents) and the per-conversation index that keeps one open.

A ticket is created by an *Open Ticket* command (its id comes with the command), waits in
the roster's queue until an agent is assigned, collects the customer's messages and the
agent's answers, and is closed with a resolution. A closed ticket can be reopened. Agents
and admins add internal notes to it (stored, never sent to the customer) and change its
priority.

Who acted is recorded as ``by``: ``"agent:<agent_id>"`` or ``"admin"``; ``None`` when the
desk itself did it (the roster's routing).

The module is a little over the ~400 lines we aim at, on purpose: the two aggregates declare
their events as nested classes, which are stored contracts named by their topic
(``helpline.domain.ticket:Ticket.Closed``), so moving either aggregate or its events to
another module would need a topic mapping for every stored log.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from helpline.domain.errors import DomainError, TicketNotOpenError
from helpline.domain.ids import desk_conversation_id
from helpline.domain.upcasting import field_added

JSON = dict[str, Any]

#: The longest internal note (WhatsApp's text limit, so a note can be pasted into a reply).
MAX_NOTE_LENGTH = 4096
#: A ticket's priorities, lowest first (a new ticket's is ``normal``).
PRIORITIES = ("low", "normal", "high", "urgent")


class Ticket(Aggregate):
    """A request for a human agent to take a conversation over. Its state is declared as
    dataclass fields: the facts of :class:`Opened` and what its other events change."""

    conversation_id: str
    phone: str
    customer: JSON | None
    reason: str
    language: str | None
    status: str = "queued"
    agent_id: str | None = None
    agent_name: str | None = None
    forwarded: list[JSON] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    document_version: int = -1
    document_turns: list[JSON] = field(default_factory=list)
    resolution: str | None = None
    assigned_at: str | None = None
    first_answer_at: str | None = None
    closed_at: str | None = None
    notes: list[str] = field(default_factory=list)
    reopenings: int = 0
    priority: str = "normal"

    class Opened(Aggregate.Created):
        """The ticket exists; it waits for an agent."""

        conversation_id: str
        phone: str
        customer: JSON | None
        reason: str
        language: str | None
        cause_id: str | None

    class AgentAssigned(Aggregate.Event):
        """An agent holds the ticket (``previous_agent_id`` is set on a reassignment).
        Version 2 records who did it (``by``: a transfer by an agent or the admin; ``None``
        for the routing)."""

        class_version = 2

        conversation_id: str
        agent_id: str
        agent_name: str
        previous_agent_id: str | None
        by: str | None

        upcast_v1_v2 = field_added("by")

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

    class _Answered(Aggregate.Event):
        """What every answer of the agent records (free text or a template)."""

        conversation_id: str
        answer_id: str
        agent_id: str
        agent_name: str
        text: str

        def apply(self, agg: Ticket) -> None:
            agg.answers.append(self.answer_id)
            if agg.first_answer_at is None:
                agg.first_answer_at = self.timestamp.isoformat()

    class AgentAnswered(_Answered):
        """The agent wrote an answer for the customer."""

        attachment: JSON | None = None
        """The image or document sent with the answer (added later: older events have none)."""

    class TemplateAnswered(_Answered):
        """The agent answered with an approved template (the customer's window was closed).
        ``template`` is ``{name, language, components}``; ``text`` is it rendered."""

        template: JSON

    class Closed(Aggregate.Event):
        """The ticket is resolved; the AI agent takes the conversation back."""

        conversation_id: str
        resolution: str
        agent_id: str | None

        def apply(self, agg: Ticket) -> None:
            agg.status = "closed"
            agg.resolution = self.resolution
            agg.closed_at = self.timestamp.isoformat()

    class NoteAdded(Aggregate.Event):
        """An internal note for the desk: stored with the ticket, never sent to the
        customer (``author_id`` ``None``: the admin)."""

        note_id: str
        author_id: str | None
        author_name: str
        text: str

        def apply(self, agg: Ticket) -> None:
            agg.notes.append(self.note_id)

    class PriorityChanged(Aggregate.Event):
        """How urgent the ticket is changed (``by``: who; ``by_name``: their name)."""

        conversation_id: str
        priority: str
        previous_priority: str
        by: str
        by_name: str

        def apply(self, agg: Ticket) -> None:
            agg.priority = self.priority

    class Reopened(Aggregate.Event):
        """A closed ticket is open again: held by ``agent_id``, or waiting in the queue
        (``agent_id`` ``None``)."""

        conversation_id: str
        agent_id: str | None
        agent_name: str | None
        by: str | None

        def apply(self, agg: Ticket) -> None:
            agg.status = "assigned" if self.agent_id else "queued"
            agg.agent_id = self.agent_id
            agg.agent_name = self.agent_name
            agg.resolution = None
            agg.closed_at = None
            agg.reopenings += 1

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

    def is_for(self, agent_id: str | None) -> bool:
        """Whether ``agent_id`` may act on the ticket: the admin (``None``) on any, an agent
        on the tickets they hold (or held, once closed) and on the open ones nobody holds
        (the queue)."""
        if agent_id is None or self.agent_id == agent_id:
            return True
        return self.agent_id is None and self.is_open

    def assign(self, *, agent_id: str, agent_name: str, at: datetime,
               by: str | None = None) -> bool:
        """Give the ticket to an agent (``by``: who transferred it; ``None``: the routing).
        ``False`` if that agent already holds it."""
        self.check_open()
        if self.agent_id == agent_id:
            return False
        self.trigger_event(self.AgentAssigned, timestamp=at, agent_id=agent_id,
                           conversation_id=self.conversation_id,
                           agent_name=agent_name, previous_agent_id=self.agent_id, by=by)
        return True

    def requeue(self, *, at: datetime) -> bool:
        """Its agent left: the ticket waits for another. ``False`` if nobody held it."""
        self.check_open()
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

    def answer(self, *, answer_id: str, agent_id: str, text: str, at: datetime,
               attachment: JSON | None = None) -> bool:
        """The assigned agent answers (with an image or document, ``attachment``). ``False``
        for a repeated ``answer_id``."""
        if answer_id in self.answers:
            return False
        self.check_open()
        if agent_id != self.agent_id:
            raise DomainError(f"agent {agent_id} does not hold ticket {self.id}")
        self.trigger_event(self.AgentAnswered, timestamp=at, answer_id=answer_id,
                           conversation_id=self.conversation_id,
                           agent_id=agent_id, agent_name=self.agent_name or "", text=text,
                           **({"attachment": attachment} if attachment else {}))
        return True

    def answer_with_template(self, *, answer_id: str, agent_id: str, template: JSON,
                             text: str, at: datetime) -> bool:
        """The assigned agent answers with an approved template, by the same rules as
        :meth:`answer`. ``False`` for a repeated ``answer_id``."""
        if answer_id in self.answers:
            return False
        self.check_open()
        if agent_id != self.agent_id:
            raise DomainError(f"agent {agent_id} does not hold ticket {self.id}")
        if not template.get("name") or not template.get("language"):
            raise DomainError("a template answer names the template and its language")
        self.trigger_event(self.TemplateAnswered, timestamp=at, answer_id=answer_id,
                           conversation_id=self.conversation_id, agent_id=agent_id,
                           agent_name=self.agent_name or "", template=template, text=text)
        return True

    def close(self, *, resolution: str, agent_id: str | None, at: datetime) -> bool:
        """Close the ticket. ``False`` if it is already closed."""
        if not self.is_open:
            return False
        self.trigger_event(self.Closed, timestamp=at, resolution=resolution, agent_id=agent_id,
                           conversation_id=self.conversation_id)
        return True

    def add_note(self, *, note_id: str, author_id: str | None, author_name: str, text: str,
                 at: datetime) -> bool:
        """Add an internal note (open or closed ticket). ``False`` for a repeated
        ``note_id``."""
        if note_id in self.notes:
            return False
        text = text.strip()
        if not text:
            raise DomainError("a note needs some text")
        if len(text) > MAX_NOTE_LENGTH:
            raise DomainError(f"a note has at most {MAX_NOTE_LENGTH} characters")
        self.trigger_event(self.NoteAdded, timestamp=at, note_id=note_id, author_id=author_id,
                           author_name=author_name, text=text)
        return True

    def set_priority(self, *, priority: str, by: str, by_name: str, at: datetime) -> bool:
        """Change the open ticket's priority (one of :data:`PRIORITIES`). ``False`` if it
        has that priority already."""
        if priority not in PRIORITIES:
            raise DomainError(f"a ticket's priority is one of {', '.join(PRIORITIES)}")
        self.check_open()
        if priority == self.priority:
            return False
        self.trigger_event(self.PriorityChanged, timestamp=at, priority=priority,
                           previous_priority=self.priority, by=by, by_name=by_name,
                           conversation_id=self.conversation_id)
        return True

    def reopen(self, *, agent_id: str | None, agent_name: str | None, by: str | None,
               at: datetime) -> bool:
        """Open a closed ticket again, for ``agent_id`` (or the queue). ``False`` if it is
        open."""
        if self.is_open:
            return False
        if (agent_id is None) != (agent_name is None):
            raise ValueError("give both agent_id and agent_name, or neither")
        self.trigger_event(self.Reopened, timestamp=at, conversation_id=self.conversation_id,
                           agent_id=agent_id, agent_name=agent_name, by=by)
        return True

    def check_open(self) -> None:
        """Raise ``TicketNotOpenError`` if the ticket is closed."""
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
            if self.ticket_id not in agg.ticket_ids:  # linked again: reopened
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
