"""The stored events of the Conversation aggregate (:mod:`helpline.domain.conversation`).

Each class is a contract with the ``apply`` that is its change of the
:class:`~helpline.domain.conversation_state.ConversationState` and, for the events that are
lines of the conversation, the transcript line it shows (``turn``).

A class is defined here and declared, by a subclass of the same name, in the aggregate's
body (``class Started(events.Started): ...``), so ``Conversation.Started`` has the topic these
events have always been stored with (``helpline.domain.conversation:Conversation.Started``):
every stored log loads, and every reader that selects events by topic finds them
(``tests/unit/domain/test_domain_stored_events.py``). Trigger, match and build
``Conversation.<Event>``; the classes here are never stored themselves.

The module is a little over the ~400 lines we aim at, on purpose: it is the aggregate's whole
stored contract (every event, its fields and its ``apply``), read and changed as one; split
in two, an event's shared base would sit apart from the events it serves.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from eventsourcing.domain import Aggregate

from helpline.domain.conversation_state import (
    JSON,
    RECENT_IDS,
    RECENT_TICKETS,
    ConversationState,
    assignment_key,
    remember,
)
from helpline.domain.transcript import turn
from helpline.domain.upcasting import field_added

#: The base of every event here (a transcript line overrides ``turn``).
Event = ConversationState.Event


class Started(Aggregate.Created):
    """The first message of a phone number on a channel started a conversation.
    Version 2 records the store's ``generation``, which every id the conversation
    derives includes (see ``derive``)."""

    class_version = 2

    phone: str
    channel: JSON
    customer: JSON | None
    generation: str | None

    upcast_v1_v2 = field_added("generation")


class CustomerInfoUpdated(Event):
    """The gateway's registry entry for the customer changed (or appeared)."""

    customer: JSON | None

    def apply(self, agg: ConversationState) -> None:
        agg.customer = self.customer


class ProfileNameChanged(Event):
    """The customer's WhatsApp profile name (``contacts[].profile.name``) is new or
    changed; shown where the customer registry has no entry."""

    profile_name: str

    def apply(self, agg: ConversationState) -> None:
        agg.profile_name = self.profile_name


class ActiveChannelChanged(Event):
    """Replies now go out on another channel (e.g. another business number)."""

    channel: JSON

    def apply(self, agg: ConversationState) -> None:
        agg.channel = self.channel


class CustomerMessageReceived(Event):
    """The customer wrote; ``wamid`` is WhatsApp's id of the message."""

    wamid: str
    message_type: str
    text: str
    sent_at: str
    cause_id: str | None

    def apply(self, agg: ConversationState) -> None:
        remember(agg.recent_wamids, self.wamid)
        last = agg.last_customer_message_at
        if last is None or datetime.fromisoformat(self.sent_at) > datetime.fromisoformat(last):
            agg.last_customer_message_at = self.sent_at
        agg.last_customer_wamid = self.wamid
        agg.add_turn(self)

    def turn(self) -> JSON:
        """The customer's line."""
        return turn("customer", self.text, self.timestamp, self.wamid, self.message_type)


class _Request(Event):
    """What every request to another service carries: the customer (their registry
    entry and phone) and ``cause_id``, the message that caused it."""

    customer: JSON | None
    phone: str
    cause_id: str | None


class _AnswerRequest(_Request):
    """A request for the answer to the customer's message ``in_reply_to``: the message is
    pending, for its :attr:`answerer`, until the answer comes."""

    #: Who is asked: the pending entry's ``state`` ("ai" or "agent").
    answerer: ClassVar[str]

    request_id: str
    in_reply_to: str

    def asked(self) -> str:
        """The text the answerer is asked about (the pending entry's ``text``)."""
        raise NotImplementedError

    def apply(self, agg: ConversationState) -> None:
        agg.pending[self.in_reply_to] = {"state": self.answerer, "text": self.asked()}


class AIAnswerRequested(_AnswerRequest):
    """ms-rag is asked to answer the message ``in_reply_to``."""

    answerer = "ai"

    question: str
    history: list[JSON]

    def asked(self) -> str:
        """The customer's question."""
        return self.question


