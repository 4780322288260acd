"""Dependencies go away and come back under load: nothing is lost, nothing happens twice,
everything reconnects on its own, and ``/healthz`` says what is down meanwhile."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from helpline.adapters.nats.embedded import EmbeddedNatsServer
from tests.conftest import NATS_URL, require_service

from .conftest import (
    Customers,
    PrivatePostgres,
    assert_exactly_once,
    start_up,
    wait_for_replies,
)

pytestmark = pytest.mark.e2e


def test_postgresql_restarted_mid_load(private_postgres: PrivatePostgres,
                                       tmp_path: Path) -> None:
    host, port = NATS_URL.removeprefix("nats://").split(":")
    require_service("NATS", host, int(port))
    up = start_up(tmp_path, NATS_URL, f"t{uuid.uuid4().hex[:10]}",
                  PERSISTENCE_MODULE="eventsourcing.postgres", POSTGRES_DBNAME="test",
                  POSTGRES_PORT=str(private_postgres.port))
    customers = Customers(up.base, customers=60)
    try:
        up.wait_healthy()
        customers.start(400)
        time.sleep(5)
        private_postgres.stop("immediate")  # as a crash would: no goodbye to the clients
        time.sleep(2)
        health = up.health()
        assert health.status_code == 503
        assert {"conversation_store", "agent_desk", "customer_directory"} <= set(
            health.json()["down"]), health.json()
        time.sleep(8)
        private_postgres.start()
        customers.join()
        replies = wait_for_replies(up, customers.wamids)
        up.wait_healthy(30)
    finally:
        customers.stop()
        up.stop()
    assert_exactly_once(replies, customers.wamids)
    log = up.log.read_text()
    assert "Traceback" not in log, log[-3000:]


def test_nats_killed_for_ten_seconds_mid_load(private_nats: EmbeddedNatsServer,
                                              tmp_path: Path) -> None:
    up = start_up(tmp_path, private_nats.url, "helpline")
    customers = Customers(up.base, customers=60)
    try:
        up.wait_healthy()
        customers.start(400)
        time.sleep(5)
        assert private_nats.process is not None
        private_nats.process.kill()  # SIGKILL: JetStream's file store stays
        private_nats.process.wait()
        time.sleep(2)
        health = up.health()
        assert health.status_code == 503 and "nats" in health.json()["down"]
        time.sleep(8)
        private_nats.start()
        customers.join()
        replies = wait_for_replies(up, customers.wamids)
        up.wait_healthy(30)
    finally:
        customers.stop()
        up.stop()
    assert customers.refused, "no webhook was refused while NATS was down"
    assert_exactly_once(replies, customers.wamids)
