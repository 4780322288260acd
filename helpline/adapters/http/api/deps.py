"""What every route of the agent API depends on: the services behind it (one
:class:`ApiContext` per app, bound by :func:`helpline.adapters.http.api.create_agent_api_router`)
and who is calling (an agent, by their token, or the admin).

Authorisation: no or unknown token → 401. Admin-only routes answer 403 to agents; agent-only
ones (replying, one's own status) answer 403 to the admin token, which is nobody's agent.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol, runtime_checkable
from uuid import UUID

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from helpline.adapters.media_store import MediaStore
from helpline.adapters.nats.dead_letters import DeadLetters
from helpline.adapters.whatsapp.templates import TemplateCatalog
from helpline.application.agent_desk import AgentDesk
from helpline.application.ports import CustomerDirectory
from helpline.catalog import CatalogMessage
from helpline.projections.inbox import may_see
from helpline.projections.updates import Updates
from helpline.projections.views import HelpdeskView, TicketRow

Publish = Callable[[Sequence[CatalogMessage]], object]
#: Turns texts into vectors (ms-rag's embedder), for grouping questions by meaning.
QuestionEmbedder = Callable[[Sequence[str]], Sequence[Sequence[float]]]


@runtime_checkable
class _WithEmbedder(Protocol):
    embedder: QuestionEmbedder | None


def question_embedder_of(answerer: object) -> QuestionEmbedder | None:
    """ms-rag's embedder, when ``answerer`` has one (the knowledge-base answerer does)."""
    return answerer.embedder if isinstance(answerer, _WithEmbedder) else None

#: The answer to an agent for a ticket they may not see, whether it exists or not.
NOT_YOURS = "not a ticket of yours"


@dataclass
class ApiContext:
    """The services the agent API works on."""

    desk: AgentDesk
    views: HelpdeskView
    directory: CustomerDirectory
    admin_token: str
    """Empty: the admin role is off."""
    now: Callable[[], datetime]
    publish: Publish | None = None
    """In-process runs and tests: receives the messages each command causes (in a
    deployment the outbox relay publishes them from the stored events)."""
    dead_letters: DeadLetters | None = None
    """The dead-letter stream (``None`` without NATS)."""
    updates: Updates | None = None
    """What the projections changed (``GET /events``; ``None``: no live updates here)."""
    ping_seconds: float = 15.0
    """How often ``GET /events`` sends a comment line to keep the connection open."""
    media: MediaStore | None = None
    """Customers' and agents' files (``None``: no media here)."""
    upload_max_bytes: int = 5 * 1024 * 1024
    """The largest file an agent may attach (``HELPLINE_UPLOAD_MAX_BYTES``)."""
    templates: TemplateCatalog | None = None
    """The business's message templates (``None``: none here)."""
    question_embedder: QuestionEmbedder | None = None
    """ms-rag's embedder, to group handed-over questions by meaning across languages
    (``None``: by their words)."""

    def bind(self, request: Request) -> None:
        """A router dependency: make this context the request's."""
        request.state.api = self

    def run(self, messages: Sequence[CatalogMessage]) -> None:
        """Hand the messages a command caused to ``publish`` (if any)."""
        if self.publish is not None and messages:
            self.publish(messages)


def get_context(request: Request) -> ApiContext:
    """The request's :class:`ApiContext`."""
    context: ApiContext = request.state.api
    return context


Ctx = Annotated[ApiContext, Depends(get_context)]

_bearer = HTTPBearer(auto_error=False, description="an agent's API token or the admin token")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an agent (with their roster entry) or the admin."""

    role: Literal["agent", "admin"]
    agent: dict[str, Any] | None = None

    @property
    def agent_id(self) -> str:
        """The calling agent's id (403 for the admin, who is nobody's agent)."""
        if self.agent is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only agents can do this")
        return str(self.agent["agent_id"])

    @property
    def viewer(self) -> str | None:
        """Whose tickets the caller sees: the agent's id, ``None`` for the admin (all)."""
        return None if self.agent is None else str(self.agent["agent_id"])


def principal(
    ctx: Ctx, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the bearer token."""
    if creds is None or not creds.credentials:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bearer token required",
                            headers={"WWW-Authenticate": "Bearer"})
    token = creds.credentials
    if ctx.admin_token and secrets.compare_digest(token.encode(), ctx.admin_token.encode()):
        return Principal("admin")
    agent = ctx.desk.authenticate(token)
    if agent is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token",
                            headers={"WWW-Authenticate": "Bearer"})
    return Principal("agent", agent)


Caller = Annotated[Principal, Depends(principal)]


def admin(caller: Caller) -> Principal:
    """The caller, who must be the admin."""
    if caller.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin only")
    return caller


Admin = Annotated[Principal, Depends(admin)]


def visible_ticket(ctx: ApiContext, caller: Principal, ticket_id: UUID) -> TicketRow:
    """The ticket, if the caller may see it (an agent: theirs and the queue's): 404 for an
    admin and an unknown id; the same 403 for an agent whether the ticket is someone else's
    or does not exist."""
    row = ctx.views.ticket(str(ticket_id))
    if caller.role == "admin":
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket")
        return row
    if row is None or not may_see(row, caller.agent_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS)
    return row
