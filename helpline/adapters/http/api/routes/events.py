"""Live updates: ``GET /events``, Server-Sent Events pushed when the projections apply
something the caller may see.

Each change the projection workers publish (``helpline.projections.updates``) is checked
against the views: an agent hears of their own tickets, the queue's, and a ticket that was
visible to them on this stream and no longer is (transferred away: their inbox must drop
it); the admin hears of every ticket. The stream sends::

    event: ticket
    data: {"ticket_id": "...", "conversation_id": "..."}

    event: counts
    data: {}

and a comment line (``: ping``) every ``ping_seconds``; the console then re-reads what it
shows. A stream that fell behind gets a ``counts`` event (re-read everything).
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import StreamingResponse

from helpline.adapters.http.api.deps import ApiContext, Caller, Ctx
from helpline.adapters.http.api.models import errors
from helpline.projections.inbox import may_see
from helpline.projections.updates import Change, Subscription

router = APIRouter(tags=["live updates"])

#: The most tickets one stream remembers having shown (to tell their agent they left).
_SEEN = 10_000


class _Stream:
    """One caller's stream: which changes they may hear of."""

    def __init__(self, ctx: ApiContext, viewer: str | None) -> None:
        self.ctx = ctx
        self.viewer = viewer
        self.seen: set[str] = set()

    def visible(self, change: Change) -> tuple[str, str] | None:
        """(ticket id, conversation id) if the caller may hear of ``change``."""
        views = self.ctx.views
        row = (views.ticket(change.ticket_id) if change.ticket_id
               else views.latest_ticket_of(change.conversation_id or ""))
        if row is None:
            return None
        if may_see(row, self.viewer):
            if len(self.seen) < _SEEN:
                self.seen.add(row.ticket_id)
        elif row.ticket_id in self.seen:
            self.seen.discard(row.ticket_id)
        else:
            return None
        return row.ticket_id, row.conversation_id

    def events(self, changes: list[Change | None]) -> str:
        """The text of the events for ``changes`` (empty: nothing for this caller)."""
        lost = any(c is None for c in changes)
        tickets = dict.fromkeys(v for c in changes if c is not None
                                if (v := self.visible(c)) is not None)
        out = [f"event: ticket\ndata: {json.dumps({'ticket_id': t, 'conversation_id': c})}\n\n"
               for t, c in tickets]
        if tickets or lost:
            out.append("event: counts\ndata: {}\n\n")
        return "".join(out)


async def _drain(subscription: Subscription, first: Change | None) -> list[Change | None]:
    """``first`` and every change already waiting."""
    changes = [first]
    while not subscription.queue.empty():
        changes.append(subscription.queue.get_nowait())
    return changes


async def _run(ctx: ApiContext, stream: _Stream) -> AsyncIterator[str]:
    assert ctx.updates is not None
    subscription = ctx.updates.subscribe()
    try:
        yield ": connected\n\n"
        while True:
            try:
                first = await asyncio.wait_for(subscription.get(), ctx.ping_seconds)
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if first is None and ctx.updates.closed:
                return
            text = await asyncio.to_thread(stream.events, await _drain(subscription, first))
            if text:
                yield text
    finally:
        ctx.updates.unsubscribe(subscription)


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "Server-Sent Events (see the module)"},
                       **errors({503: "no live updates in this process"})})
async def events(ctx: Ctx, caller: Caller) -> StreamingResponse:
    """Server-Sent Events: ``ticket`` (a ticket the caller may see changed) and ``counts``
    (the views' counts may have changed); ``: ping`` comments keep the connection open."""
    if ctx.updates is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "Live updates are not available in this process.")
    return StreamingResponse(
        _run(ctx, _Stream(ctx, caller.viewer)), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
