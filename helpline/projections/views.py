"""The materialised views: a ``TrackingRecorder`` that keeps the read models' rows and the
projections' positions in the same database, so that each batch of rows commits atomically
with its tracking record (a batch applied twice is refused, never double counted)."""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from helpline.adapters.sql import POSTGRES, SQLITE, Dialect
from helpline.projections.schema import QUERIES, STATEMENTS, TABLES, Op, ddl, statements

Row = dict[str, Any]


class _Datastore(Protocol):
    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]: ...


def _time(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True)
class TicketRow:
    """A ticket as the agent inbox and the ticket lists show it."""

    ticket_id: str
    conversation_id: str
    phone: str
    customer_id: str | None
    customer_name: str | None
    language: str | None
    reason: str
    status: str
    agent_id: str | None
    agent_name: str | None
    opened_at: datetime
    assigned_at: datetime | None
    first_answer_at: datetime | None
    last_answer_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    answers: int
    last_customer_text: str | None
    last_customer_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> TicketRow:
        """Build from a database row (epoch seconds become aware datetimes)."""
        times = ("opened_at", "assigned_at", "first_answer_at", "last_answer_at", "closed_at",
                 "last_customer_at")
        values: Row = {k: (_time(v) if k in times else v) for k, v in row.items()}
        return cls(**values)

    def waiting_since(self) -> datetime | None:
        """Since when the customer waits for the agent: the last customer message not
        answered yet (or the opening, if the agent has not written at all)."""
        if self.status != "open":
            return None
        if self.last_answer_at is None:
            return self.last_customer_at or self.opened_at
        if self.last_customer_at is not None and self.last_customer_at > self.last_answer_at:
            return self.last_customer_at
        return None


@dataclass(frozen=True)
class TurnRow:
    """One line of a conversation transcript."""

    seq: int
    author: str
    text: str
    at: str
    message_id: str | None


@dataclass(frozen=True)
class ConversationRow:
    """A conversation as the look-ups by phone or customer show it."""

    conversation_id: str
    phone: str
    customer_id: str | None
    customer_name: str | None
    started_at: datetime
    last_customer_at: datetime | None
    customer_messages: int
    ai_answers: int
    agent_answers: int
    tickets_requested: int
    open_ticket_id: str | None

    @classmethod
    def from_row(cls, row: Row) -> ConversationRow:
        """Build from a database row."""
        values: Row = {k: (_time(v) if k in ("started_at", "last_customer_at") else v)
                       for k, v in row.items()}
        return cls(**values)


@dataclass(frozen=True)
class AgentRow:
    """An agent as the roster view shows it."""

    agent_id: str
    name: str
    email: str
    languages: tuple[str, ...]
    max_tickets: int
    online: bool


@dataclass(frozen=True)
class Metrics:
    """Service metrics: who resolves conversations and how fast humans respond."""

    conversations: int
    ai_resolved: int
    escalated: int
    tickets: dict[str, int]
    avg_first_response_seconds: float | None
    max_first_response_seconds: float | None
    avg_resolution_seconds: float | None
    max_resolution_seconds: float | None


