"""The services as separate processes (``helpline serve``): SIGKILL mid-way and replicas.

Every inbound message must get exactly one *Send WhatsApp Business Text Message* command, and
the stores must hold every message once, whatever is killed and restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import nats
import pytest

from helpline.adapters.nats.consumer import publish_all
from helpline.adapters.nats.runtime import ensure_streams
from helpline.adapters.nats.topology import Topology
from helpline.application import ConversationStore
from helpline.catalog import SendWhatsAppBusinessTextMessage
from tests.integration.messaging.conftest import inbound

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """``helpline serve`` processes sharing a data directory and a subject prefix."""

    def __init__(self, url: str, topology: Topology, data_dir: Path) -> None:
        self.url, self.topology, self.data_dir = url, topology, data_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, service: str, *, module: str = "helpline.cli",
              env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "NATS_URL": self.url, "HELPLINE_DATA_DIR": str(self.data_dir),
               "HELPLINE_SUBJECT_PREFIX": self.topology.prefix,
               "HELPLINE_HTTP_PORT": str(_free_port()), "HELPLINE_ACK_WAIT_SECONDS": "5",
               **(env or {})}
        log = open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115
        args = ["serve", service] if module == "helpline.cli" else [service]
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env, stdout=log,
            stderr=subprocess.STDOUT)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    async def prepare(self) -> None:
        await ensure_streams(self.url, self.topology)

    async def cleanup(self) -> None:
        nc = await nats.connect(self.url)
        for name in (self.topology.stream, self.topology.dlq_stream):
            with contextlib.suppress(Exception):
                await nc.jetstream().delete_stream(name)
        await nc.close()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _phone(wamid: str) -> str:
    """One customer per inbound message: ``wamid.x.17`` → ``34600000017``."""
    return f"346{int(wamid.rsplit('.', 1)[1]):08d}"


async def _send_commands(url: str, topology: Topology) -> list[SendWhatsAppBusinessTextMessage]:
    """Every Send command stored in the stream (after JetStream's de-duplication)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(topology.subject(SendWhatsAppBusinessTextMessage),
                                      durable=None, stream=topology.stream)
        found: list[SendWhatsAppBusinessTextMessage] = []
        while True:
            try:
                batch = await sub.fetch(500, timeout=1.0)
            except TimeoutError:
                break
            found += [SendWhatsAppBusinessTextMessage.model_validate_json(m.data) for m in batch]
            for m in batch:
                await m.ack()
        return found
    finally:
        await nc.close()


async def _wait_for_sends(url: str, topology: Topology, n: int, timeout_s: float) -> list[
        SendWhatsAppBusinessTextMessage]:
    deadline = time.monotonic() + timeout_s
    while True:
        sends = await _send_commands(url, topology)
        if len({s.reply_to_wamid for s in sends}) >= n or time.monotonic() > deadline:
            return sends
        await asyncio.sleep(1.0)


async def _publish_inbound(url: str, topology: Topology, wamids: list[str]) -> None:
    from faststream.nats import NatsBroker

    broker = NatsBroker(url)
    await broker.connect()
    try:
        for wamid in wamids:
            await publish_all(broker, topology, [inbound(
                "¿horario?", phone=_phone(wamid), wamid=wamid)])
    finally:
        await broker.stop()


def _assert_one_send_per_message(sends: list[SendWhatsAppBusinessTextMessage],
                                 wamids: list[str]) -> None:
    """Every inbound message got exactly one Send command (after JetStream's de-dup)."""
    per_wamid = Counter(s.reply_to_wamid for s in sends)
    assert set(per_wamid) == set(wamids)
    assert all(count == 1 for count in per_wamid.values()), per_wamid.most_common(3)


def _check_stores(data_dir: Path, wamids: list[str]) -> None:
    store = ConversationStore({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                               "SQLITE_DBNAME": str(data_dir / "conversation_store.sqlite")})
    seen: Counter[str] = Counter()
    for wamid in wamids:
        conv = store.conversation_for_phone(_phone(wamid))
        assert conv is not None, f"conversation of {wamid} lost"
        turns = store.transcript(conv.id)
        seen.update(t.message_id for t in turns if t.author == "customer")
        assert [t.author for t in turns] == ["customer", "ai"], turns
    assert seen == Counter(wamids)
    store.close()


