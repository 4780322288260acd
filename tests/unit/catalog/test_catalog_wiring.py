"""The NATS wiring against the catalog: each service subscribes to exactly what it consumes."""

from __future__ import annotations

import pytest

from helpline.adapters.nats.routers import SUBSCRIPTIONS
from helpline.catalog import MESSAGES, SERVICES

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", SERVICES)
def test_jetstream_subscriptions_are_the_catalog_consumers(service: str) -> None:
    # Queries and replies travel over core NATS request/reply, not JetStream subscriptions.
    expected = {m for m in MESSAGES if service in m.consumers and m.kind in ("event", "command")}
    assert set(SUBSCRIPTIONS[service]) == expected
    assert len(SUBSCRIPTIONS[service]) == len(expected)
