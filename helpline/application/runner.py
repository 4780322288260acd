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


#: What each service consumes (commands and events): each handler is the method of the
#: service's application named after the message (``handler_name``).
SUBSCRIPTIONS: dict[str, tuple[type[CatalogMessage], ...]] = {
    "ms-whatsapp": (SendWhatsAppBusinessTextMessage,),
    "ms-gateway": (WhatsAppBusinessTextMessageReceived,),
    "ms-conv-store": (
        WhatsAppBusinessTextMessageWithUserInfoReceived,
        AIAgentAnswerGenerated,
        TicketOpened,
        AgentAssigned,
        AgentAnswerGenerated,
        TicketClosed,
        WhatsAppBusinessTextMessageSent,
        WhatsAppBusinessTextMessageStatusUpdated,
        WhatsAppBusinessTextMessageSendFailed,
    ),
    "ms-rag": (GenerateAIAgentAnswerWithUserInfo,),
    "ms-agents": (OpenTicket, GenerateAgentAnswer),
}

def handler_name(cls: type[CatalogMessage]) -> str:
    """The application method handling ``cls``: its catalog id in snake case."""
    return cls.catalog_id.replace("-", "_")


#: Services whose state is event-sourced: an outbox relay publishes for them.
EVENT_SOURCED = frozenset({"ms-conv-store", "ms-agents"})


@dataclass
class Services:
    """One instance of each of the five services' applications."""

    gateway: CustomerGateway
    store: ConversationStore
    rag: AIAgent
    desk: AgentDesk
    whatsapp: WhatsAppEdge

    def application(self, service: str) -> Any:
        """The application behind a service of the flow."""
        return {"ms-whatsapp": self.whatsapp, "ms-gateway": self.gateway,
                "ms-conv-store": self.store, "ms-rag": self.rag, "ms-agents": self.desk}[service]

    def routes(self) -> dict[type[CatalogMessage], Handler]:
        """Which handler consumes each catalog message (the flow's arrows): what each service
        subscribes to, plus the Get Conversation query and its reply."""
        routes: dict[type[CatalogMessage], Handler] = {
            cls: getattr(self.application(service), handler_name(cls))
            for service, classes in SUBSCRIPTIONS.items() for cls in classes
        }
        routes[GetConversation] = lambda q: [self.store.get_conversation(q)]
        routes[ConversationDocument] = self.desk.conversation_document
        return routes


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
