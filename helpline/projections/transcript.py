"""The transcript as the console shows it, assembled from the views' rows (pure functions).

- The conversation's lines (``turns``) and the tickets' own lines (``ticket_lines``: notes,
  reopenings, transfers) are merged by time.
- **"Ticket opened" before "Agent assigned".** ms-conv-store handles *Ticket Opened* and
  *Agent Assigned* on two durable consumers (one per message class), so it may log the
  assignment first, and the conversation keeps its lines in the order it logged them. The
  desk opens a ticket before it assigns it, always: :func:`opened_first` puts each ticket's
  "opened" line before its first "assigned" line.
- Each outbound line (the AI's, an agent's, a system reply) carries its delivery status from
  the status webhooks: the least advanced status of its pieces (a long text is sent as
  several WhatsApp messages), ``failed`` with the reason when a piece failed or the send was
  refused.
"""

from __future__ import annotations

import re
from datetime import datetime
from heapq import merge
from typing import Any

from pydantic import BaseModel, ConfigDict

from helpline.domain.handover import ReasonKind, reason_kind

Row = dict[str, Any]

_RANKED = ("sent", "delivered", "read")


class LineFacts(BaseModel):
    """What the agent API publishes of a transcript line as the views hold it (``Line`` and
    the API's ``TurnOut`` both extend it; the API names ``author``, ``kind`` and ``delivery``
    by their values and reads ``at`` as a time)."""

    model_config = ConfigDict(frozen=True)

    id: str
    author_name: str | None
    text: str
    ticket_id: str | None
    failure_reason: str | None
    seq: int
    message_id: str | None


class Line(LineFacts):
    """One line of the transcript (see ``schema`` for where each field comes from), built with
    validation, so mypy checks the keywords it is built with (``model_construct`` takes any)."""

    # An unknown keyword is an error, for mypy too, as it was for the dataclass line (only
    # here: the API's TurnOut must not say ``additionalProperties: false``).
    model_config = ConfigDict(extra="forbid")

    author: str
    at: str
    """An ISO time, as the views store it."""
    kind: str
    delivery: str | None


def _delivery(turn: Row, pieces: list[Row]) -> tuple[str | None, str | None]:
    """(status, failure reason) of an outbound line from its pieces' statuses."""
    if turn["failure_reason"]:
        return "failed", str(turn["failure_reason"])
    failed = [p for p in pieces if p["status"] == "failed"]
    if failed:
        return "failed", str(failed[0]["error"] or "WhatsApp could not deliver the message.")
    ranked = [p["status"] for p in pieces if p["status"] in _RANKED]
    if not ranked:
        return None, None
    return min(ranked, key=_RANKED.index), None


def _turn_line(turn: Row, pieces: dict[str, list[Row]]) -> Line:
    reply_id = turn["reply_id"]
    delivery, reason = (_delivery(turn, pieces.get(reply_id, [])) if reply_id
                        else (None, None))
    return Line(id=f"c{turn['seq']}", author=turn["author"], author_name=turn["author_name"],
                text=turn["text"], at=turn["at"], ticket_id=turn["ticket_id"],
                kind=turn["kind"], delivery=delivery, failure_reason=reason, seq=turn["seq"],
                message_id=turn["message_id"])


def _ticket_line(row: Row) -> Line:
    return Line(id=f"t{row['line_id']}", author=row["author"], author_name=row["author_name"],
                text=row["text"], at=row["at"], ticket_id=row["ticket_id"], kind=row["kind"],
                delivery=None, failure_reason=None, seq=0, message_id=None)


def opened_first(lines: list[Line]) -> list[Line]:
    """``lines`` with each ticket's ``ticket_opened`` line moved before that ticket's first
    ``agent_assigned`` line when it was logged after it (see the module docstring)."""
    out = list(lines)
    for line in [x for x in lines if x.kind == "ticket_opened"]:
        first = next((j for j, x in enumerate(out)
                      if x.kind == "agent_assigned" and x.ticket_id == line.ticket_id), None)
        here = out.index(line)
        if first is not None and first < here:
            out.insert(first, out.pop(here))
    return out


def assemble(turns: list[Row], ticket_lines: list[Row], outbound: list[Row]) -> list[Line]:
    """The transcript from the views' rows (turns in order, ticket lines by time)."""
    pieces: dict[str, list[Row]] = {}
    for piece in outbound:
        if piece["reply_id"]:
            pieces.setdefault(piece["reply_id"], []).append(piece)
    conversation = [_turn_line(t, pieces) for t in turns]
    tickets = [_ticket_line(r) for r in ticket_lines]
    merged = list(merge(conversation, tickets, key=lambda x: datetime.fromisoformat(x.at)))
    return opened_first(merged)


# -- the hand-over, in plain words -------------------------------------------------------------

#: What an agent reads for each known kind of hand-over reason.
_PLAIN: dict[ReasonKind, str] = {
    "person": "The customer asked for a person.",
    "nothing": "The knowledge base has nothing that answers this question.",
    "unsure": "The AI was not sure enough of its answer.",
    "asked": "The AI asked for a person to take over.",
}


def plain_reason(reason: str | None) -> str:
    """The hand-over reason as an agent should read it: a sentence, without thresholds,
    scores or other internal wording."""
    text = " ".join((reason or "").split())
    if not text:
        return "The AI handed the conversation over to a person."
    kind = reason_kind(text)
    if kind is not None:
        return _PLAIN[kind]
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def source_title(source_id: str) -> str:
    """A readable title for a knowledge-base entry id (``opening-hours@es`` →
    "Opening hours (es)")."""
    topic, _, language = source_id.partition("@")
    words = re.sub(r"[-_]+", " ", topic).strip() or source_id
    title = words[0].upper() + words[1:]
    return f"{title} ({language})" if language else title


__all__ = ["Line", "LineFacts", "assemble", "opened_first", "plain_reason", "source_title"]
