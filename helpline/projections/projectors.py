"""The projections: pure translations of stored domain events into row operations.

``TicketsProjection`` follows the AgentDesk's notification log (tickets, agents);
``ConversationsProjection`` follows the ConversationStore's (conversations, transcripts).
Each is an eventsourcing ``Projection`` over a ``HelpdeskView``: ``process_event`` applies
one event with its tracking record; ``process_batch`` applies many in one transaction.

**Adding a Ticket event that shows in the transcript** (an internal note, a reopening, a
transfer): one entry in ``TicketsProjection.translations`` made with :func:`ticket_line`, e.g.
``Ticket.NoteAdded: ticket_line("note", "note", text=lambda e: e.text,
author_name=lambda e: e.agent_name)``; the line is kept in ``ticket_lines`` and merged into
the transcript by time (``helpline.projections.transcript``). An event that also changes the
ticket's row (a reopening: status, closed_at) adds its row operation next to the line, as
``_ticket_closed`` does.
"""

from __future__ import annotations

import json
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
from helpline.projections.search import message_document
from helpline.projections.updates import Change
from helpline.projections.views import HelpdeskView

Translate = Callable[[Any], list[Op]]

#: The longest last-message preview an inbox item shows.
PREVIEW_CHARS = 120


def _ts(at: datetime) -> float:
    return at.timestamp()


def preview(text: str) -> str:
    """``text`` on one line, cut to :data:`PREVIEW_CHARS` characters (with an ellipsis)."""
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[:PREVIEW_CHARS - 1].rstrip() + "…"


def _last_message(ticket_id: str, author: str, text: str, at: float) -> Op:
    return ("ticket_last_message", {"ticket_id": ticket_id, "author": author,
                                    "text": preview(text), "at": at})


def ticket_line(
    kind: str, author: str, *, text: Callable[[Any], str],
    author_name: Callable[[Any], str | None] = lambda e: None,
) -> Translate:
    """The translation of a Ticket event into a transcript line of ``kind`` by ``author``
    (``note``, ``agent``, ``system``) on the ticket's conversation (see the module
    docstring); its id is the event's (ticket id and version), so a replay adds it once."""

    def translate(e: Any) -> list[Op]:
        return [("ticket_line", {
            "line_id": f"{e.originator_id}:{e.originator_version}",
            "ticket_id": str(e.originator_id), "kind": kind, "author": author,
            "author_name": author_name(e), "text": text(e), "at_text": e.timestamp.isoformat(),
            "at": _ts(e.timestamp)})]

    return translate


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

    @classmethod
    def touched(cls, event: Any) -> Change | None:
        """The ticket and conversation ``event`` changes in the views (``None``: neither)."""
        ticket_id = getattr(event, "ticket_id", None)
        return Change(ticket_id if isinstance(ticket_id, str) else None,
                      str(event.originator_id), cls.name)

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


def _ticket_priority(e: Ticket.PriorityChanged) -> list[Op]:
    return [("ticket_priority", {"ticket_id": str(e.originator_id), "priority": e.priority})]


def _ticket_requeued(e: Ticket.Requeued) -> list[Op]:
    return [("ticket_requeued", {"ticket_id": str(e.originator_id)})]


def _agent_removed(e: Roster.AgentRemoved) -> list[Op]:
    return [("agent_removed", {"agent_id": e.agent_id})]


def _ticket_forwarded(e: Ticket.CustomerMessageForwarded) -> list[Op]:
    ticket_id, at = str(e.originator_id), _ts(e.timestamp)
    return [("ticket_customer_message", {"ticket_id": ticket_id, "text": e.text, "at": at}),
            ("ticket_waiting", {"ticket_id": ticket_id, "at": at}),
            _last_message(ticket_id, "customer", e.text, at)]


def _ticket_synced(e: Ticket.ConversationSynced) -> list[Op]:
    ticket_id = str(e.originator_id)
    ops: list[Op] = []
    customer_turns = [t for t in e.turns if t.get("author") == "customer"]
    if customer_turns:
        last = customer_turns[-1]
        ops.append(("ticket_customer_message", {
            "ticket_id": ticket_id, "text": last["text"],
            "at": datetime.fromisoformat(last["at"]).timestamp()}))
    messages = [t for t in e.turns if t.get("author") in ("customer", "ai", "agent")]
    if messages:
        last = messages[-1]
        ops.append(_last_message(ticket_id, last["author"], last["text"],
                                 datetime.fromisoformat(last["at"]).timestamp()))
    return ops


