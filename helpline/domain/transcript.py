"""Transcript lines: what a stored Conversation event shows in the conversation's history.

Each Conversation event that is a line of the conversation says so with its ``turn()``; the
aggregate's recent turns (the AI's context), the Conversation Document and the read
projections all read lines through :func:`turn_for`, so the three always say the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

JSON = dict[str, Any]


def turn(author: str, text: str, at: datetime, message_id: str | None,
         message_type: str = "text") -> JSON:
    """One line of the transcript."""
    return {"author": author, "text": text, "at": at.isoformat(), "message_id": message_id,
            "message_type": message_type}


def turn_for(event: object) -> JSON | None:
    """The line a stored event adds to its conversation's transcript, if any."""
    line = getattr(event, "turn", None)
    result: JSON | None = line() if callable(line) else None
    return result


__all__ = ["turn", "turn_for"]
