"""Shared fixtures: persistence environments and reachability of PostgreSQL and NATS.

When a service is unreachable, tests that need it skip with a reason naming it, except when
``HELPLINE_REQUIRE_SERVICES=1`` (set by ``.ci/run``): then they fail, so CI cannot go green
without running them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

PG_HOST = os.environ.get("HELPLINE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("HELPLINE_TEST_PG_PORT", "5432"))
PG_DB = os.environ.get("HELPLINE_TEST_PG_DB", "test")
PG_USER = os.environ.get("HELPLINE_TEST_PG_USER", "postgres")
NATS_URL = os.environ.get("HELPLINE_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or fail in CI) when ``name`` does not answer on ``host:port``."""
    if _reachable(host, port):
        return
    reason = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("HELPLINE_REQUIRE_SERVICES") == "1":
        pytest.fail(reason + " (HELPLINE_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def postgres_env(schema: str | None = None) -> dict[str, str]:
    """An eventsourcing environment on the test PostgreSQL database (in ``schema`` if given:
    each test gets its own, so tests and parallel runs never share tables)."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": PG_DB,
        "POSTGRES_HOST": PG_HOST,
        "POSTGRES_PORT": str(PG_PORT),
        "POSTGRES_USER": PG_USER,
        "POSTGRES_PASSWORD": "",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def postgres_conninfo() -> str:
    """A libpq connection string for the test database."""
    return f"dbname={PG_DB} host={PG_HOST} port={PG_PORT} user={PG_USER}"


@pytest.fixture
def pg_available() -> None:
    """Require PostgreSQL."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)


@pytest.fixture
def nats_available() -> str:
    """Require NATS; returns its URL."""
    host, port = NATS_URL.removeprefix("nats://").split(":")
    require_service("NATS", host, int(port))
    return NATS_URL


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped after the test."""
    import psycopg

    require_service("PostgreSQL", PG_HOST, PG_PORT)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["popo", "sqlite", "postgres"])
def es_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, str]]:
    """An eventsourcing environment for each persistence module: POPO, SQLite, PostgreSQL."""
    kind = request.param
    if kind == "popo":
        yield {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    elif kind == "sqlite":
        path = tmp_path_factory.mktemp("es") / f"{uuid.uuid4().hex}.sqlite"
        yield {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    else:
        yield postgres_env(request.getfixturevalue("pg_schema"))
