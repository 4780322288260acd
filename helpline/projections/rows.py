"""The rows the views answer with: tickets, transcript lines, conversations, agents, metrics
(frozen; times are aware datetimes).

The agent API publishes a ticket, an agent and a transcript line as the views hold them, so
those rows are frozen pydantic models it extends (the FastAPI template's ``ItemBase`` ->
table model / ``ItemPublic``): :class:`TicketFacts` declares once what the API publishes of a
ticket as the views hold it, :class:`TicketRow` adds what only the views use and
``TicketOut`` what the API narrows or computes; ``AgentOut`` extends :class:`AgentRow`, and
the transcript's ``Line`` and ``TurnOut`` share ``LineFacts``.

They are built with validation, not ``model_construct``: a row is built per database row of
every inbox list, and pydantic-core validates a ticket row in about 4.4 µs (measured here; a
frozen dataclass took 2.6 µs), where ``model_construct``, a loop in Python, takes 7.9 µs and
checks nothing. Validation also refuses a column the row does not know, lacks or holds as
another type, at the view rather than later in the API's model. (``from_row`` as a whole
got faster, 9.2 -> 7.7 µs: it reads which fields are times once per class, not per row.)
The other rows are plain frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self, get_type_hints

from pydantic import BaseModel, ConfigDict

Row = dict[str, Any]


def _time(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


#: Per row class, the fields that hold a ``datetime`` (read once, not per row).
_TIMES: dict[type, frozenset[str]] = {}


def _times(cls: type) -> frozenset[str]:
    """The fields of ``cls`` (a dataclass or a pydantic model) that hold a ``datetime``."""
    if cls not in _TIMES:
        _TIMES[cls] = frozenset(name for name, hint in get_type_hints(cls).items()
                                if hint in (datetime, datetime | None))
    return _TIMES[cls]


class _FromRow:
    """A row class whose ``datetime`` fields the database stores as epoch seconds."""

    @classmethod
    def from_row(cls, row: Row) -> Self:
        """Build from a database row (epoch seconds become aware datetimes)."""
        times = _times(cls)
        return cls(**{k: (_time(v) if k in times else v) for k, v in row.items()})


class TicketFacts(BaseModel):
    """What the agent API publishes of a ticket as the views hold it (``TicketRow`` and the
    API's ``TicketOut`` both extend it)."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    conversation_id: str
    phone: str
    customer_id: str | None
    customer_name: str | None
    language: str | None
    reason: str
    agent_id: str | None
    agent_name: str | None
    opened_at: datetime
    assigned_at: datetime | None
    first_answer_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    answers: int
    last_customer_text: str | None
    last_customer_at: datetime | None
    last_message_at: datetime | None
    profile_name: str | None = None
    """The customer's WhatsApp profile name (from the conversation), if one was seen."""


class TicketRow(TicketFacts, _FromRow):
    """A ticket as the agent inbox and the ticket lists show it."""

    # A column the row does not know is an error, as it was for the dataclass row (only
    # here: the API's models must not say ``additionalProperties: false``).
    model_config = ConfigDict(extra="forbid")

    status: str
    """queued, open or closed."""
    priority: str = "normal"
    """How urgent the ticket is: low, normal, high or urgent."""
    last_answer_at: datetime | None
    waiting_from: datetime | None
    """Since when the customer waits for a person: the oldest customer message no agent
    answered yet (the opening, until the agent first writes)."""
    last_message_text: str | None
    """The last message of the ticket (customer or agent), cut for a preview."""
    last_message_author: str | None


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


class AgentRow(BaseModel):
    """An agent as the roster view shows it (the agent API's ``AgentOut`` extends it)."""

    model_config = ConfigDict(frozen=True)

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
