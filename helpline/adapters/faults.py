"""Dependencies that go away and come back: how to tell.

A database restarting or NATS failing over is not a bad message: whatever was being done will
work once the dependency is back, so nothing is dead-lettered for it, however many times it is
tried (:func:`is_unavailable`). Outages are logged with :class:`helpline.logs.OutageLog`.
"""

from __future__ import annotations

import sqlite3

import nats.errors
import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError

from helpline.application.errors import RetryLaterError

#: Errors that mean "a dependency is unreachable right now".
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError, InterfaceError,  # eventsourcing's, from either database
    psycopg.OperationalError, psycopg.InterfaceError, psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,  # "database is locked", a file system away
    nats.errors.ConnectionClosedError, nats.errors.NoServersError,
    nats.errors.ConnectionReconnectingError, nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    ConnectionError, TimeoutError, RetryLaterError,
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says a dependency is unreachable, or that the
    message must wait (:class:`~helpline.application.errors.RetryLaterError`)."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, UNAVAILABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
