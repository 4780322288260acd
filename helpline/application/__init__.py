"""Applications (one per service) and the ports their adapters implement."""

from helpline.application.agent_desk import AgentDesk, NewAgent
from helpline.application.ai_agent import AIAgent, KeywordAnswerer
from helpline.application.conversation_store import ConversationStore
from helpline.application.customer_gateway import CustomerGateway, InMemoryCustomerDirectory
from helpline.application.errors import (
    ApplicationError,
    NotAllowedError,
    UnknownConversationError,
    UnknownTicketError,
)
from helpline.application.ports import (
    Answer,
    Answerer,
    CustomerDirectory,
    PermanentSendError,
    SendResult,
    WhatsAppSender,
)
from helpline.application.runner import InProcessRunner, Services
from helpline.application.whatsapp_edge import RecordingSender, WhatsAppEdge

__all__ = [
    "AIAgent",
    "AgentDesk",
    "Answer",
    "Answerer",
    "ApplicationError",
    "ConversationStore",
    "CustomerDirectory",
    "CustomerGateway",
    "InMemoryCustomerDirectory",
    "InProcessRunner",
    "KeywordAnswerer",
    "NewAgent",
    "NotAllowedError",
    "PermanentSendError",
    "RecordingSender",
    "SendResult",
    "Services",
    "UnknownConversationError",
    "UnknownTicketError",
    "WhatsAppEdge",
    "WhatsAppSender",
]
