"""ConversationStore: the application behind ms-conv-store.

Each handler is named after the catalog message it handles, takes that message and returns
the catalog messages it causes (the same messages the outbox relay publishes from the stored
events). Every handler is idempotent: a redelivered message stores and returns nothing new.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from helpline.application.base import HelplineApplication
from helpline.application.errors import UnknownConversationError
from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    AIAgentAnswerGenerated,
    CatalogMessage,
    Channel,
    ConversationDocument,
    CustomerInfo,
    GetConversation,
    TicketClosed,
    TicketOpened,
    TicketSummary,
    Turn,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.domain.conversation import Conversation
from helpline.domain.ids import conversation_id_for, derived_id


class ConversationStore(HelplineApplication):
    """ms-conv-store: conversations, their active channel, and who answers next."""

    name = "ConversationStore"

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

    def whatsapp_business_text_message_with_user_info_received(
        self, msg: WhatsAppBusinessTextMessageWithUserInfoReceived
    ) -> list[CatalogMessage]:
        """Append the message (creating the conversation), update the active channel, and ask
        the AI — or the agent, when a ticket is open — for an answer."""
        channel = Channel(phone_number_id=msg.phone_number_id, customer_phone=msg.sender_phone)
        customer = msg.customer.model_dump(mode="json") if msg.customer else None

        def decide() -> list[Any]:
            at = self.clock()
            conv = self.conversation_for_phone(msg.sender_phone)
            if conv is None:
                conv = Conversation.start(phone=msg.sender_phone, channel=channel.model_dump(),
                                          customer=customer, at=at)
            conv.receive_customer_message(
                wamid=msg.wamid, text=msg.text, message_type=msg.message_type,
                sent_at=msg.sent_at, channel=channel.model_dump(), customer=customer, at=at,
                cause_id=str(msg.message_id),
            )
            return [conv]

        return self.decide(decide)

    # -- ms-rag → ms-conv-store ---------------------------------------------------------------

    def ai_agent_answer_generated(self, msg: AIAgentAnswerGenerated) -> list[CatalogMessage]:
        """Record the AI's answer and send it; request a ticket when ``open_ticket``."""

        def decide() -> list[Any]:
            conv = self.conversation(msg.conversation_id)
            conv.receive_ai_answer(
                answer_id=str(msg.message_id), in_reply_to=msg.in_reply_to, text=msg.text,
                open_ticket=msg.open_ticket, reason=msg.reason, confidence=msg.confidence,
                sources=list(msg.sources), at=self.clock(),
            )
            return [conv]

        return self.decide(decide)

    # -- ms-agents → ms-conv-store ------------------------------------------------------------

    def ticket_opened(self, msg: TicketOpened) -> list[CatalogMessage]:
        """Log the ticket in the conversation."""
        return self._on(msg.conversation_id,
                        lambda c: c.log_ticket_opened(ticket_id=msg.ticket_id, at=self.clock()))

    def agent_assigned(self, msg: AgentAssigned) -> list[CatalogMessage]:
        """Log the agent assignment in the conversation."""
        return self._on(msg.conversation_id, lambda c: c.log_agent_assigned(
            ticket_id=msg.ticket_id, agent_id=msg.agent_id, agent_name=msg.agent_name,
            at=self.clock(), assignment_id=str(msg.message_id)))

    def agent_answer_generated(self, msg: AgentAnswerGenerated) -> list[CatalogMessage]:
        """Record the agent's answer and send it on the active channel."""
        return self._on(msg.conversation_id, lambda c: c.receive_agent_answer(
            answer_id=str(msg.message_id), ticket_id=msg.ticket_id, agent_id=msg.agent_id,
            agent_name=msg.agent_name, text=msg.text, at=self.clock()))

    def ticket_closed(self, msg: TicketClosed) -> list[CatalogMessage]:
        """Log the closing; the AI answers the next customer message."""
        return self._on(msg.conversation_id, lambda c: c.close_ticket(
            ticket_id=msg.ticket_id, resolution=msg.resolution, agent_id=msg.agent_id,
            at=self.clock()))

    # -- ms-whatsapp → ms-conv-store ----------------------------------------------------------

    def whatsapp_business_text_message_sent(
        self, msg: WhatsAppBusinessTextMessageSent
    ) -> list[CatalogMessage]:
        """Record Meta's ids for a reply we sent."""
        return self._on(msg.conversation_id, lambda c: c.record_reply_sent(
            reply_id=str(msg.send_message_id), wamids=list(msg.wamids),
            at=self.clock()))

    def whatsapp_business_text_message_send_failed(
        self, msg: WhatsAppBusinessTextMessageSendFailed
    ) -> list[CatalogMessage]:
        """Record that a reply could not be delivered."""
        return self._on(msg.conversation_id, lambda c: c.record_reply_failed(
            reply_id=str(msg.send_message_id), code=msg.code,
            reason=msg.reason, at=self.clock()))

    def whatsapp_business_text_message_status_updated(
        self, msg: WhatsAppBusinessTextMessageStatusUpdated
    ) -> list[CatalogMessage]:
        """Record a delivery status; never causes a send."""
        return self._on(msg.conversation_id, lambda c: c.record_status(
            wamid=msg.wamid, status=msg.status, errors=[dict(e) for e in msg.errors],
            at=self.clock()))

    # -- queries ------------------------------------------------------------------------------

    def get_conversation(self, query: GetConversation) -> ConversationDocument:
        """Answer *Get Conversation* with the *Conversation Document*."""
        envelope = {
            "message_id": derived_id(query.message_id, "conversation-document"),
            "correlation_id": query.correlation_id,
            "causation_id": str(query.message_id),
            "occurred_at": self.clock(),
        }
        conv = self.find(query.conversation_id, Conversation)
        if conv is None:
            return ConversationDocument(**envelope, conversation_id=query.conversation_id,
                                        found=False)
        return ConversationDocument(
            **envelope,
            conversation_id=str(conv.id),
            phone=conv.phone,
            customer=CustomerInfo.model_validate(conv.customer) if conv.customer else None,
            active_channel=Channel.model_validate(conv.channel),
            ticket=TicketSummary.model_validate(conv.ticket) if conv.ticket else None,
            turns=tuple(Turn.model_validate(t) for t in conv.turns),
            version=conv.version,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _on(self, conversation_id: str, command: Any) -> list[CatalogMessage]:
        def decide() -> list[Any]:
            conv = self.conversation(conversation_id)
            command(conv)
            return [conv]

        return self.decide(decide)
