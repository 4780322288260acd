"""The Conversation aggregate (ms-conv-store): one customer's conversation on a channel.

Every command method is pure: facts, ids and times come in as arguments; the method checks
its rules and then triggers events whose ``apply`` is the only place state changes, so that
deciding and replaying run the same code. Commands return ``False`` when they are a
redelivery of something already recorded (idempotency), and change nothing then.

The aggregate is three modules: what it knows and the state changes its events share
(:mod:`helpline.domain.conversation_state`, with the bounds that keep it small), its stored
events (:mod:`helpline.domain.conversation_events`, each with its ``apply`` and transcript
line) and, here, the class eventsourcing stores it as (``helpline.domain.conversation:
Conversation``): it declares the events, under the topics they have always had, and its
twelve commands decide which of them to trigger.
"""

from __future__ import annotations

from datetime import datetime

from helpline.domain import conversation_events as events
from helpline.domain.conversation_state import (
    CUSTOMER_SERVICE_WINDOW,
    HISTORY_TURNS,
    JSON,
    MAX_UNSETTLED,
    RECENT_IDS,
    RECENT_TICKETS,
    ConversationState,
    assignment_key,
)
from helpline.domain.ids import conversation_id_for
from helpline.domain.message_types import (
    NO_REPLY_TYPES,
    UNREADABLE_REPLY,
    is_readable,
    media_problem_reply,
)

#: Why a ticket is requested for an AI answer that came after the window closed.
LATE_AI_ANSWER = ("The customer's 24-hour window closed before the AI answered; only a "
                  "template can reach them now, so a person should follow up.")


class Conversation(ConversationState):
    """A customer's conversation: who answers next, on which channel, and what is pending
    (the state is :class:`ConversationState`'s; the commands that change it are here)."""

    # The stored events: each is the class of the same name in conversation_events (its
    # fields and apply), declared here so that it is stored, as it always was, under the
    # topic helpline.domain.conversation:Conversation.<Name>.
    class Started(events.Started): ...
    class CustomerInfoUpdated(events.CustomerInfoUpdated): ...
    class ProfileNameChanged(events.ProfileNameChanged): ...
    class ActiveChannelChanged(events.ActiveChannelChanged): ...
    class CustomerMessageReceived(events.CustomerMessageReceived): ...
    class AIAnswerRequested(events.AIAnswerRequested): ...
    class AgentAnswerRequested(events.AgentAnswerRequested): ...
    class AIAnswerReceived(events.AIAnswerReceived): ...
    class TicketRequested(events.TicketRequested): ...
    class TicketOpened(events.TicketOpened): ...
    class AgentAssigned(events.AgentAssigned): ...
    class AgentAnswerReceived(events.AgentAnswerReceived): ...
    class TicketClosed(events.TicketClosed): ...
    class TicketReopened(events.TicketReopened): ...
    class TicketActivityLogged(events.TicketActivityLogged): ...
    class ReplyDispatched(events.ReplyDispatched): ...
    class ReplySent(events.ReplySent): ...
    class ReplyFailed(events.ReplyFailed): ...
    class ReplyStatusUpdated(events.ReplyStatusUpdated): ...
    class TemplateAnswerReceived(events.TemplateAnswerReceived): ...
    class TemplateDispatched(events.TemplateDispatched): ...

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
        if ticket is None or assignment_key(agent_id, assignment_id) in ticket["assignments"]:
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


__all__ = ["CUSTOMER_SERVICE_WINDOW", "HISTORY_TURNS", "LATE_AI_ANSWER", "MAX_UNSETTLED",
           "RECENT_IDS", "RECENT_TICKETS", "UNREADABLE_REPLY", "Conversation", "is_readable",
           "signed_text"]
