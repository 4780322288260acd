"""What a Conversation knows (ms-conv-store), and the state changes its events share.

:class:`ConversationState` is the base of :class:`helpline.domain.conversation.Conversation`:
its state (dataclass fields), the changes several events' ``apply`` make, and the queries
the commands and the application ask. The events (:mod:`helpline.domain.conversation_events`)
change this state and nothing else; the commands that decide which event to trigger are
:class:`~helpline.domain.conversation.Conversation`'s.

**Bounded state.** A customer may write for years; the cost of a decision must not grow with
that (docs/architecture.md, "Bounded aggregates"). The aggregate keeps only what its
decisions need: the active channel and customer, the open ticket, the messages still waiting
for an answer, the last :data:`HISTORY_TURNS` turns (the AI's context) and short windows of
recent ids for fast redelivery checks. The whole transcript is read from the stored events
(:mod:`helpline.domain.transcript`); ids older than the windows are guarded by the
application's receipts (``helpline.application.unit_of_work``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from helpline.domain.ids import derived_id

#: How many recent turns an AI answer request carries (and the aggregate keeps).
HISTORY_TURNS = 10
#: How many recent customer message ids, agent answer ids and delivery statuses the aggregate
#: remembers for redelivery checks without a look-up.
RECENT_IDS = 64
#: How many recently closed tickets the aggregate remembers (late ticket events are ignored).
RECENT_TICKETS = 16
#: Replies sent but not yet confirmed; a bound, never reached in practice (each settles).
MAX_UNSETTLED = 512

#: WhatsApp's customer service window: free-form replies only this long after the customer
#: last wrote; outside it only an approved template may be sent.
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)

JSON = dict[str, Any]


def remember(items: list[str], item: str, limit: int = RECENT_IDS) -> None:
    """Add ``item`` to a window of recent ids, keeping the last ``limit``."""
    items.append(item)
    del items[:-limit]


def assignment_key(agent_id: str, assignment_id: str | None) -> str:
    """What tells one assignment of a ticket from another (``ticket["assignments"]``): the
    Agent Assigned message's id, or the agent's for assignments logged before it was."""
    return assignment_id if assignment_id is not None else f"agent:{agent_id}"


class _AddedLater:
    """What the conversation gained after conversations were stored: class defaults that
    ``__init__`` leaves alone (they are no dataclass fields), so that snapshots taken
    before them load."""

    profile_name: str | None = None
    """The customer's WhatsApp profile name, once one was seen."""
    recent_activities: Sequence[str] = ()
    """The ids of the recent Ticket Activity messages logged (never changed in place)."""


class ConversationState(_AddedLater, Aggregate):
    """A customer's conversation: who answers next, on which channel, and what is pending.
    The fields are what every stored snapshot holds."""

    phone: str
    channel: JSON
    customer: JSON | None
    generation: str | None
    """The event store's generation when the conversation started (``None`` for
    conversations started before generations existed)."""
    recent_turns: list[JSON] = field(default_factory=list)
    pending: dict[str, JSON] = field(default_factory=dict)
    """Customer messages waiting for an answer: wamid → {state: ai | agent, text}."""
    recent_wamids: list[str] = field(default_factory=list)
    recent_answers: list[str] = field(default_factory=list)
    unsettled: dict[str, str] = field(default_factory=dict)
    """Replies commanded and not yet reported sent or failed: reply id → author."""
    outbound_status: dict[str, str] = field(default_factory=dict)
    ticket: JSON | None = None
    closed_tickets: list[str] = field(default_factory=list)
    tickets_requested: int = 0
    last_customer_message_at: str | None = None
    last_customer_wamid: str | None = None

    class Event(Aggregate.Event):
        """A Conversation event; those that are transcript lines override ``turn``."""

        def turn(self) -> JSON | None:
            """The line this event adds to the transcript (``None``: none)."""
            return None

    # -- state changes shared by several events (called from ``apply`` only) ----------------

    def add_turn(self, event: Event) -> None:
        """Keep the event's line among the recent turns."""
        line = event.turn()
        if line is not None:
            self.recent_turns.append(line)
            del self.recent_turns[:-HISTORY_TURNS]

    def unsettle(self, reply_id: str, author: str) -> None:
        """A reply of ``author`` was commanded: it is unsettled until reported."""
        self.unsettled[reply_id] = author
        while len(self.unsettled) > MAX_UNSETTLED:
            del self.unsettled[next(iter(self.unsettled))]

    def settle(self, reply_id: str) -> None:
        """The reply is reported sent or failed."""
        self.unsettled.pop(reply_id, None)

    def set_status(self, wamid: str, status: str) -> None:
        """Record a delivery status, keeping the last :data:`RECENT_IDS` messages."""
        self.outbound_status.pop(wamid, None)
        self.outbound_status[wamid] = status
        while len(self.outbound_status) > RECENT_IDS:
            del self.outbound_status[next(iter(self.outbound_status))]

    def current_ticket(self, ticket_id: str) -> JSON | None:
        """The open ticket, if it is ``ticket_id``."""
        if self.ticket is not None and self.ticket["ticket_id"] == ticket_id:
            return self.ticket
        return None

    # -- queries ----------------------------------------------------------------------------

    def derive(self, *parts: object) -> UUID:
        """An id derived from this conversation and ``parts``: the same for every retry and
        replay, and different in another store generation (a rebuilt store, another
        deployment on the same database or NATS), whose ids must not meet these in a send
        ledger, a desk or JetStream's duplicate window."""
        if self.generation is None:  # started before generations: the ids it always had
            return derived_id(self.id, *parts)
        return derived_id(self.id, self.generation, *parts)

    @property
    def has_open_ticket(self) -> bool:
        """Whether a ticket is requested, open or assigned (a human holds the conversation)."""
        return self.ticket is not None

    def knows_message(self, wamid: str) -> bool:
        """Whether ``wamid`` is among the recent customer messages (older ones are checked
        by the application's receipts)."""
        return wamid in self.recent_wamids

    def window_open(self, at: datetime) -> bool:
        """Whether a free-form reply may be sent at ``at``: the customer wrote less than
        :data:`CUSTOMER_SERVICE_WINDOW` before (a conversation without a customer message
        has no window to close)."""
        last = self.last_customer_message_at
        return last is None or at - datetime.fromisoformat(last) <= CUSTOMER_SERVICE_WINDOW

    def knows_answer(self, answer_id: str) -> bool:
        """Whether ``answer_id`` is among the recent agent answers."""
        return answer_id in self.recent_answers


__all__ = ["CUSTOMER_SERVICE_WINDOW", "HISTORY_TURNS", "MAX_UNSETTLED", "RECENT_IDS",
           "RECENT_TICKETS", "ConversationState", "assignment_key", "remember"]
