"""Fixtures for tests over a real NATS server with JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest

from helpline.adapters.nats.topology import Topology
from helpline.catalog import CustomerInfo, WhatsAppBusinessTextMessageReceived
from helpline.domain.ids import conversation_id_for


@pytest.fixture
async def topology(nats_available: str) -> AsyncIterator[Topology]:
    """A topology with a prefix of its own; its streams are deleted afterwards."""
    topo = Topology(prefix=f"t{uuid.uuid4().hex[:10]}")
    yield topo
    nc = await nats.connect(nats_available)
    js = nc.jetstream()
    for name in (topo.stream, topo.dlq_stream):
        with contextlib.suppress(Exception):  # the test may not have created it
            await js.delete_stream(name)
    await nc.close()


def inbound(text: str, phone: str = "34600123456", wamid: str | None = None,
            ) -> WhatsAppBusinessTextMessageReceived:
    """An inbound WhatsApp message event as ms-whatsapp publishes it."""
    now = datetime.now(UTC)
    wamid = wamid or f"wamid.{uuid.uuid4().hex}"
    return WhatsAppBusinessTextMessageReceived(
        message_id=uuid.uuid5(uuid.NAMESPACE_URL, wamid),
        correlation_id=str(conversation_id_for(phone)), occurred_at=now, wamid=wamid,
        phone_number_id="106540352242922", sender_phone=phone, text=text, sent_at=now)


async def wait_until(predicate: Callable[[], Any], timeout_s: float = 20.0) -> None:
    """Poll ``predicate`` until true; fail after ``timeout_s``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {predicate}")
        await asyncio.sleep(0.05)


CUSTOMER = CustomerInfo(customer_id="cus_1", name="Lucía", phone="34600123456", language="es")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory for SQLite files."""
    return tmp_path
