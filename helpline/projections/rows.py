"""The rows the views answer with: tickets, transcript lines, conversations, agents, metrics
(plain frozen dataclasses; times are aware datetimes)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Self

Row = dict[str, Any]


def _time(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class _FromRow:
    """A row class whose ``datetime`` fields the database stores as epoch seconds."""

    @classmethod
    def from_row(cls, row: Row) -> Self:
        """Build from a database row (epoch seconds become aware datetimes)."""
        times = {f.name for f in fields(cls)  # type: ignore[arg-type]
                 if f.type in ("datetime", "datetime | None")}
        return cls(**{k: (_time(v) if k in times else v) for k, v in row.items()})


@dataclass(frozen=True)
class TicketRow(_FromRow):
    """A ticket as the agent inbox and the ticket lists show it."""

    ticket_id: str
    conversation_id: str
    phone: str
    customer_id: str | None
    customer_name: str | None
    language: str | None
    reason: str
    status: str
    agent_id: str | None
    agent_name: str | None
    opened_at: datetime
    assigned_at: datetime | None
    first_answer_at: datetime | None
    last_answer_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    answers: int
    last_customer_text: str | None
    last_customer_at: datetime | None
    waiting_from: datetime | None
    """Since when the customer waits for a person: the oldest customer message no agent
    answered yet (the opening, until the agent first writes)."""
    last_message_text: str | None
    """The last message of the ticket (customer or agent), cut for a preview."""
    last_message_at: datetime | None
    last_message_author: str | None
    profile_name: str | None = None
    """The customer's WhatsApp profile name (from the conversation), if one was seen."""
    priority: str = "normal"
    """How urgent the ticket is: low, normal, high or urgent."""


@dataclass(frozen=True)
class TurnRow:
    """One line of a conversation transcript."""

    seq: int
    author: str
    text: str
    at: str
    message_id: str | None


@dataclass(frozen=True)
class ConversationRow(_FromRow):
    """A conversation as the look-ups by phone or customer show it."""

    conversation_id: str
    phone: str
    customer_id: str | None
    customer_name: str | None
    started_at: datetime
    last_customer_at: datetime | None
    customer_messages: int
    ai_answers: int
    agent_answers: int
    tickets_requested: int
    open_ticket_id: str | None


@dataclass(frozen=True)
class AgentRow:
    """An agent as the roster view shows it."""

    agent_id: str
    name: str
    email: str
    languages: tuple[str, ...]
    max_tickets: int
    online: bool


@dataclass(frozen=True)
class Metrics:
    """Service metrics: who resolves conversations and how fast humans respond."""

    conversations: int
    ai_resolved: int
    escalated: int
    tickets: dict[str, int]
    avg_first_response_seconds: float | None
    max_first_response_seconds: float | None
    avg_resolution_seconds: float | None
    max_resolution_seconds: float | None