def _ticket_answered(e: Ticket.AgentAnswered | Ticket.TemplateAnswered) -> list[Op]:
    ticket_id, at = str(e.originator_id), _ts(e.timestamp)
    return [("ticket_answered", {"ticket_id": ticket_id, "at": at}),
            _last_message(ticket_id, "agent", e.text, at)]


def _ticket_closed(e: Ticket.Closed) -> list[Op]:
    return [("ticket_closed", {"ticket_id": str(e.originator_id), "resolution": e.resolution,
                               "at": _ts(e.timestamp)})]


def _ticket_reopened(e: Ticket.Reopened) -> list[Op]:
    return [("ticket_reopened", {"ticket_id": str(e.originator_id), "agent_id": e.agent_id,
                                 "agent_name": e.agent_name,
                                 "status": "open" if e.agent_id else "queued",
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

    @classmethod
    def touched(cls, event: Any) -> Change | None:
        """A Ticket event's ticket and conversation; roster events touch no ticket."""
        if not isinstance(event, Ticket.Event | Ticket.Opened):
            return None
        conversation_id = getattr(event, "conversation_id", None)
        return Change(str(event.originator_id), conversation_id, cls.name)
    translations: ClassVar[dict[type[Any], Translate]] = {
        Ticket.Opened: _ticket_opened,
        Ticket.AgentAssigned: _ticket_assigned,
        Ticket.Requeued: _ticket_requeued,
        Ticket.PriorityChanged: _ticket_priority,
        Ticket.CustomerMessageForwarded: _ticket_forwarded,
        Ticket.ConversationSynced: _ticket_synced,
        Ticket.AgentAnswered: _ticket_answered,
        Ticket.TemplateAnswered: _ticket_answered,
        Ticket.Closed: _ticket_closed,
        Ticket.Reopened: _ticket_reopened,
        Ticket.NoteAdded: ticket_line("note", "note", text=lambda e: e.text,
                                      author_name=lambda e: e.author_name),
        Roster.AgentRegistered: _agent_registered,
        Roster.AgentStatusChanged: _agent_status,
        Roster.AgentRemoved: _agent_removed,
    }


# -- ConversationStore → conversations, turns -------------------------------------------------


def _conv(e: Any, **params: Any) -> dict[str, Any]:
    return {"conversation_id": str(e.originator_id), "at": _ts(e.timestamp), **params}


#: The kind of line each Conversation event shows (the others: ``message``).
LINE_KINDS: dict[type[Any], str] = {
    Conversation.TicketOpened: "ticket_opened",
    Conversation.AgentAssigned: "agent_assigned",
    Conversation.TicketClosed: "ticket_closed",
    Conversation.TicketReopened: "ticket_reopened",
    Conversation.ReplyFailed: "send_failed",
    Conversation.ReplyDispatched: "system",
    Conversation.TicketActivityLogged: "system",
}


def _turn(e: Any) -> list[Op]:
    # The event's transcript line (helpline.domain.transcript), keyed by the event's version;
    # its ticket is the event's, else the conversation's open ticket (resolved in SQL).
    line = turn_for(e)
    if line is None:
        return []
    conversation_id, kind = str(e.originator_id), LINE_KINDS.get(type(e), "message")
    ticket_id = getattr(e, "ticket_id", None)
    ops: list[Op] = [("turn", {
        "conversation_id": conversation_id, "seq": e.originator_version,
        "author": line["author"], "text": line["text"], "at": line["at"],
        "message_id": line["message_id"],
        "ticket_id": ticket_id if isinstance(ticket_id, str) else None, "kind": kind,
        "author_name": getattr(e, "agent_name", None) if line["author"] == "agent" else None,
        "reply_id": getattr(e, "reply_id", None) if kind == "system" else None})]
    if kind == "message" and line["text"]:
        ops.append(("search_doc", message_document(conversation_id, e.originator_version,
                                                   line["text"])))
        ops.append(("conversation_last_message", {
            "conversation_id": conversation_id, "text": preview(line["text"]),
            "author": line["author"], "at": datetime.fromisoformat(line["at"]).timestamp()}))
    return ops


def _transcript_events() -> list[type[Any]]:
    """The Conversation events that can show a line in the transcript (override ``turn``)."""
    return [v for v in vars(Conversation).values()
            if isinstance(v, type) and issubclass(v, Conversation.Event)
            and v.turn is not Conversation.Event.turn]


def _started(e: Conversation.Started) -> list[Op]:
    customer = e.customer or {}
    return [("conversation_started", _conv(e, phone=e.phone,
                                           customer_id=customer.get("customer_id"),
                                           customer_name=customer.get("name"))),
            ("search_who", _conv(e))]


def _customer_updated(e: Conversation.CustomerInfoUpdated) -> list[Op]:
    customer = e.customer or {}
    return [("conversation_customer", _conv(e, customer_id=customer.get("customer_id"),
                                            customer_name=customer.get("name"))),
            ("search_who", _conv(e))]


def _ai_answer(e: Conversation.AIAnswerReceived) -> list[Op]:
    ops: list[Op] = [("conversation_ai_answer", _conv(e))]
    if e.open_ticket:  # the hand-over: the reason and the entries it considered
        ops.append(("conversation_handoff", _conv(e, reason=e.reason,
                                                  sources=json.dumps(list(e.sources)),
                                                  in_reply_to=e.in_reply_to)))
    return ops


def _ticket_requested(e: Conversation.TicketRequested) -> list[Op]:
    return [("handoff", _conv(e, ticket_id=e.ticket_id, reason=e.reason)),
            ("handoff_used", _conv(e)),
            ("conversation_ticket_requested", _conv(e, ticket_id=e.ticket_id))]


def _reply_dispatched(e: Conversation.ReplyDispatched) -> list[Op]:
    if e.author == "system":  # a system reply is its own line (with its reply id)
        return []
    return [("turn_reply", _conv(e, reply_id=e.reply_id, cause_id=e.cause_id))]


def _template_dispatched(e: Conversation.TemplateDispatched) -> list[Op]:
    return [("turn_reply", _conv(e, reply_id=e.reply_id, cause_id=e.cause_id))]


def _reply_sent(e: Conversation.ReplySent) -> list[Op]:
    return [("reply_sent", _conv(e, wamid=w, reply_id=e.reply_id)) for w in e.wamids]


def _reply_status(e: Conversation.ReplyStatusUpdated) -> list[Op]:
    error = next((str(x.get("message") or x.get("title") or x.get("code"))
                  for x in e.errors if isinstance(x, dict)), None)
    return [("reply_status", _conv(e, wamid=e.wamid, status=e.status,
                                   rank=DELIVERY_RANK.get(e.status, 0), error=error))]


def _reply_failed(e: Conversation.ReplyFailed) -> list[Op]:
    return [("reply_failed", _conv(e, reply_id=e.reply_id, reason=e.reason))]


#: Delivery statuses in the order they happen (a status never goes back).
DELIVERY_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


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
        Conversation.AIAnswerReceived: _ai_answer,
        Conversation.AgentAnswerReceived: _touch("conversation_agent_answer"),
        Conversation.TicketRequested: _ticket_requested,
        Conversation.TicketClosed: _with_ticket("conversation_ticket_closed"),
        Conversation.TicketReopened: _with_ticket("conversation_ticket_reopened"),
        Conversation.ReplyDispatched: _reply_dispatched,
        Conversation.ProfileNameChanged: lambda e: [
            ("conversation_profile_name", _conv(e, profile_name=e.profile_name))],
        Conversation.TemplateAnswerReceived: _touch("conversation_agent_answer"),
        Conversation.TemplateDispatched: _template_dispatched,
        Conversation.ReplySent: _reply_sent,
        Conversation.ReplyStatusUpdated: _reply_status,
        Conversation.ReplyFailed: _reply_failed,
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
