"""The Conversation aggregate (ms-conv-store): one customer's conversation on a channel.

Every command method is pure: facts, ids and times come in as arguments; the method checks
its rules and then triggers events whose ``apply`` is the only place state changes, so that
deciding and replaying run the same code. Commands return ``False`` when they are a
redelivery of something already recorded (idempotency), and change nothing then.

The module is longer than most (~450 lines) because the aggregate declares its 17 events as
nested classes, each with the ``apply`` that is its state change: the events are contracts
and read best next to the commands that trigger them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from helpline.domain.ids import conversation_id_for, derived_id
from helpline.domain.message_types import NO_REPLY_TYPES, UNREADABLE_REPLY, is_readable

#: How many recent turns an AI answer request carries.
HISTORY_TURNS = 10

JSON = dict[str, Any]

class Conversation(Aggregate):
    """A customer's conversation: messages, answers, the active channel and the ticket."""

    class Started(Aggregate.Created):
        """The first message of a phone number on a channel started a conversation."""

        phone: str
        channel: JSON
        customer: JSON | None

    class CustomerInfoUpdated(Aggregate.Event):
        """The gateway's registry entry for the customer changed (or appeared)."""

        customer: JSON | None

        def apply(self, agg: Conversation) -> None:
            agg.customer = self.customer

    class ActiveChannelChanged(Aggregate.Event):
        """Replies now go out on another channel (e.g. another business number)."""

        channel: JSON

        def apply(self, agg: Conversation) -> None:
            agg.channel = self.channel

    class CustomerMessageReceived(Aggregate.Event):
        """The customer wrote; ``wamid`` is WhatsApp's id of the message."""

        wamid: str
        message_type: str
        text: str
        sent_at: str
        cause_id: str | None

        def apply(self, agg: Conversation) -> None:
            agg.inbound[self.wamid] = "received"
            last = agg.last_customer_message_at
            if last is None or datetime.fromisoformat(self.sent_at) > datetime.fromisoformat(last):
                agg.last_customer_message_at = self.sent_at
            agg.turns.append(
                {
                    "author": "customer",
                    "text": self.text,
                    "at": self.timestamp.isoformat(),
                    "message_id": self.wamid,
                    "message_type": self.message_type,
                }
            )

    class AIAnswerRequested(Aggregate.Event):
        """ms-rag is asked to answer the message ``in_reply_to``."""

        request_id: str
        in_reply_to: str
        question: str
        history: list[JSON]
        customer: JSON | None
        phone: str
        cause_id: str | None

        def apply(self, agg: Conversation) -> None:
            agg.inbound[self.in_reply_to] = "ai-requested"

    class AgentAnswerRequested(Aggregate.Event):
        """The message ``in_reply_to`` is forwarded to the agent who holds the ticket."""

        request_id: str
        ticket_id: str
        in_reply_to: str
        text: str
        customer: JSON | None
        phone: str
        cause_id: str | None

        def apply(self, agg: Conversation) -> None:
            agg.inbound[self.in_reply_to] = "agent-requested"

    class AIAnswerReceived(Aggregate.Event):
        """ms-rag answered; ``open_ticket`` asks for a human."""

        answer_id: str
        in_reply_to: str
        text: str
        open_ticket: bool
        reason: str | None
        confidence: float
        sources: list[str]

        def apply(self, agg: Conversation) -> None:
            agg.answers.add(self.answer_id)
            agg.inbound[self.in_reply_to] = "answered"
            agg.turns.append(_turn("ai", self.text, self.timestamp, self.answer_id))

    class TicketRequested(Aggregate.Event):
        """An Open Ticket command was sent for ``ticket_id``."""

        ticket_id: str
        reason: str
        customer: JSON | None
        language: str | None
        phone: str
        cause_id: str | None

        def apply(self, agg: Conversation) -> None:
            agg.ticket = {"ticket_id": self.ticket_id, "status": "requested",
                          "agent_id": None, "agent_name": None}
            agg.tickets_requested += 1

    class TicketOpened(Aggregate.Event):
        """ms-agents reported the ticket opened (logged in the conversation)."""

        ticket_id: str

        def apply(self, agg: Conversation) -> None:
            ticket = agg.ticket
            if ticket and ticket["ticket_id"] == self.ticket_id and ticket["status"] == "requested":
                agg.ticket = {**ticket, "status": "open"}
            agg.ticket_log.add(f"opened:{self.ticket_id}")
            agg.turns.append(_turn("system", "Ticket opened", self.timestamp, self.ticket_id))

    class AgentAssigned(Aggregate.Event):
        """ms-agents reported an agent assigned to the ticket (logged). Version 2 keys the
        log on the Agent Assigned message, so a reassignment back to an earlier agent is
        recorded too."""

        class_version = 2

        ticket_id: str
        agent_id: str
        agent_name: str
        assignment_id: str | None

        @staticmethod
        def upcast_v1_v2(state: JSON) -> None:
            state["assignment_id"] = None

        def apply(self, agg: Conversation) -> None:
            if agg.ticket and agg.ticket["ticket_id"] == self.ticket_id:
                agg.ticket = {**agg.ticket, "status": "assigned", "agent_id": self.agent_id,
                              "agent_name": self.agent_name}
            agg.ticket_log.add(_assignment_key(self.ticket_id, self.agent_id,
                                               self.assignment_id))
            agg.turns.append(_turn("system", f"Agent {self.agent_name} assigned",
                                   self.timestamp, self.ticket_id))

    class AgentAnswerReceived(Aggregate.Event):
        """A human agent answered."""

        answer_id: str
        ticket_id: str
        agent_id: str
        agent_name: str
        text: str

        def apply(self, agg: Conversation) -> None:
            agg.answers.add(self.answer_id)
            agg.turns.append(_turn("agent", self.text, self.timestamp, self.answer_id))
            for wamid, state in agg.inbound.items():
                if state == "agent-requested":
                    agg.inbound[wamid] = "answered"

    class TicketClosed(Aggregate.Event):
        """The ticket was closed: the AI agent answers again."""

        ticket_id: str
        resolution: str
        agent_id: str | None

        def apply(self, agg: Conversation) -> None:
            agg.closed_tickets.add(self.ticket_id)
            if agg.ticket and agg.ticket["ticket_id"] == self.ticket_id:
                agg.ticket = None
            agg.turns.append(_turn("system", f"Ticket closed: {self.resolution}",
                                   self.timestamp, self.ticket_id))

    class ReplyDispatched(Aggregate.Event):
        """A reply (AI, agent or system) was commanded on the active channel."""

        reply_id: str
        text: str
        author: str
        channel: JSON
        reply_to_wamid: str | None
        customer_last_message_at: str | None
        cause_id: str | None

        def apply(self, agg: Conversation) -> None:
            agg.replies[self.reply_id] = "dispatched"
            if self.author == "system":
                # AI and agent replies are in the transcript through their answer events.
                agg.turns.append(_turn("system", self.text, self.timestamp, self.reply_id))
                if self.reply_to_wamid in agg.inbound:
                    agg.inbound[self.reply_to_wamid] = "answered"

    class ReplySent(Aggregate.Event):
        """ms-whatsapp sent the reply; ``wamids`` are Meta's ids for it."""

        reply_id: str
        wamids: list[str]

        def apply(self, agg: Conversation) -> None:
            agg.replies[self.reply_id] = "sent"
            for wamid in self.wamids:
                agg.outbound_status.setdefault(wamid, "sent")

    class ReplyFailed(Aggregate.Event):
        """ms-whatsapp could not send the reply."""

        reply_id: str
        code: int | None
        reason: str

        def apply(self, agg: Conversation) -> None:
            agg.replies[self.reply_id] = "failed"
            agg.turns.append(_turn("system", f"Reply not delivered: {self.reason}",
                                   self.timestamp, self.reply_id))

    class ReplyStatusUpdated(Aggregate.Event):
        """Meta reported a delivery status for one of our messages."""

        wamid: str
        status: str
        errors: list[JSON]

        def apply(self, agg: Conversation) -> None:
            agg.outbound_status[self.wamid] = self.status

    def __init__(self, phone: str, channel: JSON, customer: JSON | None) -> None:
        self.phone = phone
        self.channel = channel
        self.customer = customer
        self.turns: list[JSON] = []
        self.inbound: dict[str, str] = {}
        self.answers: set[str] = set()
        self.replies: dict[str, str] = {}
        self.outbound_status: dict[str, str] = {}
        self.ticket: JSON | None = None
        self.ticket_log: set[str] = set()
        self.closed_tickets: set[str] = set()
        self.tickets_requested = 0
        self.last_customer_message_at: str | None = None

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def start(
        cls, *, phone: str, channel: JSON, customer: JSON | None, at: datetime
    ) -> Conversation:
        """Start the conversation of ``phone`` (its id is derived from the phone)."""
        return cls._create(
            cls.Started,
            id=conversation_id_for(phone),
            timestamp=at,
            phone=phone,
            channel=channel,
            customer=customer,
        )

    # -- queries ----------------------------------------------------------------------------

    @property
    def has_open_ticket(self) -> bool:
        """Whether a ticket is requested, open or assigned (a human holds the conversation)."""
        return self.ticket is not None

    def knows_message(self, wamid: str) -> bool:
        """Whether the customer message ``wamid`` is already recorded."""
        return wamid in self.inbound

    # -- commands ---------------------------------------------------------------------------

    def receive_customer_message(
        self,
        *,
        wamid: str,
        text: str,
        message_type: str,
        sent_at: datetime,
        channel: JSON,
        customer: JSON | None,
        at: datetime,
        cause_id: str | None = None,
    ) -> bool:
        """Record a customer message and ask for its answer: the agent's when a ticket is
        open, else the AI's; a message the AI cannot read (audio, a sticker, an unsupported
        type) gets a clear system reply instead, and reactions and system notices need none.
        Returns ``False`` for a message already recorded."""
        if self.knows_message(wamid):
            return False
        # A late, older message (Meta or NATS redelivered it out of order) is recorded, but
        # does not take the active channel or the customer's details back to what they were.
        latest = self.last_customer_message_at is None or sent_at >= datetime.fromisoformat(
            self.last_customer_message_at)
        if latest and customer is not None and customer != self.customer:
            self.trigger_event(self.CustomerInfoUpdated, timestamp=at, customer=customer)
        if latest and channel != self.channel:
            self.trigger_event(self.ActiveChannelChanged, timestamp=at, channel=channel)
        self.trigger_event(
            self.CustomerMessageReceived, timestamp=at, wamid=wamid, message_type=message_type,
            text=text, sent_at=sent_at.isoformat(), cause_id=cause_id,
        )
        if message_type in NO_REPLY_TYPES:
            return True
        if self.ticket is None and not is_readable(message_type, text):
            language = (self.customer or {}).get("language")
            reply = UNREADABLE_REPLY.get(language or "") or (
                f"{UNREADABLE_REPLY['es']} / {UNREADABLE_REPLY['en']}")
            self._dispatch(text=reply, author="system", reply_to=wamid, cause_id=wamid, at=at)
            return True
        if self.ticket is not None:
            self.trigger_event(
                self.AgentAnswerRequested, timestamp=at,
                request_id=str(derived_id(self.id, "agent-request", wamid)),
                ticket_id=self.ticket["ticket_id"], in_reply_to=wamid, text=text,
                customer=self.customer, phone=self.phone, cause_id=cause_id,
            )
        else:
            self._request_ai_answer(wamid, at=at, cause_id=cause_id)
        return True

    def receive_ai_answer(
        self,
        *,
        answer_id: str,
        in_reply_to: str,
        text: str,
        open_ticket: bool,
        reason: str | None,
        confidence: float,
        sources: list[str],
        at: datetime,
    ) -> bool:
        """Record the AI's answer, reply on the active channel and, when the AI asks for it
        and no ticket is open yet, request a ticket. ``False`` for a redelivered answer or an
        answer to a message that was already answered."""
        if answer_id in self.answers or self.inbound.get(in_reply_to) == "answered":
            return False
        self.trigger_event(
            self.AIAnswerReceived, timestamp=at, answer_id=answer_id, in_reply_to=in_reply_to,
            text=text, open_ticket=open_ticket, reason=reason, confidence=confidence,
            sources=list(sources),
        )
        self._dispatch(text=text, author="ai", reply_to=in_reply_to, cause_id=answer_id, at=at)
        if open_ticket and self.ticket is None:
            language = (self.customer or {}).get("language")
            self.trigger_event(
                self.TicketRequested, timestamp=at,
                ticket_id=str(derived_id(self.id, "ticket", self.tickets_requested + 1)),
                reason=reason or "the AI agent asked for a human", customer=self.customer,
                language=language, phone=self.phone, cause_id=answer_id,
            )
        return True

    def log_ticket_opened(self, *, ticket_id: str, at: datetime) -> bool:
        """Log that ms-agents opened the ticket. ``False`` if already logged."""
        if f"opened:{ticket_id}" in self.ticket_log:
            return False
        self.trigger_event(self.TicketOpened, timestamp=at, ticket_id=ticket_id)
        return True

    def log_agent_assigned(
        self, *, ticket_id: str, agent_id: str, agent_name: str, at: datetime,
        assignment_id: str | None = None,
    ) -> bool:
        """Log that an agent holds the ticket. ``assignment_id`` (the Agent Assigned
        message's id) tells a redelivery from a new assignment. ``False`` if already
        logged."""
        if _assignment_key(ticket_id, agent_id, assignment_id) in self.ticket_log:
            return False
        self.trigger_event(self.AgentAssigned, timestamp=at, ticket_id=ticket_id,
                           agent_id=agent_id, agent_name=agent_name,
                           assignment_id=assignment_id)
        return True

    def receive_agent_answer(
        self, *, answer_id: str, ticket_id: str, agent_id: str, agent_name: str, text: str,
        at: datetime,
    ) -> bool:
        """Record a human agent's answer and reply on the active channel, exactly like an AI
        answer. ``False`` for a redelivered answer."""
        if answer_id in self.answers:
            return False
        reply_to = self._last_customer_wamid()
        self.trigger_event(self.AgentAnswerReceived, timestamp=at, answer_id=answer_id,
                           ticket_id=ticket_id, agent_id=agent_id, agent_name=agent_name,
                           text=text)
        self._dispatch(text=text, author="agent", reply_to=reply_to, cause_id=answer_id, at=at)
        return True

    def close_ticket(
        self, *, ticket_id: str, resolution: str, agent_id: str | None, at: datetime
    ) -> bool:
        """Log that the ticket was closed; the AI answers the next message. ``False`` if
        already closed."""
        if ticket_id in self.closed_tickets:
            return False
        waiting = [wamid for wamid, state in self.inbound.items() if state == "agent-requested"]
        self.trigger_event(self.TicketClosed, timestamp=at, ticket_id=ticket_id,
                           resolution=resolution, agent_id=agent_id)
        if self.ticket is None:
            # Messages forwarded to the agent and left unanswered (e.g. written while the
            # ticket was being closed) go to the AI now, so none is left without an answer.
            for wamid in waiting:
                self._request_ai_answer(wamid, at=at, cause_id=None)
        return True

    def record_reply_sent(self, *, reply_id: str, wamids: list[str], at: datetime) -> bool:
        """Record that ms-whatsapp sent a reply. ``False`` if already recorded."""
        if self.replies.get(reply_id) in ("sent", "failed"):
            return False
        self.trigger_event(self.ReplySent, timestamp=at, reply_id=reply_id, wamids=wamids)
        return True

    def record_reply_failed(
        self, *, reply_id: str, code: int | None, reason: str, at: datetime
    ) -> bool:
        """Record that a reply could not be sent. ``False`` if already recorded."""
        if self.replies.get(reply_id) in ("sent", "failed"):
            return False
        self.trigger_event(self.ReplyFailed, timestamp=at, reply_id=reply_id, code=code,
                           reason=reason)
        return True

    def record_status(
        self, *, wamid: str, status: str, errors: list[JSON], at: datetime
    ) -> bool:
        """Record a delivery status of one of our messages. ``False`` if it is not newer
        than what we have (Meta does not promise order: "delivered" after "read" is old)."""
        current = self.outbound_status.get(wamid)
        if current is not None and _STATUS_RANK.get(status, 0) <= _STATUS_RANK.get(current, 0):
            return False
        self.trigger_event(self.ReplyStatusUpdated, timestamp=at, wamid=wamid, status=status,
                           errors=errors)
        return True

    # -- helpers ----------------------------------------------------------------------------

    def _request_ai_answer(self, wamid: str, *, at: datetime, cause_id: str | None) -> None:
        question = next(t["text"] for t in self.turns if t.get("message_id") == wamid)
        self.trigger_event(
            self.AIAnswerRequested, timestamp=at,
            request_id=str(derived_id(self.id, "ai-request", wamid)),
            in_reply_to=wamid, question=question, history=self.turns[-HISTORY_TURNS:],
            customer=self.customer, phone=self.phone, cause_id=cause_id,
        )

    def _dispatch(
        self, *, text: str, author: str, reply_to: str | None, cause_id: str, at: datetime
    ) -> None:
        self.trigger_event(
            self.ReplyDispatched, timestamp=at,
            reply_id=str(derived_id(self.id, "reply", cause_id)), text=text, author=author,
            channel=self.channel, reply_to_wamid=reply_to,
            customer_last_message_at=self.last_customer_message_at, cause_id=cause_id,
        )

    def _last_customer_wamid(self) -> str | None:
        for turn in reversed(self.turns):
            if turn["author"] == "customer":
                return str(turn["message_id"])
        return None


#: Delivery statuses in the order they can happen; a status never goes back.
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4, "deleted": 5}


def _assignment_key(ticket_id: str, agent_id: str, assignment_id: str | None) -> str:
    if assignment_id is not None:
        return f"assigned:{assignment_id}"
    return f"assigned:{ticket_id}:{agent_id}"


def _turn(author: str, text: str, at: datetime, message_id: str | None) -> JSON:
    return {"author": author, "text": text, "at": at.isoformat(), "message_id": message_id,
            "message_type": "text"}


__all__ = ["HISTORY_TURNS", "UNREADABLE_REPLY", "Conversation", "is_readable"]
