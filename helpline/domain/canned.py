"""Canned replies (ms-agents): texts an admin writes once and agents insert into a reply.

A text may hold placeholders, filled in for the ticket at hand when the agent inserts it:
``{customer_name}``, ``{agent_name}`` and ``{phone}`` (:data:`PLACEHOLDERS`). The console
renders them; :func:`render` is the same rule in Python, and :func:`unknown_placeholders`
lets the desk refuse a text with a misspelt one before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import uuid5

from eventsourcing.domain import Aggregate

from helpline.domain.errors import DomainError
from helpline.domain.ids import NAMESPACE

JSON = dict[str, Any]

#: The desk's single aggregate of canned replies.
CANNED_REPLIES_ID = uuid5(NAMESPACE, "canned-replies")
#: The placeholders a canned reply may hold.
PLACEHOLDERS = ("customer_name", "agent_name", "phone")
#: The longest title and text of a canned reply.
MAX_TITLE_LENGTH = 120
MAX_TEXT_LENGTH = 4096
#: A canned reply's id: lower-case letters, digits, ``-`` and ``_`` (it is in URLs).
REPLY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SPACED_PLACEHOLDER = re.compile(r"( ?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that are not placeholders, in order, each once."""
    found: list[str] = []
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS and name not in found:
            found.append(name)
    return found


def render(text: str, values: Mapping[str, str | None]) -> str:
    """``text`` with each placeholder replaced by its value. A placeholder without a value
    (an unregistered customer has no name) is dropped with the blank before it, so
    ``"Hola {customer_name}, ..."`` reads ``"Hola, ..."``. Braces that are not placeholders
    stay as written."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in PLACEHOLDERS:
            return match.group(0)
        value = values.get(name) or ""
        return match.group(1) + value if value else ""

    return _SPACED_PLACEHOLDER.sub(fill, text)


class CannedReplies(Aggregate):
    """Every canned reply of the desk, by id."""

    class Started(Aggregate.Created):
        """The desk's canned replies exist (none yet)."""

    class Saved(Aggregate.Event):
        """A canned reply was added or changed."""

        reply_id: str
        title: str
        text: str

        def apply(self, agg: CannedReplies) -> None:
            agg.replies[self.reply_id] = {"id": self.reply_id, "title": self.title,
                                          "text": self.text}

    class Deleted(Aggregate.Event):
        """A canned reply was removed."""

        reply_id: str

        def apply(self, agg: CannedReplies) -> None:
            agg.replies.pop(self.reply_id, None)

    def __init__(self) -> None:
        self.replies: dict[str, JSON] = {}

    @classmethod
    def start(cls, *, at: datetime) -> CannedReplies:
        """The desk's single set of canned replies."""
        return cls._create(cls.Started, id=CANNED_REPLIES_ID, timestamp=at)

    def listed(self) -> list[JSON]:
        """The replies by title (copies)."""
        return sorted((dict(r) for r in self.replies.values()),
                      key=lambda r: (r["title"].casefold(), r["id"]))

    def save(self, *, reply_id: str, title: str, text: str, at: datetime) -> bool:
        """Add or change a reply. ``False`` if it is unchanged."""
        title, text = title.strip(), text.strip()
        if not REPLY_ID.match(reply_id):
            raise DomainError("a canned reply's id is 1 to 64 lower-case letters, digits, "
                              "'-' or '_'")
        if not title or len(title) > MAX_TITLE_LENGTH:
            raise DomainError(f"a canned reply needs a title of 1 to {MAX_TITLE_LENGTH} "
                              "characters")
        if not text or len(text) > MAX_TEXT_LENGTH:
            raise DomainError(f"a canned reply needs a text of 1 to {MAX_TEXT_LENGTH} "
                              "characters")
        unknown = unknown_placeholders(text)
        if unknown:
            names = ", ".join("{" + n + "}" for n in unknown[:3])
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise DomainError(f"unknown placeholder {names}; use {allowed}")
        if self.replies.get(reply_id) == {"id": reply_id, "title": title, "text": text}:
            return False
        self.trigger_event(self.Saved, timestamp=at, reply_id=reply_id, title=title, text=text)
        return True

    def delete(self, *, reply_id: str, at: datetime) -> bool:
        """Remove a reply. ``False`` if there is none with this id."""
        if reply_id not in self.replies:
            return False
        self.trigger_event(self.Deleted, timestamp=at, reply_id=reply_id)
        return True


__all__ = ["CANNED_REPLIES_ID", "PLACEHOLDERS", "CannedReplies", "render",
           "unknown_placeholders"]