async def test_sigkill_conv_store_and_rag_midway(nats_available: str, tmp_path: Path) -> None:
    topology = Topology(prefix=f"t{uuid.uuid4().hex[:10]}")
    cluster = Cluster(nats_available, topology, tmp_path)
    await cluster.prepare()
    for service in ("ms-whatsapp", "ms-gateway", "ms-conv-store", "ms-rag", "ms-agents"):
        cluster.start(service, service)
    try:
        await asyncio.sleep(4)  # processes import and subscribe
        wamids = [f"wamid.crash.{i}" for i in range(200)]
        await _publish_inbound(nats_available, topology, wamids[:100])
        await _wait_for_sends(nats_available, topology, 20, 60)
        cluster.kill("ms-conv-store")
        await _publish_inbound(nats_available, topology, wamids[100:])
        cluster.start("ms-conv-store", "ms-conv-store")
        await _wait_for_sends(nats_available, topology, 120, 90)
        cluster.kill("ms-rag")
        await asyncio.sleep(1)
        cluster.start("ms-rag", "ms-rag")
        sends = await _wait_for_sends(nats_available, topology, 200, 180)
        _assert_one_send_per_message(sends, wamids)
    finally:
        cluster.stop_all()
        await cluster.cleanup()
    _check_stores(tmp_path, wamids)


async def test_two_conv_store_replicas_share_the_work(nats_available: str,
                                                      tmp_path: Path) -> None:
    topology = Topology(prefix=f"t{uuid.uuid4().hex[:10]}")
    cluster = Cluster(nats_available, topology, tmp_path)
    await cluster.prepare()
    for service in ("ms-whatsapp", "ms-gateway", "ms-rag", "ms-agents"):
        cluster.start(service, service)
    cluster.start("store-a", "ms-conv-store")
    cluster.start("store-b", "ms-conv-store")
    try:
        await asyncio.sleep(4)
        wamids = [f"wamid.replica.{i}" for i in range(100)]
        await _publish_inbound(nats_available, topology, wamids)
        sends = await _wait_for_sends(nats_available, topology, 100, 120)
        _assert_one_send_per_message(sends, wamids)
    finally:
        cluster.stop_all()
        await cluster.cleanup()
    _check_stores(tmp_path, wamids)


async def test_sigkill_in_the_middle_of_a_batch_commit(nats_available: str,
                                                       tmp_path: Path) -> None:
    """ms-conv-store is killed while a unit of work of several messages is written but not
    committed: the batch is lost as a whole, never acked, redelivered to the restarted
    process, and every message is answered exactly once."""
    topology = Topology(prefix=f"t{uuid.uuid4().hex[:10]}")
    cluster = Cluster(nats_available, topology, tmp_path)
    await cluster.prepare()
    for service in ("ms-whatsapp", "ms-gateway", "ms-rag", "ms-agents"):
        cluster.start(service, service)
    marker = tmp_path / "stalled"
    cluster.start("ms-conv-store", "ms-conv-store", module="tests.e2e.commit_stall",
                  env={"HELPLINE_TEST_STALL_MARKER": str(marker)})
    try:
        await asyncio.sleep(4)
        wamids = [f"wamid.batch.{i}" for i in range(120)]
        await _publish_inbound(nats_available, topology, wamids)
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "no batch commit was stalled"
            await asyncio.sleep(0.05)
        assert int(marker.read_text().split()[0]) >= 12  # a unit of several messages
        cluster.kill("ms-conv-store")
        cluster.start("ms-conv-store-again", "ms-conv-store")
        sends = await _wait_for_sends(nats_available, topology, len(wamids), 120)
        _assert_one_send_per_message(sends, wamids)
    finally:
        cluster.stop_all()
        await cluster.cleanup()
    _check_stores(tmp_path, wamids)