class AgentAnswerRequested(_AnswerRequest):
    """The message ``in_reply_to`` is forwarded to the agent who holds the ticket."""

    answerer = "agent"

    ticket_id: str
    text: str

    def asked(self) -> str:
        """The customer's message, as forwarded."""
        return self.text


class AIAnswerReceived(Event):
    """ms-rag answered; ``open_ticket`` asks for a human."""

    answer_id: str
    in_reply_to: str
    text: str
    open_ticket: bool
    reason: str | None
    confidence: float
    sources: list[str]

    def apply(self, agg: ConversationState) -> None:
        agg.pending.pop(self.in_reply_to, None)
        agg.add_turn(self)

    def turn(self) -> JSON:
        """The AI's line."""
        return turn("ai", self.text, self.timestamp, self.answer_id)


class TicketRequested(_Request):
    """An Open Ticket command was sent for ``ticket_id``."""

    ticket_id: str
    reason: str
    language: str | None

    def apply(self, agg: ConversationState) -> None:
        agg.ticket = {"ticket_id": self.ticket_id, "status": "requested",
                      "agent_id": None, "agent_name": None, "opened": False,
                      "assignments": []}
        agg.tickets_requested += 1


class TicketOpened(Event):
    """ms-agents reported the ticket opened (logged in the conversation)."""

    ticket_id: str

    def apply(self, agg: ConversationState) -> None:
        ticket = agg.current_ticket(self.ticket_id)
        if ticket is not None:
            ticket["opened"] = True
            if ticket["status"] == "requested":
                ticket["status"] = "open"
        agg.add_turn(self)

    def turn(self) -> JSON:
        """A system line."""
        return turn("system", "Ticket opened", self.timestamp, self.ticket_id)


class AgentAssigned(Event):
    """ms-agents reported an agent assigned to the ticket (logged). Version 2 keys the
    log on the Agent Assigned message, so a reassignment back to an earlier agent is
    recorded too."""

    class_version = 2

    ticket_id: str
    agent_id: str
    agent_name: str
    assignment_id: str | None

    upcast_v1_v2 = field_added("assignment_id")

    def apply(self, agg: ConversationState) -> None:
        ticket = agg.current_ticket(self.ticket_id)
        if ticket is not None:
            ticket.update(status="assigned", agent_id=self.agent_id,
                          agent_name=self.agent_name)
            remember(ticket["assignments"],
                      assignment_key(self.agent_id, self.assignment_id), RECENT_TICKETS)
        agg.add_turn(self)

    def turn(self) -> JSON:
        """A system line."""
        return turn("system", f"Agent {self.agent_name} assigned", self.timestamp,
                    self.ticket_id)


class _AgentAnswer(Event):
    """What every answer of a human agent records (free text or a template): what was
    waiting for them is not any more, and the answer is the agent's line."""

    answer_id: str
    ticket_id: str
    agent_id: str
    agent_name: str
    text: str

    def apply(self, agg: ConversationState) -> None:
        remember(agg.recent_answers, self.answer_id)
        agg.pending = {w: p for w, p in agg.pending.items() if p["state"] != "agent"}
        agg.add_turn(self)

    def turn(self) -> JSON:
        """The agent's line (a template's is its rendered text)."""
        return turn("agent", self.text, self.timestamp, self.answer_id)


class AgentAnswerReceived(_AgentAnswer):
    """A human agent answered."""

    attachment: JSON | None = None
    """The image or document the agent sent (added later: older events have none)."""


class TicketClosed(Event):
    """The ticket was closed: the AI agent answers again."""

    ticket_id: str
    resolution: str
    agent_id: str | None

    def apply(self, agg: ConversationState) -> None:
        remember(agg.closed_tickets, self.ticket_id, RECENT_TICKETS)
        if agg.current_ticket(self.ticket_id) is not None:
            agg.ticket = None
        agg.add_turn(self)

    def turn(self) -> JSON:
        """A system line."""
        return turn("system", f"Ticket closed: {self.resolution}", self.timestamp,
                    self.ticket_id)


