"""Admin look-ups: conversations by phone or customer, the customer registry, service
metrics, and the dead letters (list, inspect, replay)."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import ValidationError

from helpline.adapters.http.api.deps import Admin, ApiContext, Ctx
from helpline.adapters.http.api.models import (
    CustomerIn,
    DeadLetterDetail,
    DeadLetterOut,
    ReplayOut,
    errors,
)
from helpline.adapters.nats.dead_letters import DeadLetters, UnknownDeadLetterError
from helpline.catalog import CustomerInfo
from helpline.catalog.types import normalise_phone
from helpline.projections.views import ConversationRow, Metrics

router = APIRouter(tags=["admin"])


@router.get("/conversations", response_model=list[ConversationRow],
            responses=errors({422: "no or invalid phone"}))
def conversations(
    ctx: Ctx, _: Admin, phone: Annotated[str | None, Query(max_length=40)] = None,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ConversationRow]:
    """Conversations of a phone number or of a registry customer (admin)."""
    if phone is None and customer_id is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give phone or customer_id")
    try:
        number = normalise_phone(phone) if phone is not None else None
    except ValueError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
    return ctx.views.conversations(phone=number, customer_id=customer_id, limit=limit)


@router.put("/customers/{phone}", response_model=CustomerInfo,
            responses=errors({422: "invalid phone or entry"}))
def put_customer(ctx: Ctx, _: Admin, phone: Annotated[str, Path(max_length=40)],
                 body: CustomerIn) -> CustomerInfo:
    """Register or update the customer with this phone in the gateway's directory."""
    try:
        customer = CustomerInfo.model_validate({**body.model_dump(), "phone": phone})
    except ValidationError as e:
        detail = "; ".join(str(err["msg"]) for err in e.errors())
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail) from None
    ctx.directory.upsert(customer)
    return customer


@router.get("/metrics", response_model=Metrics)
def metrics(ctx: Ctx, _: Admin) -> Metrics:
    """AI-resolved vs escalated conversations, first human response and resolution times
    (admin)."""
    return ctx.views.metrics()


def _dead_letters(ctx: ApiContext) -> DeadLetters:
    if ctx.dead_letters is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the dead letters live in NATS, which this process is not using")
    return ctx.dead_letters


_NO_LETTER = errors({404: "no such dead letter", 503: "NATS is not available"})
Seq = Annotated[int, Path(ge=1)]


@router.get("/admin/dead-letters", response_model=list[DeadLetterOut],
            responses={503: _NO_LETTER[503]})
async def list_dead_letters(ctx: Ctx, _: Admin,
                            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                            ) -> list[DeadLetterOut]:
    """The oldest dead letters: messages a service gave up on, with why (admin)."""
    letters = await _dead_letters(ctx).oldest(limit)
    return [DeadLetterOut(**letter.summary()) for letter in letters]


@router.get("/admin/dead-letters/{seq}", response_model=DeadLetterDetail,
            responses=_NO_LETTER)
async def show_dead_letter(ctx: Ctx, _: Admin, seq: Seq) -> DeadLetterDetail:
    """One dead letter with its body and the subject it came from (admin)."""
    try:
        letter = await _dead_letters(ctx).get(seq)
    except UnknownDeadLetterError as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(e)) from None
    return DeadLetterDetail(**letter.detail())


@router.post("/admin/dead-letters/{seq}/replay", response_model=ReplayOut,
             responses=_NO_LETTER)
async def replay_dead_letter(ctx: Ctx, _: Admin, seq: Seq) -> ReplayOut:
    """Put the dead letter back on its subject (once its cause is fixed) and remove it from
    the dead letters (admin)."""
    try:
        letter = await _dead_letters(ctx).replay(seq)
    except UnknownDeadLetterError as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(e)) from None
    return ReplayOut(replayed=[letter.seq])


@router.post("/admin/dead-letters/replay", response_model=ReplayOut,
             responses={503: _NO_LETTER[503]})
async def replay_all_dead_letters(ctx: Ctx, _: Admin) -> ReplayOut:
    """Replay every dead letter, oldest first (admin)."""
    return ReplayOut(replayed=[letter.seq for letter in await _dead_letters(ctx).replay_all()])
