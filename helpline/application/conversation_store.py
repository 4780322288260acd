"""ConversationStore: the application behind ms-conv-store.

Each handler is registered for the catalog message it handles (``@decides``): it loads the
conversation through the unit of work and calls one command; saving, retries and the
messages caused happen around it (``HelplineApplication``). Called with the message alone,
``store.<handler>(msg)`` handles it and returns the messages it caused (the same messages
the outbox relay publishes from the stored events). A redelivered message stores and returns
nothing new.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from helpline.application.base import HelplineApplication
from helpline.application.emit import Outbox, emits
from helpline.application.errors import UnknownConversationError
from helpline.application.handlers import caused_by, decides
from helpline.application.unit_of_work import UnitOfWork
from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    AgentTemplateAnswerGenerated,
    AIAgentAnswerGenerated,
    CatalogMessage,
    Channel,
    ConversationDocument,
    CustomerInfo,
    GenerateAgentAnswer,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    OpenTicket,
    SendWhatsAppBusinessTemplateMessage,
    SendWhatsAppBusinessTextMessage,
    TemplateChoice,
    TicketActivity,
    TicketClosed,
    TicketOpened,
    TicketReopened,
    TicketSummary,
    Turn,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.domain.conversation import Conversation
from helpline.domain.ids import conversation_id_for
from helpline.domain.transcript import JSON, turn_for

#: The most turns one Conversation Document carries (a page; earlier pages on request).
DOCUMENT_TURNS = 100
#: The most bytes of turn text one Conversation Document carries (NATS's default max payload
#: is 1 MiB; a page stays well under it whatever the customers wrote).
DOCUMENT_TEXT_BYTES = 256 * 1024
#: How many stored events are read at a time when paging back through a conversation.
_READ_PAGE = 200


class ConversationStore(HelplineApplication):
    """ms-conv-store: conversations, their active channel, and who answers next."""

    name = "ConversationStore"
    #: Conversations are bounded, but a long one has many events: load from a snapshot.
    snapshotting_intervals = {Conversation: 50}
    #: The business phone number ids whose agent replies start with the agent's name
    #: (``"*"``: every number); set from ``HELPLINE_AGENT_NAME_NUMBERS`` by the bootstrap.
    signed_numbers: frozenset[str] = frozenset()

    def signs_for(self, phone_number_id: str) -> bool:
        """Whether agent replies sent from ``phone_number_id`` carry the agent's name."""
        return "*" in self.signed_numbers or phone_number_id in self.signed_numbers

    def conversation(self, conversation_id: UUID | str) -> Conversation:
        """The conversation ``conversation_id`` (raises ``UnknownConversationError``)."""
        conv = self.find(conversation_id, Conversation)
        if conv is None:
            raise UnknownConversationError(f"no conversation {conversation_id}")
        return conv

    def conversation_for_phone(self, phone: str) -> Conversation | None:
        """The WhatsApp conversation of ``phone``, if it exists."""
        return self.find(conversation_id_for(phone), Conversation)

    # -- ms-gateway → ms-conv-store -----------------------------------------------------------

    @decides(WhatsAppBusinessTextMessageWithUserInfoReceived)
    def whatsapp_business_text_message_with_user_info_received(
        self, msg: WhatsAppBusinessTextMessageWithUserInfoReceived, uow: UnitOfWork
    ) -> None:
        """Append the message (creating the conversation), update the active channel, and ask
        the AI — or the agent, when a ticket is open — for an answer."""
        conv = uow.get(conversation_id_for(msg.sender_phone), Conversation)
        if conv is not None and conv.knows_message(msg.wamid):
            return
        if not uow.first_time(f"wamid:{msg.wamid}"):
            return
        channel = Channel(phone_number_id=msg.phone_number_id,
                          customer_phone=msg.sender_phone).model_dump()
        customer = msg.customer.model_dump(mode="json") if msg.customer else None
        at = self.clock()
        if conv is None:
            conv = uow.add(Conversation.start(phone=msg.sender_phone, channel=channel,
                                              customer=customer, at=at,
                                              generation=self.generation))
        conv.receive_customer_message(
            wamid=msg.wamid, text=msg.text, message_type=msg.message_type, sent_at=msg.sent_at,
            channel=channel, customer=customer, at=at, cause_id=str(msg.message_id),
            media_problem=msg.media.problem if msg.media else None,
            profile_name=msg.profile_name)

    # -- ms-rag → ms-conv-store ---------------------------------------------------------------

    @decides(AIAgentAnswerGenerated)
    def ai_agent_answer_generated(self, msg: AIAgentAnswerGenerated, uow: UnitOfWork) -> None:
        """Record the AI's answer and send it; request a ticket when ``open_ticket``."""
        self._load(uow, msg.conversation_id).receive_ai_answer(
            answer_id=str(msg.message_id), in_reply_to=msg.in_reply_to, text=msg.text,
            open_ticket=msg.open_ticket, reason=msg.reason, confidence=msg.confidence,
            sources=list(msg.sources), at=self.clock())

    # -- ms-agents → ms-conv-store ------------------------------------------------------------

    @decides(TicketOpened)
    def ticket_opened(self, msg: TicketOpened, uow: UnitOfWork) -> None:
        """Log the ticket in the conversation."""
        self._load(uow, msg.conversation_id).log_ticket_opened(ticket_id=msg.ticket_id,
                                                               at=self.clock())

    @decides(AgentAssigned)
    def agent_assigned(self, msg: AgentAssigned, uow: UnitOfWork) -> None:
        """Log the agent assignment in the conversation."""
        self._load(uow, msg.conversation_id).log_agent_assigned(
            ticket_id=msg.ticket_id, agent_id=msg.agent_id, agent_name=msg.agent_name,
            at=self.clock(), assignment_id=str(msg.message_id))

    @decides(AgentAnswerGenerated)
    def agent_answer_generated(self, msg: AgentAnswerGenerated, uow: UnitOfWork) -> None:
        """Record the agent's answer and send it on the active channel."""
        conv = self._new_agent_answer(uow, msg)
        if conv is None:
            return
        conv.receive_agent_answer(
            answer_id=str(msg.message_id), ticket_id=msg.ticket_id, agent_id=msg.agent_id,
            agent_name=msg.agent_name, text=msg.text, at=self.clock(),
            attachment=msg.attachment.model_dump() if msg.attachment else None,
            signed=self.signs_for(str(conv.channel.get("phone_number_id", ""))))

    @decides(AgentTemplateAnswerGenerated)
    def agent_template_answer_generated(self, msg: AgentTemplateAnswerGenerated,
                                        uow: UnitOfWork) -> None:
        """Record the agent's template answer and send the template on the active channel
        (once per answer: the agent answers' receipts)."""
        conv = self._new_agent_answer(uow, msg)
        if conv is None:
            return
        conv.receive_template_answer(
            answer_id=str(msg.message_id), ticket_id=msg.ticket_id, agent_id=msg.agent_id,
            agent_name=msg.agent_name, template=msg.template.model_dump(mode="json"),
            text=msg.text, at=self.clock())

    @decides(TicketClosed)
    def ticket_closed(self, msg: TicketClosed, uow: UnitOfWork) -> None:
        """Log the closing; the AI answers the next customer message. A ticket can be
        reopened and closed again, so each closing leaves a receipt: a late redelivery
        never closes the reopened ticket."""
        conv = self._load(uow, msg.conversation_id)
        if msg.ticket_id in conv.closed_tickets:
            return
        if not uow.first_time(f"ticket-closed:{msg.message_id}"):
            return
        conv.close_ticket(
            ticket_id=msg.ticket_id, resolution=msg.resolution, agent_id=msg.agent_id,
            at=self.clock())

    @decides(TicketReopened)
    def ticket_reopened(self, msg: TicketReopened, uow: UnitOfWork) -> None:
        """Log the reopening; the agent answers the next customer message again. Once per
        message (a receipt), so a late redelivery never reopens a ticket closed since."""
        conv = self._load(uow, msg.conversation_id)
        if conv.current_ticket(msg.ticket_id) is not None:
            return
        if not uow.first_time(f"ticket-reopened:{msg.message_id}"):
            return
        conv.reopen_ticket(ticket_id=msg.ticket_id, agent_id=msg.agent_id,
                           agent_name=msg.agent_name, at=self.clock())

    @decides(TicketActivity)
    def ticket_activity(self, msg: TicketActivity, uow: UnitOfWork) -> None:
        """Show any Ticket Activity message as its line of the conversation, once per
        message (older redeliveries than the conversation remembers: by a receipt)."""
        conv, key = self._load(uow, msg.conversation_id), str(msg.message_id)
        if key in conv.recent_activities or not uow.first_time(f"ticket-activity:{key}"):
            return
        conv.log_ticket_activity(activity_id=key, ticket_id=msg.ticket_id,
                                 text=msg.transcript_line(), at=self.clock())

    # -- ms-whatsapp → ms-conv-store ----------------------------------------------------------

    @decides(WhatsAppBusinessTextMessageSent)
    def whatsapp_business_text_message_sent(
        self, msg: WhatsAppBusinessTextMessageSent, uow: UnitOfWork
    ) -> None:
        """Record Meta's ids for a reply we sent."""
        self._load(uow, msg.conversation_id).record_reply_sent(
            reply_id=str(msg.send_message_id), wamids=list(msg.wamids), at=self.clock())

    @decides(WhatsAppBusinessTextMessageSendFailed)
    def whatsapp_business_text_message_send_failed(
        self, msg: WhatsAppBusinessTextMessageSendFailed, uow: UnitOfWork
    ) -> None:
        """Record that a reply could not be delivered."""
        self._load(uow, msg.conversation_id).record_reply_failed(
            reply_id=str(msg.send_message_id), code=msg.code, reason=msg.reason,
            at=self.clock())

    @decides(WhatsAppBusinessTextMessageStatusUpdated)
    def whatsapp_business_text_message_status_updated(
        self, msg: WhatsAppBusinessTextMessageStatusUpdated, uow: UnitOfWork
    ) -> None:
        """Record a delivery status; never causes a send."""
        self._load(uow, msg.conversation_id).record_status(
            wamid=msg.wamid, status=msg.status, errors=[dict(e) for e in msg.errors],
            at=self.clock())

    # -- what the stored events publish (translations, not methods: see application.emit) ---

    @emits(Conversation.AIAnswerRequested)
    def _ai_answer_requested(e: Conversation.AIAnswerRequested,
                             out: Outbox) -> list[CatalogMessage]:
        return [GenerateAIAgentAnswerWithUserInfo(
            **_about_conversation(out), in_reply_to=e.in_reply_to, question=e.question,
            phone=e.phone, customer=e.customer, history=e.history)]

    @emits(Conversation.AgentAnswerRequested)
    def _agent_answer_requested(e: Conversation.AgentAnswerRequested,
                                out: Outbox) -> list[CatalogMessage]:
        return [GenerateAgentAnswer(
            **_about_conversation(out), ticket_id=e.ticket_id, in_reply_to=e.in_reply_to,
            text=e.text, phone=e.phone, customer=e.customer)]

    @emits(Conversation.TicketRequested)
    def _ticket_requested(e: Conversation.TicketRequested, out: Outbox) -> list[CatalogMessage]:
        return [OpenTicket(
            **_about_conversation(out), ticket_id=e.ticket_id, phone=e.phone,
            customer=e.customer, reason=e.reason, language=e.language)]

    @emits(Conversation.ReplyDispatched)
    def _reply_dispatched(e: Conversation.ReplyDispatched, out: Outbox) -> list[CatalogMessage]:
        # The reply's own id, so that ms-whatsapp's Sent/SendFailed name the reply.
        envelope = {**_about_conversation(out), "message_id": UUID(e.reply_id)}
        return [SendWhatsAppBusinessTextMessage(
            **envelope, channel=e.channel, text=e.text, author=e.author,
            reply_to_wamid=e.reply_to_wamid, customer_last_message_at=e.customer_last_message_at,
            attachment=e.attachment)]

    @emits(Conversation.TemplateDispatched)
    def _template_dispatched(e: Conversation.TemplateDispatched,
                             out: Outbox) -> list[CatalogMessage]:
        envelope = {**_about_conversation(out), "message_id": UUID(e.reply_id)}
        return [SendWhatsAppBusinessTemplateMessage(
            **envelope, channel=e.channel, template=TemplateChoice.model_validate(e.template),
            text=e.text, author=e.author)]

    # -- queries ------------------------------------------------------------------------------

    def get_conversation(self, query: GetConversation) -> ConversationDocument:
        """Answer *Get Conversation* with the *Conversation Document*: the conversation's
        state and a page of its latest turns, read from the stored events (the aggregate
        keeps none of its history)."""
        envelope = caused_by(query, "conversation-document", self.clock())
        conv = self.find(query.conversation_id, Conversation)
        if conv is None:
            return ConversationDocument(**envelope, conversation_id=query.conversation_id,
                                        found=False)
        turns, earlier = self._page(conv.id, query.before_version)
        ticket = conv.ticket
        return ConversationDocument(
            **envelope,
            conversation_id=str(conv.id),
            phone=conv.phone,
            customer=CustomerInfo.model_validate(conv.customer) if conv.customer else None,
            active_channel=Channel.model_validate(conv.channel),
            ticket=TicketSummary(**{k: ticket[k] for k in TicketSummary.model_fields})
            if ticket else None,
            turns=tuple(Turn.model_validate(t) for t in turns),
            version=conv.version,
            earlier_before_version=earlier,
        )

    def transcript(self, conversation_id: UUID | str) -> list[Turn]:
        """The whole transcript, oldest first, read from the stored events (for tools and
        tests; agents read the projections)."""
        lines = reversed(list(self._lines(UUID(str(conversation_id)), None)))
        return [Turn.model_validate(line) for _, line in lines]

    # -- upgrades -----------------------------------------------------------------------------

    def migrate(self) -> int:
        """Give the messages recorded by versions older than the receipts (before
        2026-11-26, when a Conversation kept every wamid in its state) their receipts, so a
        late redelivery of one stays harmless. Runs once per store (a tracking record says
        it ran); returns how many receipts it wrote."""
        tracking = self.factory.tracking_recorder()
        if tracking.max_tracking_id(RECEIPTS_MIGRATION) is not None:
            return 0
        end = self.recorder.max_notification_id() or 0
        topics = [get_topic(Conversation.CustomerMessageReceived),
                  get_topic(Conversation.AgentAnswerReceived)]
        written, position = 0, 0
        while position < end:
            notifications = self.recorder.select_notifications(
                position, 500, stop=end, topics=topics, inclusive_of_start=False)
            if not notifications:
                break
            keys = [_receipt_key(self.mapper.to_domain_event(n)) for n in notifications]
            new: list[str] = []
            self.run(_record_receipts, keys, new)
            written += len(new)
            position = notifications[-1].id
        tracking.insert_tracking(Tracking(RECEIPTS_MIGRATION, end))
        return written

    # -- helpers ------------------------------------------------------------------------------

    def _new_agent_answer(self, uow: UnitOfWork,
                          msg: AgentAnswerGenerated | AgentTemplateAnswerGenerated,
                          ) -> Conversation | None:
        """The answer's conversation, or ``None`` when this answer was recorded already (a
        recent one by the conversation, an older one by its receipt, saved with the uow)."""
        conv = self._load(uow, msg.conversation_id)
        if conv.knows_answer(str(msg.message_id)):
            return None
        if not uow.first_time(f"agent-answer:{msg.message_id}"):
            return None
        return conv

    def _load(self, uow: UnitOfWork, conversation_id: str) -> Conversation:
        conv = uow.get(conversation_id, Conversation)
        if conv is None:
            raise UnknownConversationError(f"no conversation {conversation_id}")
        return conv

    def _lines(self, conversation_id: UUID, before: int | None) -> Iterator[tuple[int, JSON]]:
        """(version, transcript line) of the stored events, newest first."""
        lte = None if before is None else before - 1
        while lte is None or lte > 0:
            events = list(self.events.get(conversation_id, lte=lte, desc=True,
                                          limit=_READ_PAGE))
            for event in events:
                line = turn_for(event)
                if line is not None:
                    yield event.originator_version, line
            if len(events) < _READ_PAGE:
                return
            lte = events[-1].originator_version - 1

    def _page(self, conversation_id: UUID, before: int | None) -> tuple[list[JSON], int | None]:
        """The latest turns before ``before`` that fit a document, oldest first, and the
        version to ask with for the earlier ones (``None`` if there are none)."""
        page: list[JSON] = []
        size = 0
        for version, line in self._lines(conversation_id, before):
            size += len(line["text"].encode())
            if len(page) == DOCUMENT_TURNS or (page and size > DOCUMENT_TEXT_BYTES):
                return page[::-1], version + 1
            page.append(line)
        return page[::-1], None


def _about_conversation(out: Outbox) -> dict[str, Any]:
    """The envelope and ``conversation_id`` of a message a Conversation event publishes."""
    e = out.event
    return {**out.envelope(e.originator_id, e.cause_id), "conversation_id": str(e.originator_id)}


#: The tracking name that records that ``ConversationStore.migrate`` ran.
RECEIPTS_MIGRATION = "receipts-migration"


def _receipt_key(event: object) -> str:
    if isinstance(event, Conversation.CustomerMessageReceived):
        return f"wamid:{event.wamid}"
    assert isinstance(event, Conversation.AgentAnswerReceived)
    return f"agent-answer:{event.answer_id}"


def _record_receipts(uow: UnitOfWork, keys: list[str], new: list[str]) -> None:
    new.clear()  # a retry starts again
    new.extend(key for key in keys if uow.first_time(key))
