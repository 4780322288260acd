"""The projections: pure translations of stored domain events into row operations.

``TicketsProjection`` follows the AgentDesk's notification log (tickets, agents);
``ConversationsProjection`` follows the ConversationStore's (conversations, transcripts).
Each is an eventsourcing ``Projection`` over a ``HelpdeskView``: ``process_event`` applies
one event with its tracking record; ``process_batch`` applies many in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from helpline.domain.conversation import Conversation
from helpline.domain.roster import Roster
from helpline.domain.ticket import Ticket
from helpline.domain.transcript import turn_for
from helpline.projections.schema import Op
from helpline.projections.views import HelpdeskView

Translate = Callable[[Any], list[Op]]


def _ts(at: datetime) -> float:
    return at.timestamp()


class _RowProjection(Projection[HelpdeskView]):
    """A projection whose events translate into row operations by a table of functions."""

    #: The ``Application.name`` whose notification log this projection follows.
    upstream: ClassVar[str] = ""
    translations: ClassVar[dict[type[Any], Translate]] = {}

    @classmethod
    def handled_topics(cls) -> frozenset[str]:
        """The topics of the events that change this projection's rows."""
        return frozenset(get_topic(t) for t in cls.translations)

    @classmethod
    def ops_for(cls, event: Any) -> list[Op]:
        """The row operations for ``event`` (none for events the view ignores)."""
        translate = cls.translations.get(type(event))
        return translate(event) if translate else []

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Apply one event and record its position."""
        self.view.apply(self.ops_for(domain_event), tracking)

    def process_batch(self, events: Sequence[Any], tracking: Tracking) -> None:
        """Apply ``events`` and record ``tracking`` (the last position read) atomically."""
        self.view.apply([op for e in events for op in self.ops_for(e)], tracking)


# -- AgentDesk → tickets, agents ------------------------------------------------------------


def _ticket_opened(e: Ticket.Opened) -> list[Op]:
    customer = e.customer or {}
    return [("ticket_opened", {
        "ticket_id": str(e.originator_id), "conversation_id": e.conversation_id,
        "phone": e.phone, "customer_id": customer.get("customer_id"),
        "customer_name": customer.get("name"), "language": e.language, "reason": e.reason,
        "at": _ts(e.timestamp)})]


def _ticket_assigned(e: Ticket.AgentAssigned) -> list[Op]:
    return [("ticket_assigned", {"ticket_id": str(e.originator_id), "agent_id": e.agent_id,
                                 "agent_name": e.agent_name, "at": _ts(e.timestamp)})]


def _ticket_requeued(e: Ticket.Requeued) -> list[Op]:
    return [("ticket_requeued", {"ticket_id": str(e.originator_id)})]


def _agent_removed(e: Roster.AgentRemoved) -> list[Op]:
    return [("agent_removed", {"agent_id": e.agent_id})]


def _ticket_forwarded(e: Ticket.CustomerMessageForwarded) -> list[Op]:
    return [("ticket_customer_message", {"ticket_id": str(e.originator_id), "text": e.text,
                                         "at": _ts(e.timestamp)})]


def _ticket_synced(e: Ticket.ConversationSynced) -> list[Op]:
    customer_turns = [t for t in e.turns if t.get("author") == "customer"]
    if not customer_turns:
        return []
    last = customer_turns[-1]
    return [("ticket_customer_message", {
        "ticket_id": str(e.originator_id), "text": last["text"],
        "at": datetime.fromisoformat(last["at"]).timestamp()})]


def _ticket_answered(e: Ticket.AgentAnswered) -> list[Op]:
    return [("ticket_answered", {"ticket_id": str(e.originator_id), "at": _ts(e.timestamp)})]


def _ticket_closed(e: Ticket.Closed) -> list[Op]:
    return [("ticket_closed", {"ticket_id": str(e.originator_id), "resolution": e.resolution,
                               "at": _ts(e.timestamp)})]


def _agent_registered(e: Roster.AgentRegistered) -> list[Op]:
    return [("agent_registered", {
        "agent_id": e.agent_id, "name": e.name, "email": e.email,
        "languages": ",".join(e.languages), "max_tickets": e.max_tickets,
        "at": _ts(e.timestamp)})]


def _agent_status(e: Roster.AgentStatusChanged) -> list[Op]:
    return [("agent_status", {"agent_id": e.agent_id, "online": int(e.online)})]


class TicketsProjection(_RowProjection):
    """Tickets (inbox, by status, response and resolution times) and agents."""

    name = "tickets"
    upstream = "AgentDesk"
    translations: ClassVar[dict[type[Any], Translate]] = {
        Ticket.Opened: _ticket_opened,
        Ticket.AgentAssigned: _ticket_assigned,
        Ticket.Requeued: _ticket_requeued,
        Ticket.CustomerMessageForwarded: _ticket_forwarded,
        Ticket.ConversationSynced: _ticket_synced,
        Ticket.AgentAnswered: _ticket_answered,
        Ticket.Closed: _ticket_closed,
        Roster.AgentRegistered: _agent_registered,
        Roster.AgentStatusChanged: _agent_status,
        Roster.AgentRemoved: _agent_removed,
    }


# -- ConversationStore → conversations, turns -------------------------------------------------


def _conv(e: Any, **params: Any) -> dict[str, Any]:
    return {"conversation_id": str(e.originator_id), "at": _ts(e.timestamp), **params}


def _turn(e: Any) -> list[Op]:
    # The event's transcript line (helpline.domain.transcript), keyed by the event's version.
    line = turn_for(e)
    if line is None:
        return []
    return [("turn", {"conversation_id": str(e.originator_id), "seq": e.originator_version,
                      "author": line["author"], "text": line["text"], "at": line["at"],
                      "message_id": line["message_id"]})]


def _transcript_events() -> list[type[Any]]:
    """The Conversation events that can show a line in the transcript (override ``turn``)."""
    return [v for v in vars(Conversation).values()
            if isinstance(v, type) and issubclass(v, Conversation.Event)
            and v.turn is not Conversation.Event.turn]


def _started(e: Conversation.Started) -> list[Op]:
    customer = e.customer or {}
    return [("conversation_started", _conv(e, phone=e.phone,
                                           customer_id=customer.get("customer_id"),
                                           customer_name=customer.get("name")))]


def _customer_updated(e: Conversation.CustomerInfoUpdated) -> list[Op]:
    customer = e.customer or {}
    return [("conversation_customer", _conv(e, customer_id=customer.get("customer_id"),
                                            customer_name=customer.get("name")))]


def _touch(op: str) -> Translate:
    """The translation into ``op`` on the conversation at the event's time, and nothing more."""
    return lambda e: [(op, _conv(e))]


