"""Fixtures of the WhatsApp edge's integration tests: the fake Graph API served over HTTP."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
from whatsapp_servers import serve

from helpline.adapters.whatsapp.fake_graph import create_fake_graph_app
from helpline.adapters.whatsapp.graph_client import GraphClient, RateLimiter, RetryPolicy

TOKEN = "integration-test-access-token"
POSTGRES = "dbname=test host=127.0.0.1 port=5432 user=postgres"


@pytest.fixture(scope="module")
def fake_graph_url() -> Iterator[str]:
    with serve(create_fake_graph_app(TOKEN)) as url:
        yield url


@pytest.fixture
async def fake(fake_graph_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the fake's test hooks, on a fake that forgot everything."""
    async with httpx.AsyncClient(base_url=fake_graph_url, timeout=10) as hooks:
        (await hooks.delete("/_fake/messages")).raise_for_status()
        yield hooks


@pytest.fixture
async def graph(fake_graph_url: str) -> AsyncIterator[GraphClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield GraphClient(http, graph_url=fake_graph_url, api_version="v23.0",
                          access_token=TOKEN, rate_limiter=RateLimiter(1000.0),
                          retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05))


@pytest.fixture(scope="session")
def postgres_conninfo() -> str:
    """The local test database; skipped (or failed under HELPLINE_REQUIRE_SERVICES) if absent."""
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.OperationalError as e:
        if os.environ.get("HELPLINE_REQUIRE_SERVICES"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 (database 'test'): {e}")
    return POSTGRES
