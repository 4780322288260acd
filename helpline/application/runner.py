"""The five services wired with plain function calls (no NATS): tests and ``helpline demo``."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from helpline.application.agent_desk import AgentDesk
from helpline.application.ai_agent import AIAgent
from helpline.application.conversation_store import ConversationStore
from helpline.application.customer_gateway import CustomerGateway
from helpline.application.whatsapp_edge import WhatsAppEdge
from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    AIAgentAnswerGenerated,
    CatalogMessage,
    ConversationDocument,
    GenerateAgentAnswer,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    OpenTicket,
    SendWhatsAppBusinessTextMessage,
    TicketClosed,
    TicketOpened,
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)

Handler = Callable[[Any], Iterable[CatalogMessage]]


@dataclass
class Services:
    """One instance of each of the five services' applications."""

    gateway: CustomerGateway
    store: ConversationStore
    rag: AIAgent
    desk: AgentDesk
    whatsapp: WhatsAppEdge

    def routes(self) -> dict[type[CatalogMessage], Handler]:
        """Which handler consumes each catalog message (the flow's arrows)."""
        return {
            WhatsAppBusinessTextMessageReceived:
                self.gateway.whatsapp_business_text_message_received,
            WhatsAppBusinessTextMessageWithUserInfoReceived:
                self.store.whatsapp_business_text_message_with_user_info_received,
            GenerateAIAgentAnswerWithUserInfo: self.rag.generate_ai_agent_answer_with_user_info,
            AIAgentAnswerGenerated: self.store.ai_agent_answer_generated,
            GenerateAgentAnswer: self.desk.generate_agent_answer,
            OpenTicket: self.desk.open_ticket,
            TicketOpened: self.store.ticket_opened,
            AgentAssigned: self.store.agent_assigned,
            GetConversation: lambda q: [self.store.get_conversation(q)],
            ConversationDocument: self.desk.conversation_document,
            AgentAnswerGenerated: self.store.agent_answer_generated,
            SendWhatsAppBusinessTextMessage: self.whatsapp.send_whatsapp_business_text_message,
            TicketClosed: self.store.ticket_closed,
            WhatsAppBusinessTextMessageSent: self.store.whatsapp_business_text_message_sent,
            WhatsAppBusinessTextMessageStatusUpdated:
                self.store.whatsapp_business_text_message_status_updated,
            WhatsAppBusinessTextMessageSendFailed:
                self.store.whatsapp_business_text_message_send_failed,
        }


@dataclass
class InProcessRunner:
    """Delivers each message to its consumer and the messages that causes, until quiet.

    ``log`` keeps every message delivered, in order: the conversation's catalog trace."""

    services: Services
    log: list[CatalogMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._routes = self.services.routes()

    def publish(self, *messages: CatalogMessage) -> list[CatalogMessage]:
        """Deliver ``messages`` and everything they cause; returns what was delivered."""
        queue = deque(messages)
        delivered: list[CatalogMessage] = []
        while queue:
            msg = queue.popleft()
            delivered.append(msg)
            queue.extend(self._routes[type(msg)](msg))
        self.log.extend(delivered)
        return delivered