def _with_ticket(op: str) -> Translate:
    return lambda e: [(op, _conv(e, ticket_id=e.ticket_id))]


class ConversationsProjection(_RowProjection):
    """Conversations (by phone, by customer, AI-resolved or escalated) and transcripts.

    Every event that shows a transcript line (its ``turn()``) adds the line after its own
    operations, whether or not the table below names it: a new Conversation event with a
    ``turn`` is in the transcripts without an edit here."""

    name = "conversations"
    upstream = "ConversationStore"
    translations: ClassVar[dict[type[Any], Translate]] = {
        Conversation.Started: _started,
        Conversation.CustomerInfoUpdated: _customer_updated,
        Conversation.CustomerMessageReceived: _touch("conversation_customer_message"),
        Conversation.AIAnswerReceived: _touch("conversation_ai_answer"),
        Conversation.AgentAnswerReceived: _touch("conversation_agent_answer"),
        Conversation.TicketRequested: _with_ticket("conversation_ticket_requested"),
        Conversation.TicketClosed: _with_ticket("conversation_ticket_closed"),
    }

    @classmethod
    def handled_topics(cls) -> frozenset[str]:
        """The topics of the events in the table and of every transcript-line event."""
        return super().handled_topics() | {get_topic(t) for t in _transcript_events()}

    @classmethod
    def ops_for(cls, event: Any) -> list[Op]:
        """The table's operations for ``event``, then its transcript line if it has one."""
        return [*super().ops_for(event), *_turn(event)]


#: Every projection, by name (``helpline replay NAME``).
PROJECTIONS: dict[str, type[_RowProjection]] = {
    TicketsProjection.name: TicketsProjection,
    ConversationsProjection.name: ConversationsProjection,
}
