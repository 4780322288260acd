"""Request and response models of the agent API (``/api/v1``), documented in OpenAPI.
Conversations and metrics are answered as the views' own rows (``ConversationRow``,
``Metrics`` in ``helpline.projections.views``)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from helpline.adapters.http.api.actions_models import ReplyText
from helpline.catalog import Priority
from helpline.projections.inbox import Handoff
from helpline.projections.projectors import preview
from helpline.projections.rows import AgentRow, TicketFacts, TicketRow
from helpline.projections.transcript import Line, LineFacts, plain_reason

#: The legacy ``status`` filter of ``GET /tickets`` (``open``: held by an agent).
TicketStatus = Literal["queued", "open", "closed"]
#: A ticket's status as the console shows it.
ItemStatus = Literal["queued", "assigned", "closed"]
#: The views' ``open`` status is the console's ``assigned``.
_ITEM_STATUS: dict[str, ItemStatus] = {"queued": "queued", "open": "assigned",
                                       "closed": "closed"}
#: Who a transcript line is from.
Author = Literal["customer", "ai", "agent", "system", "note"]
#: What a transcript line is.
LineKind = Literal["message", "ticket_opened", "agent_assigned", "ticket_closed",
                   "ticket_reopened", "ticket_transferred", "note", "send_failed", "system"]
#: The WhatsApp status of one of our messages.
Delivery = Literal["sent", "delivered", "read", "failed"]


class Error(BaseModel):
    """An error: ``detail`` says what went wrong."""

    detail: str


#: What a route documents besides its answer (FastAPI's ``responses``).
Responses = dict[int | str, dict[str, Any]]
#: What the 404 of a route on one ticket means (an agent gets the 403 instead).
UNKNOWN_TICKET = "unknown ticket (admin)"


def errors(described: Mapping[int, str]) -> Responses:
    """The ``responses`` of these status codes: each answers an :class:`Error`, and the
    text says when."""
    return {code: {"model": Error, "description": text} for code, text in described.items()}


class ColleagueOut(BaseModel):
    """An agent as other agents see them (a transfer's choices)."""

    agent_id: str
    name: str
    languages: list[str]
    online: bool


class AgentOut(AgentRow):
    """An agent of the desk."""

    # The rest are AgentRow's fields, as the roster view holds them.
    open_tickets: int = Field(description="tickets the agent holds now")


class Me(BaseModel):
    """Who the bearer token belongs to."""

    role: Literal["agent", "admin"]
    agent: AgentOut | None = None


class TicketOut(TicketFacts):
    """A ticket as the inbox shows it. ``waiting_since``: the oldest customer message no
    agent has answered yet (``null``: nobody is waiting), ``waiting_seconds`` how long ago
    that is; ``last_message_preview``: the ticket's last message on one line, at most 120
    characters; ``reason``: why it was opened, in plain words."""

    # The rest are the TicketFacts the views hold (``of`` says ``reason`` in plain words,
    # ``last_message_at`` falls back to the customer's last message); status and priority
    # the views keep as text.
    status: ItemStatus
    priority: Priority = "normal"
    waiting_since: datetime | None
    waiting_seconds: float | None
    last_message_preview: str | None

    @classmethod
    def of(cls, row: TicketRow, now: datetime) -> "TicketOut":
        """From a view row, with waiting times as of ``now``."""
        since = row.waiting_from if row.status != "closed" else None
        facts = {name: getattr(row, name) for name in TicketFacts.model_fields}
        facts |= {"reason": plain_reason(row.reason),
                  "last_message_at": row.last_message_at or row.last_customer_at}
        return cls(**facts, status=_ITEM_STATUS[row.status], priority=row.priority,
                   waiting_since=since,
                   waiting_seconds=max(0.0, (now - since).total_seconds()) if since else None,
                   last_message_preview=row.last_message_text
                   or (preview(row.last_customer_text) if row.last_customer_text else None))


class Counts(BaseModel):
    """How many tickets each inbox view shows the caller."""

    mine: int
    queue: int
    open: int
    closed: int


class MediaOut(BaseModel):
    """A customer's file on a transcript line: ``url`` (under ``/api/v1``, bearer token
    needed) serves it; images are shown inline, other files downloaded."""

    kind: Literal["image", "audio", "video", "document", "sticker"]
    mime_type: str
    filename: str | None = None
    size: int
    url: str


class TurnOut(LineFacts):
    """One line of the transcript: ``id`` is stable and unique in the list; ``ticket_id``
    the ticket the line belongs to (``null``: before any ticket, the AI's part);
    ``delivery`` the WhatsApp status of our own messages (``null`` for the customer's, and
    while not reported yet), ``failure_reason`` why one failed."""

    # The rest are the LineFacts the views hold; these four the views keep as text.
    author: Author
    at: datetime
    kind: LineKind
    delivery: Delivery | None
    media: MediaOut | None = None
    """The customer's image, document, audio or video, when ms-whatsapp stored it."""

    @classmethod
    def of(cls, line: Line, media: MediaOut | None = None) -> "TurnOut":
        """From a transcript line of the views (and its stored file, if any)."""
        return cls(**dict(line), media=media)


class SourceOut(BaseModel):
    """A knowledge-base entry the AI considered."""

    id: str = Field(description="topic@language")
    title: str


class HandoffOut(BaseModel):
    """Why the AI handed the conversation to a person, in plain words."""

    reason: str
    sources: list[SourceOut]

    @classmethod
    def of(cls, handoff: Handoff) -> "HandoffOut":
        """From the views' hand-over."""
        return cls(reason=handoff.reason,
                   sources=[SourceOut(id=i, title=t) for i, t in handoff.sources])


class EarlierTicket(BaseModel):
    """Another ticket of the same customer."""

    ticket_id: str
    opened_at: datetime
    closed_at: datetime | None
    resolution: str | None


class CustomerPanel(BaseModel):
    """Who the customer is (the registry's entry, else what the ticket knows) and their
    earlier tickets, newest first."""

    name: str | None
    phone: str
    email: str | None
    language: str | None
    profile_name: str | None
    earlier_tickets: list[EarlierTicket]


class TicketDetail(TicketOut):
    """A ticket with its conversation's transcript, the hand-over and the customer."""

    transcript: list[TurnOut]
    handoff: HandoffOut | None
    customer: CustomerPanel


class ReplyIn(BaseModel):
    """The agent's answer to the customer; a text over WhatsApp's 4,096 characters is sent
    as several messages, split as ``POST /tickets/{id}/replies/preview`` shows."""

    text: ReplyText
    attachment_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description=(
        "an image or document uploaded with POST /tickets/{id}/attachments, sent with the "
        "text as its caption"))


class AttachmentOut(BaseModel):
    """An uploaded file, ready to attach to a reply by its ``attachment_id``."""

    attachment_id: str
    kind: Literal["image", "document"]
    mime_type: str
    filename: str
    size: int


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
