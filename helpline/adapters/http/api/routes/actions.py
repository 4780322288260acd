"""What an agent does on a ticket beyond replying and closing: internal notes, transfer,
reopen, priority, a preview of how a reply is split, canned replies, an AI-drafted suggestion
and the audit timeline.

Commands call the AgentDesk; the suggestion and the timeline read the event stores (the
conversation and the ticket as stored), not the projections. Authorisation follows the desk's
rule (``Ticket.is_for``): an agent acts on the tickets they hold and on the queue, the admin
on any; an agent gets the same 403 for a ticket of someone else's and for one that does not
exist, the admin a 404 for an unknown one.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status

from helpline.adapters.http.api.actions_models import (
    CannedIn,
    CannedOut,
    NoteIn,
    NoteOut,
    PreviewIn,
    PreviewOut,
    PriorityIn,
    PriorityOut,
    ReopenOut,
    SuggestionOut,
    TimelineOut,
    TransferIn,
    TransferOut,
)
from helpline.adapters.http.api.deps import NOT_YOURS, Admin, Caller, Ctx, Principal
from helpline.adapters.http.api.models import UNKNOWN_TICKET, errors
from helpline.application.assist import suggest_reply
from helpline.application.conversation_store import ConversationStore
from helpline.application.errors import NotAllowedError, UnknownTicketError
from helpline.application.ports import Answerer
from helpline.application.reply_text import MAX_REPLY_CHARS, reply_problem, split_text
from helpline.application.timeline import timeline as ticket_timeline
from helpline.catalog import MAX_TEXT_LENGTH
from helpline.domain.canned import REPLY_ID
from helpline.domain.errors import DomainError, UnknownAgentError

router = APIRouter(tags=["actions"])

_TICKET = errors({404: UNKNOWN_TICKET, 409: "the ticket's state does not allow it"})
_ASSIST = {**_TICKET, **errors({503: "the AI assistant is not available"})}


@dataclass
class Assist:
    """What the reading actions work on besides the desk: the conversations' store and
    ms-rag's answerer (``None`` where the process has none: those routes answer 503)."""

    store: ConversationStore | None
    answerer: Answerer | None

    def bind(self, request: Request) -> None:
        """A router dependency: make these the request's."""
        request.state.assist = self


def _assist(request: Request) -> Assist:
    assist: Assist = request.state.assist
    return assist


AssistDep = Annotated[Assist, Depends(_assist)]
CannedId = Annotated[str, Path(min_length=1, max_length=64)]


def _acting(caller: Principal) -> str | None:
    """The agent acting (``None``: the admin)."""
    return None if caller.role == "admin" else caller.agent_id


@contextmanager
def _refusals(caller: Principal) -> Iterator[None]:
    """The desk's refusals as HTTP answers (one readable sentence each)."""
    try:
        yield
    except UnknownTicketError:
        if caller.role == "admin":
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket") from None
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS) from None
    except NotAllowedError:
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS) from None
    except UnknownAgentError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "There is no agent with that id.") from None
    except DomainError as e:
        raise HTTPException(status.HTTP_409_CONFLICT, _sentence(str(e))) from None


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@router.post("/tickets/{ticket_id}/notes", response_model=NoteOut,
             status_code=status.HTTP_201_CREATED, responses=_TICKET)
def add_note(ctx: Ctx, caller: Caller, ticket_id: UUID, body: NoteIn) -> NoteOut:
    """Add an internal note to the ticket: stored with it, shown to the desk, never sent to
    the customer."""
    with _refusals(caller):
        note_id = ctx.desk.add_note(str(ticket_id), agent_id=_acting(caller), text=body.text)
    return NoteOut(ticket_id=str(ticket_id), note_id=note_id)


@router.post("/tickets/{ticket_id}/transfer", response_model=TransferOut, responses=_TICKET)
def transfer(ctx: Ctx, caller: Caller, ticket_id: UUID, body: TransferIn) -> TransferOut:
    """Give the ticket to another agent, online or not (the agent holding it, any agent for
    a ticket in the queue, or the admin)."""
    with _refusals(caller):
        messages = ctx.desk.transfer(str(ticket_id), to_agent_id=body.agent_id,
                                     by_agent_id=_acting(caller))
    ctx.run(messages)
    return TransferOut(ticket_id=str(ticket_id), agent_id=body.agent_id,
                       transferred=bool(messages))


@router.post("/tickets/{ticket_id}/reopen", response_model=ReopenOut, responses=_TICKET)
def reopen(ctx: Ctx, caller: Caller, ticket_id: UUID) -> ReopenOut:
    """Open a closed ticket again: the agent who held it takes it back (the admin's goes to
    the routing); the customer's next messages go to the agent, not the AI."""
    with _refusals(caller):
        messages = ctx.desk.reopen(str(ticket_id), agent_id=_acting(caller))
    ctx.run(messages)
    return ReopenOut(ticket_id=str(ticket_id), reopened=bool(messages),
                     agent_id=ctx.desk.ticket(str(ticket_id)).agent_id)