class TicketReopened(Event):
    """ms-agents reopened a closed ticket: a human answers again (its agent, or whoever
    takes it from the queue)."""

    ticket_id: str
    agent_id: str | None
    agent_name: str | None

    def apply(self, agg: ConversationState) -> None:
        if self.ticket_id in agg.closed_tickets:
            agg.closed_tickets.remove(self.ticket_id)
        agg.ticket = {"ticket_id": self.ticket_id,
                      "status": "assigned" if self.agent_id else "open",
                      "agent_id": self.agent_id, "agent_name": self.agent_name,
                      "opened": True, "assignments": []}
        agg.add_turn(self)

    def turn(self) -> JSON:
        """A system line."""
        text = ("Ticket reopened" if self.agent_name is None
                else f"Ticket reopened for {self.agent_name}")
        return turn("system", text, self.timestamp, self.ticket_id)


class TicketActivityLogged(Event):
    """ms-agents reported something done on a ticket that the conversation only shows
    as a line (a Ticket Activity message: ``activity_id`` is its id, ``text`` its
    line)."""

    activity_id: str
    ticket_id: str
    text: str

    def apply(self, agg: ConversationState) -> None:
        agg.recent_activities = [*agg.recent_activities, self.activity_id][-RECENT_IDS:]
        agg.add_turn(self)

    def turn(self) -> JSON:
        """A system line."""
        return turn("system", self.text, self.timestamp, self.ticket_id)


class _Dispatched(Event):
    """What every message commanded on the active channel records (a reply or a
    template): it is unsettled until ms-whatsapp reports it sent or failed."""

    reply_id: str
    text: str
    author: str
    channel: JSON
    cause_id: str | None

    def apply(self, agg: ConversationState) -> None:
        agg.unsettle(self.reply_id, self.author)


class ReplyDispatched(_Dispatched):
    """A reply (AI, agent or system) was commanded on the active channel."""

    reply_to_wamid: str | None
    customer_last_message_at: str | None
    attachment: JSON | None = None
    """An agent's image or document sent with the text (added later: older events have
    none)."""

    def apply(self, agg: ConversationState) -> None:
        super().apply(agg)
        if self.author == "system":
            if self.reply_to_wamid is not None:
                agg.pending.pop(self.reply_to_wamid, None)
            agg.add_turn(self)

    def turn(self) -> JSON | None:
        """System replies are lines; AI and agent replies are lines through their
        answer events."""
        if self.author != "system":
            return None
        return turn("system", self.text, self.timestamp, self.reply_id)


class ReplySent(Event):
    """ms-whatsapp sent the reply; ``wamids`` are Meta's ids for it."""

    reply_id: str
    wamids: list[str]

    def apply(self, agg: ConversationState) -> None:
        agg.settle(self.reply_id)
        for wamid in self.wamids:
            agg.set_status(wamid, agg.outbound_status.get(wamid, "sent"))


class ReplyFailed(Event):
    """ms-whatsapp could not send the reply."""

    reply_id: str
    code: int | None
    reason: str

    def apply(self, agg: ConversationState) -> None:
        agg.settle(self.reply_id)
        agg.add_turn(self)

    def turn(self) -> JSON:
        """A system line."""
        return turn("system", f"Reply not delivered: {self.reason}", self.timestamp,
                    self.reply_id)


class ReplyStatusUpdated(Event):
    """Meta reported a delivery status for one of our messages."""

    wamid: str
    status: str
    errors: list[JSON]

    def apply(self, agg: ConversationState) -> None:
        agg.set_status(self.wamid, self.status)


class TemplateAnswerReceived(_AgentAnswer):
    """A human agent answered with an approved template (``template`` is
    ``{name, language, components}``, ``text`` it rendered)."""

    template: JSON


class TemplateDispatched(_Dispatched):
    """A template message was commanded on the active channel."""

    template: JSON


__all__ = ["AIAnswerReceived", "AIAnswerRequested", "ActiveChannelChanged",
           "AgentAnswerReceived", "AgentAnswerRequested", "AgentAssigned",
           "CustomerInfoUpdated", "CustomerMessageReceived", "Event", "ProfileNameChanged",
           "ReplyDispatched", "ReplyFailed", "ReplySent", "ReplyStatusUpdated", "Started",
           "TemplateAnswerReceived", "TemplateDispatched", "TicketActivityLogged",
           "TicketClosed", "TicketOpened", "TicketReopened", "TicketRequested"]
