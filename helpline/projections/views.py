"""The materialised views: a ``TrackingRecorder`` that keeps the read models' rows and the
projections' positions in the same database, so that each batch of rows commits atomically
with its tracking record (a batch applied twice is refused, never double counted).

The console's reads (inbox views, counts, search, the ticket detail) are in
``helpline.projections.inbox``, mixed in here."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from helpline.adapters.sql import POSTGRES, SQLITE, Dialect
from helpline.projections.inbox import ConsoleReads
from helpline.projections.rows import (
    AgentRow,
    ConversationRow,
    Metrics,
    Row,
    TicketRow,
    TurnRow,
)
from helpline.projections.schema import (
    QUERIES,
    SCHEMA_VERSION,
    STATEMENTS,
    TABLES,
    Op,
    ddl,
    statements,
)
from helpline.projections.search import (
    POSTGRES_DDL,
    POSTGRES_MATCH,
    SQLITE_DDL,
    SQLITE_MATCH,
    Terms,
)

log = logging.getLogger(__name__)


class _Datastore(Protocol):
    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]: ...


class HelpdeskView(ConsoleReads, TrackingRecorder, ABC):
    """The read models (agent inbox, tickets by status, transcripts, conversations by phone
    and customer, agents, metrics) and the positions of the projections that build them."""

    prefix: str
    dialect: Dialect
    #: The query of the conversations whose search documents match ``:q``.
    search_match: str
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
        self._sql_cache: dict[str, str] = {}

    def _create_versioned(self, create_tables: Callable[[], None]) -> None:
        """Create the tables with the recorder's ``create_tables`` (what each view's
        ``create_table`` calls): a view built by another version of them (see
        ``schema.SCHEMA_VERSION``) is dropped first, so the projections rebuild it."""
        with self.datastore.transaction(commit=True) as cursor:
            if self._table_exists(cursor, "tickets") and self._version(cursor) != SCHEMA_VERSION:
                log.warning("the views' tables changed shape: rebuilding them from the logs")
                self._drop(cursor)
        create_tables()
        with self.datastore.transaction(commit=True) as cursor:
            if self._version(cursor) is None:
                cursor.execute(f"INSERT INTO {self.prefix}schema_version (version) VALUES "
                               f"({SCHEMA_VERSION})")

    @abstractmethod
    def _table_exists(self, cursor: Any, table: str) -> bool:
        """Whether ``table`` exists (each dialect asks its own catalog)."""

    def _stored_name(self, table: str) -> str:
        """The name ``table`` has in the database (the tracking table's is whole)."""
        return table if table == self.tracking_table_name else f"{self.prefix}{table}"

    def _version(self, cursor: Any) -> int | None:
        if not self._table_exists(cursor, "schema_version"):
            return None
        cursor.execute(f"SELECT version FROM {self.prefix}schema_version")
        row = cursor.fetchone()
        return None if row is None else int(dict(row)["version"])

    def _drop(self, cursor: Any) -> None:
        """Drop the read models' tables and forget the projections' positions."""
        for table in ("search_fts", *TABLES["tickets"], *TABLES["conversations"],
                      "schema_version"):
            cursor.execute(f"DROP TABLE IF EXISTS {self.prefix}{table}")
        if self._table_exists(cursor, self.tracking_table_name.removeprefix(self.prefix)):
            cursor.execute(f"DELETE FROM {self.tracking_table_name}")

    def select_sql(self, sql: str, params: Row) -> list[Row]:
        """Run a query written with ``{p}`` for the table prefix and ``:name`` parameters."""
        compiled = self._sql_cache.get(sql)
        if compiled is None:
            compiled = self._sql_cache[sql] = statements(self.prefix, {"q": sql},
                                                         self.dialect)["q"]
        with self.datastore.transaction(commit=False) as cursor:
            self._execute(cursor, compiled, params)
            return [dict(r) for r in cursor.fetchall()]

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
    search_match = SQLITE_MATCH

    def __init__(self, datastore: SQLiteDatastore, prefix: str = "view_") -> None:
        self.prefix = prefix
        super().__init__(datastore)
        self._compile()

    def construct_create_table_statements(self) -> list[str]:
        """The tracking table and the read models' tables."""
        return [*super().construct_create_table_statements(),
                *ddl(self.prefix, SQLITE, SQLITE_DDL)]

    def _table_exists(self, cursor: Any, table: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (self._stored_name(table),))
        return cursor.fetchone() is not None

    def create_table(self) -> None:
        """Create the tables (a view of another schema version is rebuilt)."""
        self._create_versioned(super().create_table)

    def match_param(self, terms: Terms) -> str:
        """The ``:q`` of ``search_match``: the FTS5 phrase."""
        return terms.fts()


class PostgresHelpdeskView(PostgresTrackingRecorder, HelpdeskView):
    """The views in PostgreSQL; every table, tracking included, is named with ``prefix``."""

    dialect = POSTGRES
    search_match = POSTGRES_MATCH

    def __init__(self, datastore: PostgresDatastore, prefix: str = "helpline_view_") -> None:
        from psycopg.sql import SQL

        self.prefix = prefix
        super().__init__(datastore, tracking_table_name=f"{prefix}tracking")
        self.sql_create_statements.extend(SQL(s).format()
                                          for s in ddl(prefix, POSTGRES, POSTGRES_DDL))
        self._compile()

    def _table_exists(self, cursor: Any, table: str) -> bool:
        cursor.execute("SELECT to_regclass(%s) AS t", (self._stored_name(table),))
        row = cursor.fetchone()
        return row is not None and dict(row)["t"] is not None

    def create_table(self) -> None:
        """Create the tables (a view of another schema version is rebuilt)."""
        self._create_versioned(super().create_table)

    def match_param(self, terms: Terms) -> str:
        """The ``:q`` of ``search_match``: the ``tsquery``."""
        return terms.tsquery()

    def _execute(self, cursor: Any, sql: str, params: Any) -> None:
        cursor.execute(sql, params, prepare=True)

    def drop_tables(self) -> None:
        """Drop every table of this view (tests and benchmarks clean up with it)."""
        with self.datastore.transaction(commit=True) as curs:
            for table in (*TABLES["tickets"], *TABLES["conversations"], "schema_version",
                          "tracking"):
                curs.execute(f"DROP TABLE IF EXISTS {self.prefix}{table}")


__all__ = ["AgentRow", "ConversationRow", "HelpdeskView", "Metrics", "PostgresHelpdeskView",
           "Row", "SqliteHelpdeskView", "TicketRow", "TurnRow"]
