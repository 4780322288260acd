"""Request and response models of the agent actions (notes, transfer, reopen, priority,
reply previews, canned replies, AI assist, the audit timeline), documented in OpenAPI.

Texts are checked by our own validators so that a 422 says what is wrong in one sentence and
never repeats the text (``helpline.adapters.http.guards`` turns it into ``{"detail": ...}``).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from helpline.application.reply_text import reply_problem
from helpline.catalog import Priority
from helpline.domain.canned import MAX_TEXT_LENGTH as MAX_CANNED_TEXT
from helpline.domain.canned import MAX_TITLE_LENGTH
from helpline.domain.ticket import MAX_NOTE_LENGTH

#: The largest text the API reads before refusing it (the body limit is 64 KiB anyway).
_READ_LIMIT = 65_536


def _reply(text: str) -> str:
    problem = reply_problem(text)
    if problem is not None:
        raise PydanticCustomError("reply_text", problem)
    return text.strip()


def _limited(what: str, limit: int) -> Callable[[str], str]:
    """A validator: ``what`` (a note, a canned reply's text) is 1 to ``limit`` characters."""
    def check(text: str) -> str:
        size = len(text.strip())
        if size == 0:
            raise PydanticCustomError("text_empty", f"The {what} is empty; write something.")
        if size > limit:
            raise PydanticCustomError(
                "text_too_long", f"The {what} is {size:,} characters; it can have at most "
                                 f"{limit:,}.")
        return text.strip()

    return check


#: A reply an agent sends: split into WhatsApp messages by the sender, up to a limit.
ReplyText = Annotated[str, Field(max_length=_READ_LIMIT), AfterValidator(_reply)]
#: An internal note's text.
NoteText = Annotated[str, Field(max_length=_READ_LIMIT),
                     AfterValidator(_limited("note", MAX_NOTE_LENGTH))]
#: A canned reply's text.
CannedText = Annotated[str, Field(max_length=_READ_LIMIT),
                       AfterValidator(_limited("canned reply's text", MAX_CANNED_TEXT))]


class NoteIn(BaseModel):
    """An internal note: for the desk only, never sent to the customer."""

    text: NoteText


class NoteOut(BaseModel):
    """The stored note."""

    ticket_id: str
    note_id: str


class TransferIn(BaseModel):
    """The agent who takes the ticket (online or not)."""

    agent_id: Annotated[str, Field(min_length=1, max_length=64)]


class TransferOut(BaseModel):
    """``transferred`` is false when that agent held the ticket already."""

    ticket_id: str
    agent_id: str
    transferred: bool


class PriorityIn(BaseModel):
    """The ticket's new priority."""

    priority: Priority


class PriorityOut(BaseModel):
    """``changed`` is false when the ticket had that priority already."""

    ticket_id: str
    priority: Priority
    changed: bool


class ReopenOut(BaseModel):
    """``reopened`` is false when the ticket was open; ``agent_id`` holds it now (``null``:
    it waits in the queue)."""

    ticket_id: str
    reopened: bool
    agent_id: str | None


class PreviewIn(BaseModel):
    """A reply being written."""

    text: Annotated[str, Field(max_length=_READ_LIMIT)]


class PreviewOut(BaseModel):
    """The WhatsApp messages the reply becomes, exactly as the sender splits it, and
    whether the desk takes it (``problem``: why not, in one sentence)."""

    parts: list[str]
    limit: int = Field(description="WhatsApp's characters per message")
    characters: int
    max_characters: int = Field(description="the longest reply the desk takes")
    accepted: bool
    problem: str | None


class CannedIn(BaseModel):
    """A canned reply (the id is in the path). ``text`` may hold {customer_name},
    {agent_name} and {phone}."""

    title: Annotated[str, Field(max_length=_READ_LIMIT),
                     AfterValidator(_limited("title", MAX_TITLE_LENGTH))]
    text: CannedText


class CannedOut(BaseModel):
    """A canned reply."""

    id: str
    title: str
    text: str


class SuggestionOut(BaseModel):
    """A draft reply to the customer's last message (never sent by itself), or, with
    ``text`` null, why there is none."""

    text: str | None
    sources: list[str] = Field(description="the knowledge-base entries used (topic@lang)")
    confidence: float
    reason: str | None


class TimelineOut(BaseModel):
    """One stored event of the ticket or its conversation, in words."""

    at: datetime
    actor: str = Field(description="customer, ai, agent:<name>, admin or system")
    action: str
    source: Literal["agent_desk", "conversation_store"]
    event: str = Field(description="the stored event's class")
    version: int = Field(description="its version in its aggregate")
