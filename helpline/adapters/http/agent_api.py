"""The agent API (``/api/v1``): agents read their inbox and tickets, reply and close;
admins register agents, look conversations up and maintain the customer registry.

CQRS: every ``GET`` reads the projections (``HelpdeskView``), never an aggregate;
authentication reads the roster through ``AgentDesk.authenticate``. Commands call the
AgentDesk; the catalog messages they cause are published by the outbox relay from the
stored events, so the API publishes nothing (``publish`` is for in-process runs and tests).

Authorisation: no or unknown token → 401. An agent sees and acts on the tickets they hold;
for any other ticket id, whether it is another agent's or does not exist at all, the answer
is the same 403, so an agent learns nothing about tickets they may not see. Admins get 404
for unknown ids. Admin-only endpoints answer 403 to agents; agent-only ones (replying,
one's own status) answer 403 to the admin token, which is nobody's agent.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases
# defined inside the factory as objects, not as strings it cannot resolve.
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from helpline.adapters.http.agent_api_models import (
    AgentOut,
    CloseIn,
    CloseOut,
    ConversationOut,
    CustomerIn,
    Error,
    Me,
    MetricsOut,
    NewAgentIn,
    NewAgentOut,
    ReplyIn,
    ReplyOut,
    StatusIn,
    StatusOut,
    TicketDetail,
    TicketOut,
    TicketStatus,
    TurnOut,
)
from helpline.application.agent_desk import AgentDesk
from helpline.application.errors import NotAllowedError, UnknownTicketError
from helpline.application.ports import CustomerDirectory
from helpline.catalog import CatalogMessage, CustomerInfo
from helpline.catalog.types import normalise_phone
from helpline.domain.errors import AgentAlreadyRegisteredError, DomainError
from helpline.domain.ids import derived_id
from helpline.projections.views import HelpdeskView, TicketRow

Publish = Callable[[Sequence[CatalogMessage]], object]


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


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "no or unknown bearer token"},
    403: {"model": Error, "description": "not allowed (or not a ticket of yours)"},
}
_NOT_YOURS = "not a ticket of yours"


def _agent_out(agent: dict[str, Any]) -> AgentOut:
    return AgentOut(agent_id=agent["agent_id"], name=agent["name"], email=agent["email"],
                    languages=list(agent["languages"]), max_tickets=agent["max_tickets"],
                    online=agent["online"], open_tickets=len(agent.get("tickets", [])))


def create_agent_api_router(
    desk: AgentDesk, views: HelpdeskView, directory: CustomerDirectory, admin_token: str,
    *, publish: Publish | None = None, clock: Callable[[], datetime] | None = None,
) -> APIRouter:
    """The ``/api/v1`` router. ``admin_token`` empty disables the admin role; ``publish``
    (in-process runs and tests only) receives the catalog messages each command causes."""
    router = APIRouter(prefix="/api/v1", tags=["agents"], responses=_ERRORS)
    bearer = HTTPBearer(auto_error=False, description="an agent's API token or the admin token")
    now = clock or (lambda: datetime.now(UTC))

    def principal(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if creds is None or not creds.credentials:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bearer token required",
                                headers={"WWW-Authenticate": "Bearer"})
        token = creds.credentials
        if admin_token and secrets.compare_digest(token.encode(), admin_token.encode()):
            return Principal("admin")
        agent = desk.authenticate(token)
        if agent is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token",
                                headers={"WWW-Authenticate": "Bearer"})
        return Principal("agent", agent)

    Caller = Annotated[Principal, Depends(principal)]

    def admin(caller: Caller) -> Principal:
        if caller.role != "admin":
            raise HTTPException(status.HTTP_403_FORBIDDEN, "admin only")
        return caller

    Admin = Annotated[Principal, Depends(admin)]

    def visible_ticket(caller: Principal, ticket_id: UUID) -> TicketRow:
        row = views.ticket(str(ticket_id))
        if caller.role == "admin":
            if row is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket")
            return row
        if row is None or row.agent_id != caller.agent_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, _NOT_YOURS)
        return row

    def run(messages: list[CatalogMessage]) -> None:
        if publish is not None and messages:
            publish(messages)

    @router.get("/me", response_model=Me)
    def me(caller: Caller) -> Me:
        """Who the token belongs to (agents: their roster entry)."""
        return Me(role=caller.role, agent=_agent_out(caller.agent) if caller.agent else None)

    @router.get("/tickets", response_model=list[TicketOut])
    def list_tickets(
        caller: Caller, status_: Annotated[TicketStatus, Query(alias="status")] = "open",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> list[TicketOut]:
        """Tickets by status: an agent's own (``open`` is their inbox), or all for admins."""
        agent_id = None if caller.role == "admin" else caller.agent_id
        rows = views.tickets(status_, agent_id=agent_id, limit=limit, offset=offset)
        at = now()
        return [TicketOut.of(r, at) for r in rows]

    @router.get("/tickets/{ticket_id}", response_model=TicketDetail,
                responses={404: {"model": Error, "description": "unknown ticket (admin)"}})
    def get_ticket(caller: Caller, ticket_id: UUID) -> TicketDetail:
        """A ticket with its conversation's transcript."""
        row = visible_ticket(caller, ticket_id)
        transcript = [TurnOut(**t.__dict__) for t in views.transcript(row.conversation_id)]
        return TicketDetail(**TicketOut.of(row, now()).model_dump(), transcript=transcript)

    @router.post("/tickets/{ticket_id}/replies", response_model=ReplyOut,
                 status_code=status.HTTP_202_ACCEPTED,
                 responses={409: {"model": Error, "description": "the ticket is closed"}})
    def reply(
        caller: Caller, ticket_id: UUID, body: ReplyIn,
        idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
    ) -> ReplyOut:
        """Answer the customer (only the agent holding the ticket). A retried request with
        the same ``Idempotency-Key`` is accepted again but answers once."""
        agent_id = caller.agent_id
        answer_id = (str(derived_id(ticket_id, "reply", agent_id, idempotency_key))
                     if idempotency_key else str(uuid4()))
        try:
            messages = desk.answer(str(ticket_id), agent_id=agent_id, text=body.text,
                                   answer_id=answer_id)
        except (UnknownTicketError, NotAllowedError):
            raise HTTPException(status.HTTP_403_FORBIDDEN, _NOT_YOURS) from None
        except DomainError as e:
            raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
        run(messages)
        return ReplyOut(ticket_id=str(ticket_id), answer_id=answer_id, duplicate=not messages)

    @router.post("/tickets/{ticket_id}/close", response_model=CloseOut,
                 responses={404: {"model": Error, "description": "unknown ticket (admin)"}})
    def close(caller: Caller, ticket_id: UUID, body: CloseIn) -> CloseOut:
        """Close the ticket with a resolution (its agent, or an admin); the AI answers the
        conversation again."""
        agent_id = None if caller.role == "admin" else caller.agent_id
        try:
            messages = desk.close_ticket(str(ticket_id), resolution=body.resolution,
                                         agent_id=agent_id)
        except UnknownTicketError:
            if agent_id is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket") from None
            raise HTTPException(status.HTTP_403_FORBIDDEN, _NOT_YOURS) from None
        except NotAllowedError:
            raise HTTPException(status.HTTP_403_FORBIDDEN, _NOT_YOURS) from None
        run(messages)
        return CloseOut(ticket_id=str(ticket_id), closed=bool(messages))

    @router.put("/agents/me/status", response_model=StatusOut)
    def set_status(caller: Caller, body: StatusIn) -> StatusOut:
        """Go online (and take waiting tickets) or offline."""
        agent_id = caller.agent_id
        run(desk.set_agent_status(agent_id, online=body.status == "online"))
        return StatusOut(agent_id=agent_id, status=body.status)

    @router.post("/agents", response_model=NewAgentOut, status_code=status.HTTP_201_CREATED,
                 responses={409: {"model": Error, "description": "id or email registered"}})
    def register_agent(_: Admin, body: NewAgentIn) -> NewAgentOut:
        """Register an agent (admin). The token is returned only now; it is stored hashed."""
        try:
            new = desk.register_agent(name=body.name, email=body.email,
                                      languages=body.languages, max_tickets=body.max_tickets)
        except AgentAlreadyRegisteredError as e:
            raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
        return NewAgentOut(agent_id=new.agent_id, token=new.token)

    @router.get("/conversations", response_model=list[ConversationOut],
                responses={422: {"model": Error, "description": "no or invalid phone"}})
    def conversations(
        _: Admin, phone: Annotated[str | None, Query(max_length=40)] = None,
        customer_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[ConversationOut]:
        """Conversations of a phone number or of a registry customer (admin)."""
        if phone is None and customer_id is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give phone or customer_id")
        try:
            number = normalise_phone(phone) if phone is not None else None
        except ValueError as e:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
        rows = views.conversations(phone=number, customer_id=customer_id, limit=limit)
        return [ConversationOut(**r.__dict__) for r in rows]

    @router.put("/customers/{phone}", response_model=CustomerInfo,
                responses={422: {"model": Error, "description": "invalid phone or entry"}})
    def put_customer(_: Admin, phone: Annotated[str, Path(max_length=40)],
                     body: CustomerIn) -> CustomerInfo:
        """Register or update the customer with this phone in the gateway's directory."""
        try:
            customer = CustomerInfo.model_validate({**body.model_dump(), "phone": phone})
        except ValidationError as e:
            detail = "; ".join(str(err["msg"]) for err in e.errors())
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail) from None
        directory.upsert(customer)
        return customer

    @router.get("/agents", response_model=list[AgentOut])
    def agents(_: Admin) -> list[AgentOut]:
        """Every agent (admin; from the projection, so ``open_tickets`` counts its inbox)."""
        return [AgentOut(agent_id=a.agent_id, name=a.name, email=a.email,
                         languages=list(a.languages), max_tickets=a.max_tickets,
                         online=a.online, open_tickets=len(views.inbox(a.agent_id)))
                for a in views.agents()]

    @router.get("/metrics", response_model=MetricsOut)
    def metrics(_: Admin) -> MetricsOut:
        """AI-resolved vs escalated conversations, first human response and resolution
        times (admin)."""
        return MetricsOut(**views.metrics().__dict__)

    return router
