"""The console's reads over the views: inbox views with their counts, search, and what the
ticket detail shows (transcript lines, the hand-over, the customer's earlier tickets).

Who sees what (``agent_id`` is the caller's; ``None`` is the admin, who sees everything):

- ``mine``: the open tickets the agent holds (none for the admin, who holds none);
- ``queue``: open tickets no agent holds, queued while nobody was online included;
- ``open``: for an agent ``mine`` and ``queue``; for the admin every ticket not closed;
- ``closed``: the agent's closed tickets; for the admin every closed ticket.

A :class:`ConsoleReads` is mixed into ``HelpdeskView``, whose ``select`` / ``select_sql``
run the queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from helpline.adapters.sql import Dialect
from helpline.projections.rows import Row, TicketRow
from helpline.projections.schema import TICKET_SELECT, TICKETS_FROM, WITH_CONVERSATION
from helpline.projections.search import Terms, search_terms
from helpline.projections.transcript import Line, assemble, plain_reason, source_title

View = Literal["mine", "queue", "open", "closed"]
VIEWS: tuple[View, ...] = ("mine", "queue", "open", "closed")

_MINE = "agent_id = :agent_id AND status = 'open'"
_QUEUE = "status = 'queued'"
#: (view, is the caller the admin) -> the tickets it shows.
_WHERE: dict[tuple[View, bool], str] = {
    ("mine", False): _MINE,
    ("mine", True): "1 = 0",
    ("queue", False): _QUEUE,
    ("queue", True): _QUEUE,
    ("open", False): f"(({_MINE}) OR {_QUEUE})",
    ("open", True): "status <> 'closed'",
    ("closed", False): "agent_id = :agent_id AND status = 'closed'",
    ("closed", True): "status = 'closed'",
}
_ORDER: dict[View, str] = {"mine": "opened_at, ticket_id", "queue": "opened_at, ticket_id",
                           "open": "opened_at, ticket_id",
                           "closed": "closed_at DESC, ticket_id"}


@dataclass(frozen=True)
class Handoff:
    """Why the AI handed the conversation to a person, and the entries it considered."""

    reason: str
    sources: tuple[tuple[str, str], ...]
    """(``topic@lang``, a title) of each knowledge-base entry."""


@dataclass(frozen=True)
class HandedOver:
    """A question the AI handed to a person: what the customer asked, why, and when."""

    ticket_id: str
    conversation_id: str
    question: str
    reason: str
    """In plain words (``transcript.plain_reason``)."""
    opened_at: datetime
    language: str | None


def may_see(ticket: TicketRow, agent_id: str | None) -> bool:
    """Whether the caller (``None``: the admin) may see ``ticket``: their own (open or
    closed) and the queue; the admin every ticket."""
    return agent_id is None or ticket.agent_id == agent_id or ticket.status == "queued"


class ConsoleReads:
    """The console's queries (mixed into ``HelpdeskView``)."""

    if TYPE_CHECKING:  # provided by HelpdeskView
        search_match: str
        dialect: Dialect

        def select(self, query: str, params: Row) -> list[Row]: ...

        def select_sql(self, sql: str, params: Row) -> list[Row]: ...

        def match_param(self, terms: Terms) -> str: ...

    def ticket_list(
        self, view: View, *, agent_id: str | None, q: str | None = None, limit: int = 50,
    ) -> list[TicketRow]:
        """The tickets of ``view`` the caller sees (``agent_id`` ``None``: the admin),
        matching the search ``q`` if given (raises ``SearchError`` for a search the index
        cannot serve)."""
        where = _WHERE[(view, agent_id is None)]
        params: dict[str, Any] = {"agent_id": agent_id, "limit": limit}
        source = TICKETS_FROM
        if q is not None and q.strip():
            # The matching conversations first (the index), then their tickets by
            # conversation: SQLite's CROSS JOIN and PostgreSQL's ARRAY(...) (evaluated once)
            # keep either from scanning the view's tickets instead.
            params["q"] = self.match_param(search_terms(q))
            if self.dialect.postgres:
                where = f"t.conversation_id = ANY(ARRAY({self.search_match})) AND {where}"
            else:
                source = (f"{TICKET_SELECT} FROM (SELECT DISTINCT conversation_id AS m "
                          f"FROM ({self.search_match}) x) m CROSS JOIN {{p}}tickets t "
                          f"{WITH_CONVERSATION}")
                where = f"t.conversation_id = m.m AND {where}"
        sql = f"{source} WHERE {where} ORDER BY {_ORDER[view]} LIMIT :limit"
        return [TicketRow.from_row(r) for r in self.select_sql(sql, params)]

    def ticket_counts(self, *, agent_id: str | None) -> dict[str, int]:
        """How many tickets each view shows the caller."""
        counts: dict[str, int] = {}
        for view in VIEWS:
            where = _WHERE[(view, agent_id is None)]
            [row] = self.select_sql(f"SELECT COUNT(*) AS n FROM {{p}}tickets t WHERE {where}",
                                    {"agent_id": agent_id})
            counts[view] = int(row["n"])
        return counts

    def lines(self, conversation_id: str) -> list[Line]:
        """The conversation's transcript as the console shows it: every line labelled, with
        its ticket, its delivery status and the tickets' own lines (notes), in the order
        things happened."""
        params = {"conversation_id": conversation_id}
        return assemble(self.select("lines", params), self.select("ticket_lines", params),
                        self.select("outbound", params))

    def handoff(self, ticket_id: str) -> Handoff | None:
        """Why the ticket was opened, in plain words, and the entries the AI considered."""
        rows = self.select("handoff", {"ticket_id": ticket_id})
        if not rows:
            return None
        ids = json.loads(rows[0]["sources"] or "[]")
        return Handoff(plain_reason(rows[0]["reason"]),
                       tuple((str(i), source_title(str(i))) for i in ids))

    def handed_over(self, limit: int = 500) -> list[HandedOver]:
        """The questions the AI handed over, newest first: for each ticket its hand-over
        opened, the customer's message the AI answered (tickets opened for other causes, such
        as a reply that could not be delivered, are not listed)."""
        return [HandedOver(str(r["ticket_id"]), str(r["conversation_id"]), str(r["question"]),
                           plain_reason(r["reason"]),
                           datetime.fromtimestamp(float(r["opened_at"]), UTC), r["language"])
                for r in self.select("handed_over", {"limit": limit})
                if r["question"]]

    def tickets_of_phone(self, phone: str, limit: int = 20) -> list[TicketRow]:
        """The tickets of a phone number, newest first."""
        return [TicketRow.from_row(r)
                for r in self.select("tickets_of_phone", {"phone": phone, "limit": limit})]

    def latest_ticket_of(self, conversation_id: str) -> TicketRow | None:
        """The conversation's newest ticket, if it has one."""
        rows = self.select_sql(
            f"{TICKETS_FROM} WHERE t.conversation_id = :conversation_id "
            "ORDER BY opened_at DESC LIMIT 1",
            {"conversation_id": conversation_id})
        return TicketRow.from_row(rows[0]) if rows else None


__all__ = ["VIEWS", "ConsoleReads", "HandedOver", "Handoff", "View", "may_see"]
