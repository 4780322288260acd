"""The audit timeline of a ticket: who did what and when, read from the stored events of the
ticket (AgentDesk) and of its conversation (ConversationStore), not from a projection.

The conversation's part is the stretch that belongs to the ticket: from the exchange that
led to it (after the previous ticket closed, at most :data:`LEAD_IN` events) to its last
closing (or now, while it is open). Each event becomes one readable sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from helpline.application.agent_desk import AgentDesk
from helpline.application.conversation_store import ConversationStore
from helpline.domain.conversation import Conversation as C
from helpline.domain.ticket import Ticket as T

#: How many conversation events before the ticket's request the timeline shows.
LEAD_IN = 20
#: How much of a message's text a sentence quotes.
QUOTE = 120

Source = Literal["agent_desk", "conversation_store"]


@dataclass(frozen=True)
class TimelineEntry:
    """One stored event in words; ``actor``: ``customer``, ``ai``, ``agent:<name>``,
    ``admin`` or ``system``."""

    at: datetime
    actor: str
    action: str
    source: Source
    event: str
    version: int


Names = Callable[[str | None], str]
Describe = Callable[[Any, Names], tuple[str, str]]


def quote(text: str) -> str:
    """``text`` on one line, in quotes, cut at :data:`QUOTE` characters."""
    flat = " ".join(text.split())
    return f"“{flat if len(flat) <= QUOTE else flat[:QUOTE - 1] + '…'}”"


def _who(by: str | None, names: Names) -> str:
    if by is None:
        return "system"
    if by == "admin":
        return "admin"
    return f"agent:{names(by.removeprefix('agent:'))}"


def _agent(agent_id: str | None, names: Names) -> str:
    return "admin" if agent_id is None else f"agent:{names(agent_id)}"


def _assigned(e: T.AgentAssigned, names: Names) -> tuple[str, str]:
    if e.by is None:
        return "system", f"Assigned the ticket to {e.agent_name}."
    return _who(e.by, names), f"Transferred the ticket to {e.agent_name}."


def _reopened(e: T.Reopened, names: Names) -> tuple[str, str]:
    where = (f"for {e.agent_name}" if e.agent_name else "; it waits in the queue")
    return _who(e.by, names), f"Reopened the ticket {where}.".replace(" ;", ";")


def _ai_answer(e: C.AIAnswerReceived, _: Names) -> tuple[str, str]:
    if e.open_ticket:
        return "ai", f"Handed the conversation to a person ({e.reason or 'no reason given'})."
    return "ai", f"Answered {quote(e.text)}."


TICKET_SENTENCES: dict[type[Any], Describe] = {
    T.Opened: lambda e, _: ("system", f"Opened the ticket: {e.reason}."),
    T.AgentAssigned: _assigned,
    T.Requeued: lambda e, n: ("system", f"Put the ticket back in the queue ({n(e.agent_id)} "
                                        "left the desk)."),
    T.CustomerMessageForwarded: lambda e, _: (
        "system", f"Showed the customer's message {quote(e.text)} to the agent."),
    T.ConversationSynced: lambda e, _: (
        "system", f"Fetched the conversation for the agent ({len(e.turns)} lines)."),
    T.AgentAnswered: lambda e, _: (f"agent:{e.agent_name}", f"Replied {quote(e.text)}."),
    T.NoteAdded: lambda e, _: (_agent_or_admin(e.author_id, e.author_name),
                               f"Added an internal note {quote(e.text)}."),
    T.Closed: lambda e, n: (_agent(e.agent_id, n), f"Closed the ticket: {quote(e.resolution)}."),
    T.Reopened: _reopened,
    T.PriorityChanged: lambda e, n: (_who(e.by, n), f"Changed the priority from "
                                                    f"{e.previous_priority} to {e.priority}."),
}

CONVERSATION_SENTENCES: dict[type[Any], Describe] = {
    C.Started: lambda e, _: ("system", "The conversation started."),
    C.CustomerInfoUpdated: lambda e, _: ("system", "Updated the customer's details from the "
                                                   "registry."),
    C.ActiveChannelChanged: lambda e, _: ("system", "Replies now go out on another business "
                                                    "number."),
    C.CustomerMessageReceived: lambda e, _: ("customer", f"Wrote {quote(e.text)}."),
    C.AIAnswerRequested: lambda e, _: ("system", "Asked the AI for an answer."),
    C.AgentAnswerRequested: lambda e, _: ("system", "Forwarded the message to the agent."),
    C.AIAnswerReceived: _ai_answer,
    C.TicketRequested: lambda e, _: ("system", f"Asked the desk for a person: {e.reason}"),
    C.TicketOpened: lambda e, _: ("system", "Recorded the ticket in the conversation."),
    C.AgentAssigned: lambda e, _: ("system", f"{e.agent_name} answers the conversation now."),
    C.AgentAnswerReceived: lambda e, _: (f"agent:{e.agent_name}", "Had the reply recorded "
                                         "for sending."),
    C.TicketClosed: lambda e, _: ("system", "The AI answers the conversation again."),
    C.TicketReopened: lambda e, _: ("system", "A person answers the conversation again."),
    C.TicketActivityLogged: lambda e, _: ("system", f"Showed {quote(e.text)} in the "
                                                    "conversation."),
    C.ReplyDispatched: lambda e, _: ("system", f"Sent the {_kind(e.author)} reply to "
                                               "WhatsApp."),
    C.ReplySent: lambda e, _: ("system", "WhatsApp accepted the reply."),
    C.ReplyFailed: lambda e, _: ("system", f"WhatsApp could not deliver the reply: "
                                           f"{e.reason}."),
    C.ReplyStatusUpdated: lambda e, _: ("system", f"WhatsApp reported the reply {e.status}."),
}


def _agent_or_admin(author_id: str | None, author_name: str) -> str:
    return "admin" if author_id is None else f"agent:{author_name}"


def _kind(author: str) -> str:
    return {"ai": "AI's", "agent": "agent's"}.get(author, "automatic")


def _entry(event: Any, source: Source, table: dict[type[Any], Describe],
           names: Names) -> TimelineEntry:
    describe = table.get(type(event))
    name = type(event).__qualname__
    actor, action = describe(event, names) if describe else ("system", f"Recorded {name}.")
    return TimelineEntry(event.timestamp, actor, action, source, name,
                         event.originator_version)


def conversation_part(events: Sequence[Any], ticket_id: str, closed: bool) -> list[Any]:
    """The conversation events that belong to ``ticket_id`` (see the module docstring)."""
    mine = [i for i, e in enumerate(events) if getattr(e, "ticket_id", None) == ticket_id]
    if not mine:
        return []
    start = mine[0]
    while start > 0 and mine[0] - start < LEAD_IN:
        previous = events[start - 1]
        if isinstance(previous, C.TicketClosed | C.TicketReopened):
            break  # the previous ticket's stretch
        start -= 1
    end = mine[-1] + 1 if closed else len(events)
    return list(events[start:end])


def timeline(desk: AgentDesk, store: ConversationStore, ticket_id: str) -> list[TimelineEntry]:
    """The ticket's timeline, oldest first (raises ``UnknownTicketError``)."""
    ticket = desk.ticket(ticket_id)
    agents = desk.roster().agents

    def names(agent_id: str | None) -> str:
        return str(agents.get(agent_id or "", {}).get("name") or agent_id or "someone")

    entries = [_entry(e, "agent_desk", TICKET_SENTENCES, names)
               for e in desk.events.get(UUID(ticket_id))]
    conv_events = list(store.events.get(UUID(ticket.conversation_id)))
    entries += [_entry(e, "conversation_store", CONVERSATION_SENTENCES, names)
                for e in conversation_part(conv_events, ticket_id, not ticket.is_open)]
    rank = {"conversation_store": 0, "agent_desk": 1}
    return sorted(entries, key=lambda x: (x.at, rank[x.source], x.version))


__all__ = ["TimelineEntry", "conversation_part", "quote", "timeline"]