@router.post("/tickets/{ticket_id}/priority", response_model=PriorityOut, responses=_TICKET)
def set_priority(ctx: Ctx, caller: Caller, ticket_id: UUID, body: PriorityIn) -> PriorityOut:
    """Change how urgent an open ticket is (its agent, any agent for a ticket in the queue,
    or the admin); the conversation's transcript shows a line for it."""
    with _refusals(caller):
        messages = ctx.desk.set_priority(str(ticket_id), agent_id=_acting(caller),
                                         priority=body.priority)
    ctx.run(messages)
    return PriorityOut(ticket_id=str(ticket_id), priority=body.priority, changed=bool(messages))


@router.post("/tickets/{ticket_id}/replies/preview", response_model=PreviewOut,
             responses=_TICKET)
def preview_reply(ctx: Ctx, caller: Caller, ticket_id: UUID, body: PreviewIn) -> PreviewOut:
    """The WhatsApp messages a reply becomes, split exactly as the sender splits it, and
    whether the desk takes it (nothing is sent)."""
    with _refusals(caller):
        ctx.desk.ticket_for(str(ticket_id), _acting(caller))
    problem = reply_problem(body.text)
    return PreviewOut(parts=split_text(body.text), limit=MAX_TEXT_LENGTH,
                      characters=len(body.text.strip()), max_characters=MAX_REPLY_CHARS,
                      accepted=problem is None, problem=problem)


@router.get("/tickets/{ticket_id}/suggestion", response_model=SuggestionOut,
            responses=_ASSIST)
def suggestion(ctx: Ctx, caller: Caller, assist: AssistDep, ticket_id: UUID) -> SuggestionOut:
    """A draft reply to the customer's last message from the knowledge base (ms-rag's
    answerer). Never sent by itself: the agent edits it and sends it as a reply."""
    with _refusals(caller):
        ticket = ctx.desk.ticket_for(str(ticket_id), _acting(caller))
    if assist.store is None or assist.answerer is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "The AI assistant is not available in this process.")
    try:
        draft = suggest_reply(assist.store, assist.answerer, ticket.conversation_id)
    except Exception:  # an LLM or index that fails: the agent writes the reply themselves
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "The AI assistant could not draft a reply just now; try again "
                            "or write it yourself.") from None
    return SuggestionOut(text=draft.text, sources=list(draft.sources),
                         confidence=draft.confidence, reason=draft.reason)


@router.get("/tickets/{ticket_id}/timeline", response_model=list[TimelineOut],
            responses=_ASSIST)
def timeline(ctx: Ctx, caller: Caller, assist: AssistDep, ticket_id: UUID
             ) -> list[TimelineOut]:
    """Who did what and when on the ticket and its conversation, oldest first, read from
    the stored events."""
    with _refusals(caller):
        ctx.desk.ticket_for(str(ticket_id), _acting(caller))
    if assist.store is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "The conversations' store is not available in this process.")
    entries = ticket_timeline(ctx.desk, assist.store, str(ticket_id))
    return [TimelineOut(**e.__dict__) for e in entries]


@router.get("/canned-replies", response_model=list[CannedOut])
def canned_replies(ctx: Ctx, _: Caller) -> list[CannedOut]:
    """The desk's canned replies, by title. Their text may hold {customer_name},
    {agent_name} and {phone}, which the console fills in for the ticket at hand."""
    return [CannedOut(**r) for r in ctx.desk.canned_replies()]


@router.put("/canned-replies/{reply_id}", response_model=CannedOut,
            responses=errors({422: "bad id, title or text"}))
def put_canned_reply(ctx: Ctx, _: Admin, reply_id: CannedId, body: CannedIn) -> CannedOut:
    """Add or change a canned reply (admin). The id: lower-case letters, digits, - and _."""
    if not REPLY_ID.match(reply_id):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "A canned reply's id is lower-case letters, digits, '-' or '_'.")
    try:
        saved = ctx.desk.save_canned_reply(reply_id, title=body.title, text=body.text)
    except DomainError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _sentence(str(e))) from None
    return CannedOut(**saved)


@router.delete("/canned-replies/{reply_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=errors({404: "no such canned reply"}))
def delete_canned_reply(ctx: Ctx, _: Admin, reply_id: CannedId) -> None:
    """Remove a canned reply (admin)."""
    if not ctx.desk.delete_canned_reply(reply_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such canned reply")
