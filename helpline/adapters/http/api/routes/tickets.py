"""Tickets: an agent's inbox and the tickets they hold (admins: all), replies and closing.

Every ``GET`` reads the projections, never an aggregate; commands call the AgentDesk.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, HTTPException, Query, status

from helpline.adapters.http.api.deps import NOT_YOURS, Caller, Ctx, visible_ticket
from helpline.adapters.http.api.models import (
    CloseIn,
    CloseOut,
    Error,
    ReplyIn,
    ReplyOut,
    TicketDetail,
    TicketOut,
    TicketStatus,
    TurnOut,
)
from helpline.application.errors import NotAllowedError, UnknownTicketError
from helpline.domain.errors import DomainError
from helpline.domain.ids import derived_id

router = APIRouter(tags=["tickets"])
_UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "unknown ticket (admin)"}}


@router.get("/tickets", response_model=list[TicketOut])
def list_tickets(
    ctx: Ctx, caller: Caller, status_: Annotated[TicketStatus, Query(alias="status")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[TicketOut]:
    """Tickets by status: an agent's own (``open`` is their inbox), or all for admins."""
    agent_id = None if caller.role == "admin" else caller.agent_id
    rows = ctx.views.tickets(status_, agent_id=agent_id, limit=limit, offset=offset)
    at = ctx.now()
    return [TicketOut.of(r, at) for r in rows]


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=_UNKNOWN)
def get_ticket(ctx: Ctx, caller: Caller, ticket_id: UUID) -> TicketDetail:
    """A ticket with its conversation's transcript."""
    row = visible_ticket(ctx, caller, ticket_id)
    transcript = [TurnOut(**t.__dict__) for t in ctx.views.transcript(row.conversation_id)]
    return TicketDetail(**TicketOut.of(row, ctx.now()).model_dump(), transcript=transcript)


@router.post("/tickets/{ticket_id}/replies", response_model=ReplyOut,
             status_code=status.HTTP_202_ACCEPTED,
             responses={409: {"model": Error, "description": "the ticket is closed"}})
def reply(
    ctx: Ctx, caller: Caller, ticket_id: UUID, body: ReplyIn,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> ReplyOut:
    """Answer the customer (only the agent holding the ticket). A retried request with the
    same ``Idempotency-Key`` is accepted again but answers once."""
    agent_id = caller.agent_id
    answer_id = (str(derived_id(ticket_id, "reply", agent_id, idempotency_key))
                 if idempotency_key else str(uuid4()))
    try:
        messages = ctx.desk.answer(str(ticket_id), agent_id=agent_id, text=body.text,
                                   answer_id=answer_id)
    except (UnknownTicketError, NotAllowedError):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS) from None
    except DomainError as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
    ctx.run(messages)
    return ReplyOut(ticket_id=str(ticket_id), answer_id=answer_id, duplicate=not messages)


@router.post("/tickets/{ticket_id}/close", response_model=CloseOut, responses=_UNKNOWN)
def close(ctx: Ctx, caller: Caller, ticket_id: UUID, body: CloseIn) -> CloseOut:
    """Close the ticket with a resolution (its agent, or an admin); the AI answers the
    conversation again."""
    agent_id = None if caller.role == "admin" else caller.agent_id
    try:
        messages = ctx.desk.close_ticket(str(ticket_id), resolution=body.resolution,
                                         agent_id=agent_id)
    except UnknownTicketError:
        if agent_id is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket") from None
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS) from None
    except NotAllowedError:
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS) from None
    ctx.run(messages)
    return CloseOut(ticket_id=str(ticket_id), closed=bool(messages))
