"""AI assist for agents: a draft reply to the customer's last message, from the answerer
ms-rag uses (the knowledge base). It only drafts: nothing is stored or sent; the agent edits
the draft and sends it as their own reply."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from uuid import UUID

from pydantic import ValidationError

from helpline.application.conversation_store import ConversationStore
from helpline.application.ports import Answerer
from helpline.catalog import CustomerInfo, Turn
from helpline.domain.conversation import HISTORY_TURNS, Conversation
from helpline.domain.handover import ReasonKind, reason_kind
from helpline.domain.transcript import JSON

#: The longest hand-off reason shown to an agent as it is.
MAX_REASON = 300


@dataclass(frozen=True)
class Suggestion:
    """A draft reply (``text``), or why there is none (``text`` ``None``, ``reason``)."""

    text: str | None
    sources: tuple[str, ...] = ()
    confidence: float = 0.0
    reason: str | None = None


#: Why there is no draft, for each known kind of hand-over reason.
_NO_DRAFT: dict[ReasonKind, str] = {
    "person": "The customer asked for a person, so there is nothing to draft from the "
              "knowledge base; write your own reply.",
    "nothing": "The knowledge base has nothing that answers this message.",
    "unsure": "The AI was not sure enough of an answer to draft one; write your own reply.",
    "asked": "The AI asked for a person to take over; write your own reply.",
}


def why_no_draft(reason: str | None) -> str:
    """Why the answerer gave no draft, in words for an agent (answerers give technical
    reasons such as a score below a threshold: :func:`reason_kind` knows them)."""
    if not reason:
        return "The knowledge base has no answer to draft for this message."
    kind = reason_kind(reason)
    if kind is not None:
        return _NO_DRAFT[kind]
    return reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 1] + "…"


def plain_reason(reason: str | None) -> str:
    """Deprecated name of :func:`why_no_draft` (the transcript's wording of a hand-over is
    ``helpline.projections.transcript.plain_reason``)."""
    warnings.warn("helpline.application.assist.plain_reason is now why_no_draft",
                  DeprecationWarning, stacklevel=2)
    return why_no_draft(reason)


def suggest_reply(store: ConversationStore, answerer: Answerer,
                  conversation_id: UUID | str) -> Suggestion:
    """Draft a reply to the last customer message of the conversation."""
    conv = store.find(conversation_id, Conversation)
    if conv is None:
        return Suggestion(None, reason="The conversation is not recorded yet; try again in a "
                                       "moment.")
    turns = _turns_up_to_last_customer_message(store, conv)
    if not turns:
        return Suggestion(None, reason="The customer has not written anything yet.")
    # What ms-rag is given for a message: the recent turns, the message itself the last.
    answer = answerer.answer(turns[-1].text, turns[-HISTORY_TURNS:], _customer(conv.customer))
    if answer.open_ticket:
        return Suggestion(None, reason=why_no_draft(answer.reason))
    return Suggestion(answer.text, tuple(answer.sources), answer.confidence)


def _turns_up_to_last_customer_message(store: ConversationStore,
                                       conv: Conversation) -> list[Turn]:
    """The recent turns ending with the customer's last message (the whole transcript is
    read only when the recent turns hold none)."""
    lines: list[JSON] = list(conv.recent_turns)
    if not any(line["author"] == "customer" for line in lines):
        lines = [t.model_dump(mode="json") for t in store.transcript(conv.id)]
    last = max((i for i, line in enumerate(lines) if line["author"] == "customer"),
               default=None)
    if last is None:
        return []
    return [Turn.model_validate(line) for line in lines[:last + 1]]


def _customer(data: JSON | None) -> CustomerInfo | None:
    if not data:
        return None
    try:
        return CustomerInfo.model_validate(data)
    except ValidationError:
        return None


__all__ = ["Suggestion", "plain_reason", "suggest_reply", "why_no_draft"]
