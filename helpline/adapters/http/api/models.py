"""Request and response models of the agent API (``/api/v1``), documented in OpenAPI.
Conversations and metrics are answered as the views' own rows (``ConversationRow``,
``Metrics`` in ``helpline.projections.views``)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from helpline.adapters.http.api.actions_models import ReplyText
from helpline.projections.views import TicketRow

TicketStatus = Literal["queued", "open", "closed"]


class Error(BaseModel):
    """An error: ``detail`` says what went wrong."""

    detail: str


class AgentOut(BaseModel):
    """An agent of the desk."""

    agent_id: str
    name: str
    email: str
    languages: list[str]
    max_tickets: int
    online: bool
    open_tickets: int = Field(description="tickets the agent holds now")


class Me(BaseModel):
    """Who the bearer token belongs to."""

    role: Literal["agent", "admin"]
    agent: AgentOut | None = None


class TicketOut(BaseModel):
    """A ticket as the inbox shows it; ``waiting_seconds`` is how long the customer has
    waited for the agent's next answer (``null``: nobody is waiting)."""

    ticket_id: str
    conversation_id: str
    phone: str
    customer_id: str | None
    customer_name: str | None
    language: str | None
    reason: str
    status: TicketStatus
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
    waiting_since: datetime | None
    waiting_seconds: float | None

    @classmethod
    def of(cls, row: TicketRow, now: datetime) -> "TicketOut":
        """From a view row, with waiting times as of ``now``."""
        since = row.waiting_since()
        fields = {k: getattr(row, k) for k in cls.model_fields if hasattr(row, k)}
        return cls(**{**fields, "waiting_since": since,
                      "waiting_seconds": (now - since).total_seconds() if since else None})


class TurnOut(BaseModel):
    """One line of the transcript."""

    seq: int
    author: Literal["customer", "ai", "agent", "system"]
    text: str
    at: datetime
    message_id: str | None


class TicketDetail(TicketOut):
    """A ticket with its conversation's transcript."""

    transcript: list[TurnOut]


class ReplyIn(BaseModel):
    """The agent's answer to the customer; a text over WhatsApp's 4,096 characters is sent
    as several messages, split as ``POST /tickets/{id}/replies/preview`` shows."""

    text: ReplyText


class ReplyOut(BaseModel):
    """The answer was accepted; ``duplicate`` when this Idempotency-Key was seen before."""

    ticket_id: str
    answer_id: str
    duplicate: bool


class CloseIn(BaseModel):
    """How the ticket was resolved."""

    resolution: Annotated[str, Field(min_length=1, max_length=1000)]


class CloseOut(BaseModel):
    """``closed`` is false when the ticket was closed already."""

    ticket_id: str
    closed: bool


class StatusIn(BaseModel):
    """The agent's availability."""

    status: Literal["online", "offline"]


class StatusOut(BaseModel):
    """The agent's availability after the change."""

    agent_id: str
    status: Literal["online", "offline"]


class NewAgentIn(BaseModel):
    """An agent to register."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]] = []
    max_tickets: Annotated[int, Field(ge=1, le=1000)] = 5


class NewAgentOut(BaseModel):
    """The new agent's id and API token: the token is shown only this once."""

    agent_id: str
    token: str


class CustomerIn(BaseModel):
    """A customer registry entry (the phone is in the path)."""

    customer_id: Annotated[str, Field(min_length=1, max_length=256)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str | None, Field(max_length=320)] = None
    language: Annotated[str | None, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = None


class TokenOut(BaseModel):
    """An agent's new API token (shown only now; stored hashed)."""

    agent_id: str
    token: str


class DeadLetterOut(BaseModel):
    """A message a service gave up on."""

    seq: int = Field(description="its number in the dead-letter stream")
    at: str | None
    service: str
    message: str = Field(description="the catalog id of the message")
    deliveries: int
    error: str
    conversation_id: str | None


class DeadLetterDetail(DeadLetterOut):
    """A dead letter with the subject it came from and its body."""

    subject: str
    body: Any


class ReplayOut(BaseModel):
    """What a replay put back on its subject."""

    replayed: list[int]
