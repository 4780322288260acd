"""eventsourcing's SQLite persistence with a chosen durability level.

eventsourcing opens SQLite in WAL mode with SQLite's default ``synchronous=FULL``: an fsync
per commit, which on these machines caps a database at about 200 commits/s — about 40
conversation turns/s. In WAL mode ``synchronous=NORMAL`` keeps every commit across a crash
or SIGKILL of the process (what the tests kill) and can lose only the last commits on a power
loss or OS crash. ``SQLITE_SYNCHRONOUS`` chooses (``NORMAL`` by default, ``FULL`` for the
strictest durability); production deployments use PostgreSQL.

Use it as ``PERSISTENCE_MODULE=helpline.adapters.sqlite_store:Factory``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment

SYNCHRONOUS_MODES = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})


class _Pool(SQLiteConnectionPool):
    """A connection pool that sets ``PRAGMA synchronous`` on each new connection."""

    def __init__(self, *, synchronous: str, **kwargs: Any) -> None:
        self.synchronous = synchronous
        super().__init__(**kwargs)

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        raw: sqlite3.Connection = conn._sqlite_conn
        raw.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn


class Factory(SQLiteFactory):
    """``eventsourcing.sqlite``'s factory; ``SQLITE_SYNCHRONOUS`` sets the durability."""

    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        mode = (self.env.get(self.SQLITE_SYNCHRONOUS) or "NORMAL").strip().upper()
        if mode not in SYNCHRONOUS_MODES:
            raise OSError(f"{self.SQLITE_SYNCHRONOUS} must be one of "
                          f"{', '.join(sorted(SYNCHRONOUS_MODES))}, not {mode!r}")
        old = self.datastore.pool
        self.datastore.pool = _Pool(
            synchronous=mode, db_name=old.db_name, lock_timeout=old.lock_timeout)
        old.close()
