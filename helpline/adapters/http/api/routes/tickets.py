"""Tickets: the inbox views and their counts, search, the ticket detail (transcript,
hand-over, customer panel), replies and closing.

Every ``GET`` reads the projections, never an aggregate (the customer panel also reads the
customer registry); commands call the AgentDesk.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, HTTPException, Query, status

from helpline.adapters.http.api.deps import NOT_YOURS, ApiContext, Caller, Ctx, visible_ticket
from helpline.adapters.http.api.models import (
    UNKNOWN_TICKET,
    CloseIn,
    CloseOut,
    Counts,
    CustomerPanel,
    EarlierTicket,
    HandoffOut,
    ReplyIn,
    ReplyOut,
    TicketDetail,
    TicketOut,
    TicketStatus,
    TurnOut,
    errors,
)
from helpline.adapters.http.api.routes.media import media_of, uploaded
from helpline.application.errors import NotAllowedError, UnknownTicketError
from helpline.domain.errors import DomainError
from helpline.domain.ids import derived_id
from helpline.projections.inbox import View
from helpline.projections.search import MAX_CHARS, SearchError
from helpline.projections.views import TicketRow

router = APIRouter(tags=["tickets"])
_UNKNOWN = errors({404: UNKNOWN_TICKET})


@router.get("/tickets", response_model=list[TicketOut],
            responses=errors({422: "a search the index cannot serve"}))
def list_tickets(
    ctx: Ctx, caller: Caller, view: View | None = None,
    q: Annotated[str | None, Query(description="customer name, phone or message text "
                                               f"(3 to {MAX_CHARS} characters)")] = None,
    status_: Annotated[TicketStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[TicketOut]:
    """An inbox view (``mine``, ``queue``, ``open``, ``closed``; by default ``mine`` for an
    agent, ``open`` for the admin) of the tickets the caller may see, searched with ``q``.
    The earlier ``status`` filter (an agent's own tickets, or all for the admin) still
    answers when given without ``view``."""
    at = ctx.now()
    if status_ is not None and view is None and q is None:
        rows = ctx.views.tickets(status_, agent_id=caller.viewer, limit=limit, offset=offset)
        return [TicketOut.of(r, at) for r in rows]
    chosen: View = view or ("open" if caller.viewer is None else "mine")
    try:
        rows = ctx.views.ticket_list(chosen, agent_id=caller.viewer, q=q, limit=limit)
    except SearchError as e:
        raise HTTPException(422, str(e)) from None
    return [TicketOut.of(r, at) for r in rows]


@router.get("/tickets/counts", response_model=Counts)
def counts(ctx: Ctx, caller: Caller) -> Counts:
    """How many tickets each inbox view shows the caller."""
    return Counts(**ctx.views.ticket_counts(agent_id=caller.viewer))


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=_UNKNOWN)
def get_ticket(ctx: Ctx, caller: Caller, ticket_id: UUID) -> TicketDetail:
    """A ticket with its conversation's transcript (every ticket of the conversation, each
    line labelled with its ticket), the AI's hand-over and the customer panel."""
    row = visible_ticket(ctx, caller, ticket_id)
    transcript = [TurnOut.of(line, media_of(ctx, row, line))
                  for line in ctx.views.lines(row.conversation_id)]
    handoff = ctx.views.handoff(row.ticket_id)
    return TicketDetail(**TicketOut.of(row, ctx.now()).model_dump(), transcript=transcript,
                        handoff=HandoffOut.of(handoff) if handoff else None,
                        customer=_customer(ctx, row))


def _customer(ctx: ApiContext, row: TicketRow) -> CustomerPanel:
    """The registry's entry for the ticket's phone (else what the ticket knows) and the
    phone's other tickets."""
    entry = ctx.directory.find_by_phone(row.phone)
    earlier = [EarlierTicket(ticket_id=t.ticket_id, opened_at=t.opened_at,
                             closed_at=t.closed_at, resolution=t.resolution)
               for t in ctx.views.tickets_of_phone(row.phone) if t.ticket_id != row.ticket_id]
    return CustomerPanel(
        name=entry.name if entry else row.customer_name, phone=row.phone,
        email=entry.email if entry else None,
        language=(entry.language if entry else None) or row.language,
        profile_name=row.profile_name, earlier_tickets=earlier)


@router.post("/tickets/{ticket_id}/replies", response_model=ReplyOut,
             status_code=status.HTTP_202_ACCEPTED,
             responses=errors({409: "the ticket is closed"}))
def reply(
    ctx: Ctx, caller: Caller, ticket_id: UUID, body: ReplyIn,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> ReplyOut:
    """Answer the customer (only the agent holding the ticket). A retried request with the
    same ``Idempotency-Key`` is accepted again but answers once."""
    agent_id = caller.agent_id
    answer_id = (str(derived_id(ticket_id, "reply", agent_id, idempotency_key))
                 if idempotency_key else str(uuid4()))
    attachment = uploaded(ctx, body.attachment_id) if body.attachment_id else None
    try:
        messages = ctx.desk.answer(str(ticket_id), agent_id=agent_id, text=body.text,
                                   answer_id=answer_id, attachment=attachment)
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