class HelpdeskView(TrackingRecorder, ABC):
    """The read models (agent inbox, tickets by status, transcripts, conversations by phone
    and customer, agents, metrics) and the positions of the projections that build them."""

    prefix: str
    dialect: Dialect
    #: The table of the projections' positions.
    tracking_table_name: str
    if TYPE_CHECKING:  # what the eventsourcing recorder each view also is provides
        @property
        def datastore(self) -> _Datastore: ...

        def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None: ...

    # -- writing (projections) ----------------------------------------------------------------

    def _compile(self) -> None:
        self._ops = statements(self.prefix, STATEMENTS, self.dialect)
        self._queries = statements(self.prefix, QUERIES, self.dialect)

    def _execute(self, cursor: Any, sql: str, params: Any) -> None:
        cursor.execute(sql, params)

    def apply(self, ops: Sequence[Op], tracking: Tracking) -> None:
        """Run the row operations and record ``tracking`` in one transaction (raises
        ``IntegrityError`` if ``tracking`` is not past the recorded position)."""
        with self.datastore.transaction(commit=True) as cursor:
            for name, params in ops:
                self._execute(cursor, self._ops[name], params)
            self._insert_tracking(cursor, tracking)

    def reset(self, projection: str, application_name: str) -> None:
        """Empty the tables of ``projection`` and forget its position in the notification
        log of ``application_name`` (the start of a rebuild)."""
        with self.datastore.transaction(commit=True) as cursor:
            for table in TABLES[projection]:
                cursor.execute(f"DELETE FROM {self.prefix}{table}")
            cursor.execute(self.dialect.sql(
                f"DELETE FROM {self.tracking_table_name} WHERE application_name = ?"),
                (application_name,))

    def select(self, query: str, params: Row) -> list[Row]:
        """Run the named query of ``schema.QUERIES``."""
        with self.datastore.transaction(commit=False) as cursor:
            self._execute(cursor, self._queries[query], params)
            return [dict(r) for r in cursor.fetchall()]

    def dump(self, projection: str) -> dict[str, list[Row]]:
        """Every row of the projection's tables, sorted (to compare two builds)."""
        out: dict[str, list[Row]] = {}
        with self.datastore.transaction(commit=False) as cursor:
            for table in TABLES[projection]:
                cursor.execute(f"SELECT * FROM {self.prefix}{table}")
                out[table] = sorted((dict(r) for r in cursor.fetchall()), key=repr)
        return out

    # -- reading (the agent API) ----------------------------------------------------------------

    def inbox(self, agent_id: str, limit: int = 200) -> list[TicketRow]:
        """The open tickets the agent holds, oldest first."""
        return [TicketRow.from_row(r)
                for r in self.select("inbox", {"agent_id": agent_id, "limit": limit})]

    def tickets(
        self, status: str, *, agent_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[TicketRow]:
        """Tickets with ``status`` (queued, open or closed), of one agent or of everyone."""
        params: Row = {"status": status, "limit": limit, "offset": offset}
        if agent_id is None:
            return [TicketRow.from_row(r) for r in self.select("tickets_by_status", params)]
        rows = self.select("agent_tickets_by_status", {**params, "agent_id": agent_id})
        return [TicketRow.from_row(r) for r in rows]

    def ticket(self, ticket_id: str) -> TicketRow | None:
        """The ticket ``ticket_id``, if the view has it."""
        rows = self.select("ticket", {"ticket_id": ticket_id})
        return TicketRow.from_row(rows[0]) if rows else None

    def transcript(self, conversation_id: str) -> list[TurnRow]:
        """The conversation's turns in order."""
        rows = self.select("transcript", {"conversation_id": conversation_id})
        return [TurnRow(**r) for r in rows]

    def conversation(self, conversation_id: str) -> ConversationRow | None:
        """The conversation ``conversation_id``, if the view has it."""
        rows = self.select("conversation", {"conversation_id": conversation_id})
        return ConversationRow.from_row(rows[0]) if rows else None

    def conversations(
        self, *, phone: str | None = None, customer_id: str | None = None, limit: int = 100
    ) -> list[ConversationRow]:
        """Conversations of a phone number or of a customer of the registry."""
        if phone is not None:
            rows = self.select("conversations_by_phone", {"phone": phone, "limit": limit})
        elif customer_id is not None:
            rows = self.select("conversations_by_customer",
                               {"customer_id": customer_id, "limit": limit})
        else:
            raise ValueError("give a phone or a customer_id")
        return [ConversationRow.from_row(r) for r in rows]

    def agents(self) -> list[AgentRow]:
        """Every registered agent."""
        return [AgentRow(agent_id=r["agent_id"], name=r["name"], email=r["email"],
                         languages=tuple(x for x in r["languages"].split(",") if x),
                         max_tickets=r["max_tickets"], online=bool(r["online"]))
                for r in self.select("agents", {})]

    def metrics(self) -> Metrics:
        """AI-resolved vs escalated conversations, tickets by status, human response and
        resolution times (seconds)."""
        conv = self.select("metrics_conversations", {})[0]
        status = {r["status"]: int(r["n"]) for r in self.select("metrics_status", {})}
        times = self.select("metrics_times", {})[0]

        def num(key: str) -> float | None:
            value = times[key]
            return None if value is None else float(value)

        return Metrics(
            conversations=int(conv["conversations"]), ai_resolved=int(conv["ai_resolved"]),
            escalated=int(conv["escalated"]),
            tickets={s: status.get(s, 0) for s in ("queued", "open", "closed")},
            avg_first_response_seconds=num("avg_first_response"),
            max_first_response_seconds=num("max_first_response"),
            avg_resolution_seconds=num("avg_resolution"),
            max_resolution_seconds=num("max_resolution"),
        )


class SqliteHelpdeskView(SQLiteTrackingRecorder, HelpdeskView):
    """The views in SQLite (the tracking table is SQLite's ``tracking``: one view per file)."""

    dialect = SQLITE
    tracking_table_name = "tracking"

    def __init__(self, datastore: SQLiteDatastore, prefix: str = "view_") -> None:
        self.prefix = prefix
        super().__init__(datastore)
        self._compile()

    def construct_create_table_statements(self) -> list[str]:
        """The tracking table and the read models' tables."""
        return [*super().construct_create_table_statements(), *ddl(self.prefix, SQLITE)]


class PostgresHelpdeskView(PostgresTrackingRecorder, HelpdeskView):
    """The views in PostgreSQL; every table, tracking included, is named with ``prefix``."""

    dialect = POSTGRES

    def __init__(self, datastore: PostgresDatastore, prefix: str = "helpline_view_") -> None:
        from psycopg.sql import SQL

        self.prefix = prefix
        super().__init__(datastore, tracking_table_name=f"{prefix}tracking")
        self.sql_create_statements.extend(SQL(s).format() for s in ddl(prefix, POSTGRES))
        self._compile()

    def _execute(self, cursor: Any, sql: str, params: Any) -> None:
        cursor.execute(sql, params, prepare=True)

    def drop_tables(self) -> None:
        """Drop every table of this view (tests and benchmarks clean up with it)."""
        with self.datastore.transaction(commit=True) as curs:
            for table in (*TABLES["tickets"], *TABLES["conversations"], "tracking"):
                curs.execute(f"DROP TABLE IF EXISTS {self.prefix}{table}")
