"""The SQL plumbing shared by helpline's own tables in SQLite and PostgreSQL (the send ledger,
the customer directory, the views): statements are written once, in SQLite's parameter style
(``?`` and ``:name``), and a :class:`Dialect` rewrites them for psycopg; a database object runs
them with the connection handling each store needs.

- :class:`SqliteDatabase`: one connection shared by threads under a lock, autocommit, WAL,
  optionally ``PRAGMA synchronous``.
- :class:`PostgresDatabase` / :class:`AsyncPostgresDatabase`: a small psycopg pool that
  replaces a connection PostgreSQL dropped (a restart) before handing it out, autocommit.

Table names stay unqualified: ``POSTGRES_SCHEMA`` comes with the connection, as the
``search_path`` of ``Settings.postgres_conninfo()`` (or of the views' datastore).
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from psycopg_pool import AsyncConnectionPool, ConnectionPool

Args = Sequence[Any]
Rows = list[tuple[Any, ...]]

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)")


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite and PostgreSQL in a statement helpline writes once."""

    postgres: bool
    #: The float column type.
    real: str

    def sql(self, text: str) -> str:
        """``text``, written with SQLite's ``?`` and ``:name`` parameters, in this dialect
        (psycopg's ``%s`` and ``%(name)s`` for PostgreSQL)."""
        return _psycopg_style(text) if self.postgres else text


@functools.lru_cache(maxsize=1024)
def _psycopg_style(text: str) -> str:
    return _NAMED.sub(r"%(\1)s", text.replace("?", "%s"))


SQLITE = Dialect(postgres=False, real="REAL")
POSTGRES = Dialect(postgres=True, real="DOUBLE PRECISION")


class Database(Protocol):
    """What the stores need of a database (:class:`SqliteDatabase`, :class:`PostgresDatabase`)."""

    def run(self, sql: str, args: Args = ()) -> tuple[int, Rows]:
        """Run one statement (its own transaction): the rows it changed and returned."""
        ...

    def run_many(self, sql: str, rows: Sequence[Args]) -> None:
        """Run one statement for each of ``rows`` in one transaction."""
        ...

    def ping(self) -> bool:
        """Whether the database answers."""
        ...

    def close(self) -> None:
        """Close its connections."""
        ...


class AsyncDatabase(Protocol):
    """:class:`Database` for asyncio (:class:`SqliteDatabase` in a worker thread,
    :class:`AsyncPostgresDatabase`)."""

    async def arun(self, sql: str, args: Args = ()) -> tuple[int, Rows]:
        """Run one statement (its own transaction): the rows it changed and returned."""
        ...

    async def arun_many(self, sql: str, rows: Sequence[Args]) -> None:
        """Run one statement for each of ``rows`` in one transaction."""
        ...


def identifier(name: str) -> str:
    """``name`` quoted as an SQL identifier (the same in both dialects)."""
    return '"' + name.replace('"', '""') + '"'


class SqliteDatabase:
    """A SQLite file: one connection shared by threads under a lock, in autocommit mode."""

    def __init__(self, path: str | Path, *, synchronous: str | None = None,
                 timeout: float = 5.0) -> None:
        if synchronous not in (None, "NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        self._conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False,
                                     isolation_level=None)
        self._lock = threading.Lock()
        self.run("PRAGMA journal_mode=WAL")
        if synchronous is not None:
            self.run(f"PRAGMA synchronous={synchronous}")

    def run(self, sql: str, args: Args = ()) -> tuple[int, Rows]:
        """Run one statement (its own transaction): the rows it changed and returned."""
        with self._lock:
            cursor = self._conn.execute(sql, args)
            return cursor.rowcount, cursor.fetchall()

    def run_many(self, sql: str, rows: Sequence[Args]) -> None:
        """Run one statement for each of ``rows`` in one transaction."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(sql, rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    async def arun(self, sql: str, args: Args = ()) -> tuple[int, Rows]:
        """:meth:`run` in a worker thread."""
        return await asyncio.to_thread(self.run, sql, args)

    async def arun_many(self, sql: str, rows: Sequence[Args]) -> None:
        """:meth:`run_many` in a worker thread."""
        await asyncio.to_thread(self.run_many, sql, rows)

    def ping(self) -> bool:
        """Whether the file answers."""
        self.run("SELECT 1")
        return True

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def _pool_options() -> dict[str, Any]:
    return {"min_size": 1, "max_size": 4, "kwargs": {"autocommit": True}}


class PostgresDatabase:
    """PostgreSQL over a small pool that replaces a dropped connection before handing it out."""

    def __init__(self, conninfo: str) -> None:
        self._pool = ConnectionPool(conninfo, open=True, check=ConnectionPool.check_connection,
                                    **_pool_options())

    def run(self, sql: str, args: Args = ()) -> tuple[int, Rows]:
        """Run one statement (its own transaction): the rows it changed and returned."""
        with self._pool.connection() as conn, conn.cursor() as cursor:
            cursor.execute(POSTGRES.sql(sql).encode(), args)
            return cursor.rowcount, cursor.fetchall() if cursor.description else []

    def run_many(self, sql: str, rows: Sequence[Args]) -> None:
        """Run one statement for each of ``rows`` in one transaction."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(POSTGRES.sql(sql).encode(), rows)

    def ping(self) -> bool:
        """Whether PostgreSQL answers."""
        self.run("SELECT 1")
        return True

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()


class AsyncPostgresDatabase:
    """:class:`PostgresDatabase` for asyncio; waiting for a connection gives up after
    ``wait_s`` seconds (``PoolTimeout``: the caller retries later)."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, conninfo: str, *, wait_s: float = 5.0) -> AsyncPostgresDatabase:
        """Open the pool (waiting at most ``wait_s`` for its first connection)."""
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            conninfo, open=False, timeout=wait_s, check=AsyncConnectionPool.check_connection,
            **_pool_options())
        await pool.open(wait=True, timeout=wait_s)
        return cls(pool)

    async def arun(self, sql: str, args: Args = ()) -> tuple[int, Rows]:
        """Run one statement (its own transaction): the rows it changed and returned."""
        async with self._pool.connection() as conn, conn.cursor() as cursor:
            await cursor.execute(POSTGRES.sql(sql).encode(), args)
            return cursor.rowcount, await cursor.fetchall() if cursor.description else []

    async def arun_many(self, sql: str, rows: Sequence[Args]) -> None:
        """Run one statement for each of ``rows`` in one transaction."""
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.executemany(POSTGRES.sql(sql).encode(), rows)

    async def aclose(self) -> None:
        """Close the pool."""
        await self._pool.close()
