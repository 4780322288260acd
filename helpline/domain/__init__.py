"""The pure domain: Conversation and Ticket aggregates (no I/O, no clock)."""

from helpline.domain.conversation import Conversation
from helpline.domain.errors import DomainError, TicketNotOpenError, UnknownAgentError
from helpline.domain.ids import NAMESPACE, conversation_id_for, derived_id
from helpline.domain.roster import Roster
from helpline.domain.ticket import DeskConversation, Ticket

__all__ = [
    "NAMESPACE",
    "Conversation",
    "DeskConversation",
    "DomainError",
    "Roster",
    "Ticket",
    "TicketNotOpenError",
    "UnknownAgentError",
    "conversation_id_for",
    "derived_id",
]
