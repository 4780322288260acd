"""The Conversation aggregate (ms-conv-store): one customer's conversation on a channel.

Every command method is pure: facts, ids and times come in as arguments; the method checks
its rules and then triggers events whose ``apply`` is the only place state changes, so that
deciding and replaying run the same code. Commands return ``False`` when they are a
redelivery of something already recorded (idempotency), and change nothing then.

**Bounded state.** A customer may write for years; the cost of a decision must not grow with
that (docs/architecture.md, "Bounded aggregates"). The aggregate keeps only what its
decisions need: the active channel and customer, the open ticket, the messages still waiting
for an answer, the last :data:`HISTORY_TURNS` turns (the AI's context) and short windows of
recent ids for fast redelivery checks. The whole transcript is read from the stored events
(:mod:`helpline.domain.transcript`); ids older than the windows are guarded by the
application's receipts (``helpline.application.unit_of_work``).

The module is longer than the ~400 lines we aim at (about 820) and stays one module on
purpose: the aggregate declares its 21 events as nested classes (about 360 lines), each with
the ``apply`` that is its state change and the transcript line it shows, and its twelve commands
decide which of them to trigger. The events are stored contracts and read best next to the
commands that trigger them; splitting the events into another module would separate each
rule from the state change it makes, and eventsourcing names a stored event by its topic
(``module:Conversation.Event``), so moving them would also need a topic mapping for every
stored log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from helpline.domain.ids import conversation_id_for, derived_id
from helpline.domain.message_types import (
    NO_REPLY_TYPES,
    UNREADABLE_REPLY,
    is_readable,
    media_problem_reply,
)
from helpline.domain.transcript import turn
from helpline.domain.upcasting import field_added

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

#: Why a ticket is requested for an AI answer that came after the window closed.
LATE_AI_ANSWER = ("The customer's 24-hour window closed before the AI answered; only a "
                  "template can reach them now, so a person should follow up.")

JSON = dict[str, Any]


def _remember(items: list[str], item: str, limit: int = RECENT_IDS) -> None:
    items.append(item)
    del items[:-limit]


class Conversation(Aggregate):
    """A customer's conversation: who answers next, on which channel, and what is pending."""

    profile_name: str | None = None
    """The customer's WhatsApp profile name, once one was seen (a class default, so that
    snapshots taken before it existed load)."""
    recent_activities: Sequence[str] = ()
    """The ids of the recent Ticket Activity messages logged (a class default, as above;
    never changed in place)."""

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

    class Event(Aggregate.Event):
        """A Conversation event; those that are transcript lines override ``turn``."""

        def turn(self) -> JSON | None:
            """The line this event adds to the transcript (``None``: none)."""
            return None

    class CustomerInfoUpdated(Event):
        """The gateway's registry entry for the customer changed (or appeared)."""

        customer: JSON | None

        def apply(self, agg: Conversation) -> None:
            agg.customer = self.customer

    class ProfileNameChanged(Event):
        """The customer's WhatsApp profile name (``contacts[].profile.name``) is new or
        changed; shown where the customer registry has no entry."""

        profile_name: str

        def apply(self, agg: Conversation) -> None:
            agg.profile_name = self.profile_name

    class ActiveChannelChanged(Event):
        """Replies now go out on another channel (e.g. another business number)."""

        channel: JSON

        def apply(self, agg: Conversation) -> None:
            agg.channel = self.channel

    class CustomerMessageReceived(Event):
        """The customer wrote; ``wamid`` is WhatsApp's id of the message."""

        wamid: str
        message_type: str
        text: str
        sent_at: str
        cause_id: str | None

        def apply(self, agg: Conversation) -> None:
            _remember(agg.recent_wamids, self.wamid)
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

    class AIAnswerRequested(_Request):
        """ms-rag is asked to answer the message ``in_reply_to``."""

        request_id: str
        in_reply_to: str
        question: str
        history: list[JSON]

        def apply(self, agg: Conversation) -> None:
            agg.pending[self.in_reply_to] = {"state": "ai", "text": self.question}

    class AgentAnswerRequested(_Request):
        """The message ``in_reply_to`` is forwarded to the agent who holds the ticket."""

        request_id: str
        ticket_id: str
        in_reply_to: str
        text: str

        def apply(self, agg: Conversation) -> None:
            agg.pending[self.in_reply_to] = {"state": "agent", "text": self.text}

    class AIAnswerReceived(Event):
        """ms-rag answered; ``open_ticket`` asks for a human."""

        answer_id: str
        in_reply_to: str
        text: str
        open_ticket: bool
        reason: str | None
        confidence: float
        sources: list[str]

        def apply(self, agg: Conversation) -> None:
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

        def apply(self, agg: Conversation) -> None:
            agg.ticket = {"ticket_id": self.ticket_id, "status": "requested",
                          "agent_id": None, "agent_name": None, "opened": False,
                          "assignments": []}
            agg.tickets_requested += 1

    class TicketOpened(Event):
        """ms-agents reported the ticket opened (logged in the conversation)."""

        ticket_id: str

        def apply(self, agg: Conversation) -> None:
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

        def apply(self, agg: Conversation) -> None:
            ticket = agg.current_ticket(self.ticket_id)
            if ticket is not None:
                ticket.update(status="assigned", agent_id=self.agent_id,
                              agent_name=self.agent_name)
                _remember(ticket["assignments"],
                          _assignment_key(self.agent_id, self.assignment_id), RECENT_TICKETS)
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

        def apply(self, agg: Conversation) -> None:
            _remember(agg.recent_answers, self.answer_id)
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

        def apply(self, agg: Conversation) -> None:
            _remember(agg.closed_tickets, self.ticket_id, RECENT_TICKETS)
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

        def apply(self, agg: Conversation) -> None:
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

        def apply(self, agg: Conversation) -> None:
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

        def apply(self, agg: Conversation) -> None:
            agg.unsettled[self.reply_id] = self.author
            while len(agg.unsettled) > MAX_UNSETTLED:
                del agg.unsettled[next(iter(agg.unsettled))]

    class ReplyDispatched(_Dispatched):
        """A reply (AI, agent or system) was commanded on the active channel."""

        reply_to_wamid: str | None
        customer_last_message_at: str | None
        attachment: JSON | None = None
        """An agent's image or document sent with the text (added later: older events have
        none)."""

        def apply(self, agg: Conversation) -> None:
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

        def apply(self, agg: Conversation) -> None:
            agg.settle(self.reply_id)
            for wamid in self.wamids:
                agg.set_status(wamid, agg.outbound_status.get(wamid, "sent"))

    class ReplyFailed(Event):
        """ms-whatsapp could not send the reply."""

        reply_id: str
        code: int | None
        reason: str

        def apply(self, agg: Conversation) -> None:
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

        def apply(self, agg: Conversation) -> None:
            agg.set_status(self.wamid, self.status)

    class TemplateAnswerReceived(_AgentAnswer):
        """A human agent answered with an approved template (``template`` is
        ``{name, language, components}``, ``text`` it rendered)."""

        template: JSON

    class TemplateDispatched(_Dispatched):
        """A template message was commanded on the active channel."""

        template: JSON

    def __init__(self, phone: str, channel: JSON, customer: JSON | None,
                 generation: str | None) -> None:
        self.phone = phone
        self.generation = generation
        """The event store's generation when the conversation started (``None`` for
        conversations started before generations existed)."""
        self.channel = channel
        self.customer = customer
        self.recent_turns: list[JSON] = []
        self.pending: dict[str, JSON] = {}
        """Customer messages waiting for an answer: wamid → {state: ai | agent, text}."""
        self.recent_wamids: list[str] = []
        self.recent_answers: list[str] = []
        self.unsettled: dict[str, str] = {}
        """Replies commanded and not yet reported sent or failed: reply id → author."""
        self.outbound_status: dict[str, str] = {}
        self.ticket: JSON | None = None
        self.closed_tickets: list[str] = []
        self.tickets_requested = 0
        self.last_customer_message_at: str | None = None
        self.last_customer_wamid: str | None = None

    # -- state changes shared by several events (called from ``apply`` only) ----------------

    def add_turn(self, event: Event) -> None:
        """Keep the event's line among the recent turns."""
        line = event.turn()
        if line is not None:
            self.recent_turns.append(line)
            del self.recent_turns[:-HISTORY_TURNS]

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

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def start(
        cls, *, phone: str, channel: JSON, customer: JSON | None, at: datetime,
        generation: str | None = None,
    ) -> Conversation:
        """Start the conversation of ``phone`` (its id is derived from the phone).
        ``generation`` identifies the event store (see ``derive``)."""
        return cls._create(
            cls.Started,
            id=conversation_id_for(phone),
            timestamp=at,
            phone=phone,
            channel=channel,
            customer=customer,
            generation=generation,
        )

    def derive(self, *parts: object) -> UUID:
        """An id derived from this conversation and ``parts``: the same for every retry and
        replay, and different in another store generation (a rebuilt store, another
        deployment on the same database or NATS), whose ids must not meet these in a send
        ledger, a desk or JetStream's duplicate window."""
        if self.generation is None:  # started before generations: the ids it always had
            return derived_id(self.id, *parts)
        return derived_id(self.id, self.generation, *parts)

    # -- queries ----------------------------------------------------------------------------

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
        media_problem: str | None = None,
        profile_name: str | None = None,
    ) -> bool:
        """Record a customer message (and the sender's WhatsApp ``profile_name`` when it is
        new) and ask for its answer: the agent's when a ticket is
        open, else the AI's; a message the AI cannot read (audio, a sticker, an unsupported
        type) gets a clear system reply instead, and reactions and system notices need none.
        Media ms-whatsapp could not keep (``media_problem``: too large, a type we do not
        open, gone, damaged) gets a plain-words reply saying so, ticket or not.
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
        if latest and profile_name and profile_name != self.profile_name:
            self.trigger_event(self.ProfileNameChanged, timestamp=at, profile_name=profile_name)
        self.trigger_event(
            self.CustomerMessageReceived, timestamp=at, wamid=wamid, message_type=message_type,
            text=text, sent_at=sent_at.isoformat(), cause_id=cause_id,
        )
        if message_type in NO_REPLY_TYPES:
            return True
        if media_problem is not None:
            reply = media_problem_reply(media_problem, (self.customer or {}).get("language"))
            self._dispatch(text=reply, author="system", reply_to=wamid, cause_id=wamid, at=at)
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
                request_id=str(self.derive("agent-request", wamid)),
                ticket_id=self.ticket["ticket_id"], in_reply_to=wamid, text=text,
                customer=self.customer, phone=self.phone, cause_id=cause_id,
            )
        else:
            self._request_ai_answer(wamid, text, at=at, cause_id=cause_id)
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
        and no ticket is open yet, request a ticket. Outside the customer service window
        the AI never sends: its answer is recorded and a ticket requested instead. ``False``
        for a redelivered answer or an answer to a message that is not waiting for the AI
        (answered already)."""
        if self.pending.get(in_reply_to, {}).get("state") != "ai":
            return False
        self.trigger_event(
            self.AIAnswerReceived, timestamp=at, answer_id=answer_id, in_reply_to=in_reply_to,
            text=text, open_ticket=open_ticket, reason=reason, confidence=confidence,
            sources=list(sources),
        )
        if not self.window_open(at):
            # Outside the window WhatsApp takes templates only, and the AI never sends one.
            if self.ticket is None:
                self._request_ticket(LATE_AI_ANSWER, cause_id=answer_id, at=at)
            return True
        self._dispatch(text=text, author="ai", reply_to=in_reply_to, cause_id=answer_id, at=at)
        if open_ticket and self.ticket is None:
            self._request_ticket(reason or "the AI agent asked for a human", cause_id=answer_id,
                                 at=at)
        return True

    def log_ticket_opened(self, *, ticket_id: str, at: datetime) -> bool:
        """Log that ms-agents opened the open ticket. ``False`` if already logged, or for a
        ticket that is not the open one (closed already: a late event)."""
        ticket = self.current_ticket(ticket_id)
        if ticket is None or ticket["opened"]:
            return False
        self.trigger_event(self.TicketOpened, timestamp=at, ticket_id=ticket_id)
        return True

    def log_agent_assigned(
        self, *, ticket_id: str, agent_id: str, agent_name: str, at: datetime,
        assignment_id: str | None = None,
    ) -> bool:
        """Log that an agent holds the open ticket. ``assignment_id`` (the Agent Assigned
        message's id) tells a redelivery from a new assignment. ``False`` if already logged
        or the ticket is not the open one."""
        ticket = self.current_ticket(ticket_id)
        if ticket is None or _assignment_key(agent_id, assignment_id) in ticket["assignments"]:
            return False
        self.trigger_event(self.AgentAssigned, timestamp=at, ticket_id=ticket_id,
                           agent_id=agent_id, agent_name=agent_name,
                           assignment_id=assignment_id)
        return True

    def log_ticket_activity(self, *, activity_id: str, ticket_id: str, text: str,
                            at: datetime) -> bool:
        """Show what was done on a ticket as a line of the conversation. ``False`` for a
        recently logged ``activity_id`` (older redeliveries are caught by the application's
        receipts)."""
        if activity_id in self.recent_activities:
            return False
        self.trigger_event(self.TicketActivityLogged, timestamp=at, activity_id=activity_id,
                           ticket_id=ticket_id, text=text)
        return True

    def receive_agent_answer(
        self, *, answer_id: str, ticket_id: str, agent_id: str, agent_name: str, text: str,
        at: datetime, attachment: JSON | None = None, signed: bool = False,
    ) -> bool:
        """Record a human agent's answer and reply on the active channel, exactly like an AI
        answer; ``signed``: the reply starts with the agent's name as WhatsApp shows it
        (:func:`signed_text`; the transcript keeps the plain text). ``False`` for a recently
        recorded answer (older redeliveries are caught by the application's receipts)."""
        if self.knows_answer(answer_id):
            return False
        reply_to = self.last_customer_wamid
        self.trigger_event(self.AgentAnswerReceived, timestamp=at, answer_id=answer_id,
                           ticket_id=ticket_id, agent_id=agent_id, agent_name=agent_name,
                           text=text, **({"attachment": attachment} if attachment else {}))
        sent = signed_text(agent_name, text) if signed else text
        self._dispatch(text=sent, author="agent", reply_to=reply_to, cause_id=answer_id, at=at,
                       attachment=attachment)
        return True

    def receive_template_answer(
        self, *, answer_id: str, ticket_id: str, agent_id: str, agent_name: str,
        template: JSON, text: str, at: datetime,
    ) -> bool:
        """Record a human agent's template answer and send the template on the active
        channel (allowed whether or not the window is open). ``False`` for a recently
        recorded answer."""
        if self.knows_answer(answer_id):
            return False
        self.trigger_event(self.TemplateAnswerReceived, timestamp=at, answer_id=answer_id,
                           ticket_id=ticket_id, agent_id=agent_id, agent_name=agent_name,
                           template=template, text=text)
        self.trigger_event(
            self.TemplateDispatched, timestamp=at,
            reply_id=str(self.derive("reply", answer_id)), template=template, text=text,
            author="agent", channel=self.channel, cause_id=answer_id)
        return True

    def close_ticket(
        self, *, ticket_id: str, resolution: str, agent_id: str | None, at: datetime
    ) -> bool:
        """Log that the ticket was closed; the AI answers the next message. ``False`` if
        already closed."""
        if ticket_id in self.closed_tickets:
            return False
        waiting = [(w, p["text"]) for w, p in self.pending.items() if p["state"] == "agent"]
        self.trigger_event(self.TicketClosed, timestamp=at, ticket_id=ticket_id,
                           resolution=resolution, agent_id=agent_id)
        if self.ticket is None:
            # Messages forwarded to the agent and left unanswered (e.g. written while the
            # ticket was being closed) go to the AI now, so none is left without an answer.
            for wamid, text in waiting:
                self._request_ai_answer(wamid, text, at=at, cause_id=None)
        return True

    def reopen_ticket(
        self, *, ticket_id: str, agent_id: str | None, agent_name: str | None, at: datetime
    ) -> bool:
        """Log that ms-agents reopened ``ticket_id``: it is the open ticket again, so the
        customer's next messages go to the agent, not the AI. ms-agents keeps at most one
        ticket of a conversation open, so the reopened one replaces a ticket still only
        requested here (ms-agents refuses to open that one). ``False`` if it is open
        already."""
        if self.current_ticket(ticket_id) is not None:
            return False
        self.trigger_event(self.TicketReopened, timestamp=at, ticket_id=ticket_id,
                           agent_id=agent_id, agent_name=agent_name)
        return True

    def record_reply_sent(self, *, reply_id: str, wamids: list[str], at: datetime) -> bool:
        """Record that ms-whatsapp sent a reply. ``False`` unless the reply is unsettled."""
        if reply_id not in self.unsettled:
            return False
        self.trigger_event(self.ReplySent, timestamp=at, reply_id=reply_id, wamids=wamids)
        return True

    def record_reply_failed(
        self, *, reply_id: str, code: int | None, reason: str, at: datetime
    ) -> bool:
        """Record that a reply could not be sent. A reply of the AI (or a system reply) that
        never reached the customer, who is waiting, requests a ticket, so a person follows
        up; an agent's failed reply shows in the agent's ticket. ``False`` unless the reply
        is unsettled."""
        author = self.unsettled.get(reply_id)
        if author is None:
            return False
        self.trigger_event(self.ReplyFailed, timestamp=at, reply_id=reply_id, code=code,
                           reason=reason)
        if author != "agent" and self.ticket is None:
            self._request_ticket(f"A reply could not be delivered ({reason}); someone should "
                                 "follow up with the customer.", cause_id=reply_id, at=at)
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

    def _request_ai_answer(
        self, wamid: str, question: str, *, at: datetime, cause_id: str | None
    ) -> None:
        self.trigger_event(
            self.AIAnswerRequested, timestamp=at,
            request_id=str(self.derive("ai-request", wamid)),
            in_reply_to=wamid, question=question, history=list(self.recent_turns),
            customer=self.customer, phone=self.phone, cause_id=cause_id,
        )

    def _request_ticket(self, reason: str, *, cause_id: str, at: datetime) -> None:
        self.trigger_event(
            self.TicketRequested, timestamp=at,
            ticket_id=str(self.derive("ticket", self.tickets_requested + 1)), reason=reason,
            customer=self.customer, language=(self.customer or {}).get("language"),
            phone=self.phone, cause_id=cause_id,
        )

    def _dispatch(
        self, *, text: str, author: str, reply_to: str | None, cause_id: str, at: datetime,
        attachment: JSON | None = None,
    ) -> None:
        self.trigger_event(
            self.ReplyDispatched, timestamp=at,
            reply_id=str(self.derive("reply", cause_id)), text=text, author=author,
            channel=self.channel, reply_to_wamid=reply_to,
            customer_last_message_at=self.last_customer_message_at, cause_id=cause_id,
            **({"attachment": attachment} if attachment else {}),
        )


#: Delivery statuses in the order they can happen; a status never goes back.
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4, "deleted": 5}


def signed_text(agent_name: str, text: str) -> str:
    """``text`` under the agent's name as WhatsApp renders it: ``*Name*:`` (bold) on its own
    line, then the text. An agent without a name leaves the text as it is."""
    name = " ".join(agent_name.replace("*", "").split())
    return f"*{name}*:\n{text}" if name else text


def _assignment_key(agent_id: str, assignment_id: str | None) -> str:
    return assignment_id if assignment_id is not None else f"agent:{agent_id}"


__all__ = ["CUSTOMER_SERVICE_WINDOW", "HISTORY_TURNS", "UNREADABLE_REPLY", "Conversation",
           "is_readable", "signed_text"]
