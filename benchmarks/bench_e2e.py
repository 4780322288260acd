"""End-to-end throughput and latency over real NATS, against a bare JetStream relay.

All five services run in one process (as ``helpline up``) on an embedded ``nats-server``;
N inbound events are published and we time each until its *Send WhatsApp Business Text
Message* reaches ms-whatsapp. The baseline relays the same payloads through the same five
JetStream hops with FastStream and no processing, in the same run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub

from helpline.adapters.nats.consumer import publish_all
from helpline.adapters.nats.embedded import EmbeddedNatsServer
from helpline.adapters.nats.runtime import SERVICES, ServiceRuntime, ensure_streams
from helpline.adapters.nats.topology import Topology
from helpline.application import InMemoryCustomerDirectory, SendResult
from helpline.bootstrap import bootstrap
from helpline.catalog import SendWhatsAppBusinessTextMessage, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings
from helpline.domain.ids import conversation_id_for

N = int(os.environ.get("BENCH_E2E_N", "5000"))
HOPS = 5


class TimingSender:
    """Records when each reply reaches ms-whatsapp."""

    def __init__(self) -> None:
        self.done: dict[str, float] = {}
        self.all_done = asyncio.Event()
        self.loop = asyncio.get_event_loop()

    def send(self, command: SendWhatsAppBusinessTextMessage) -> SendResult:
        self.done[command.reply_to_wamid or ""] = time.perf_counter()
        if len(self.done) >= N:
            self.loop.call_soon_threadsafe(self.all_done.set)
        return SendResult((f"wamid.out.{command.message_id.hex}",))


def _inbound(i: int) -> WhatsAppBusinessTextMessageReceived:
    phone = f"347{i:08d}"
    now = datetime.now(UTC)
    return WhatsAppBusinessTextMessageReceived(
        message_id=uuid.uuid4(), correlation_id=str(conversation_id_for(phone)),
        occurred_at=now, wamid=f"wamid.bench.{i}", phone_number_id="106540352242922",
        sender_phone=phone, text="¿Cuál es el horario?", sent_at=now)


def _report(name: str, started: dict[str, float], done: dict[str, float],
            elapsed: float) -> float:
    lat = sorted((done[k] - started[k]) * 1000 for k in done if k in started)
    rate = len(lat) / elapsed
    p50 = statistics.median(lat)
    p99 = lat[int(len(lat) * 0.99) - 1]
    print(f"{name:<28} {len(lat):>6} msgs  {rate:8.1f} msg/s  p50 {p50:7.1f} ms  "
          f"p99 {p99:7.1f} ms", flush=True)
    return rate


async def _helpline(url: str, env_kind: str, data_dir: Path, schema: str = "") -> float:
    topo = Topology(prefix=f"b{uuid.uuid4().hex[:8]}")
    settings = Settings(helpline_data_dir=data_dir, persistence_module=env_kind,  # type: ignore[arg-type]
                        postgres_dbname="test", postgres_schema=schema)
    sender = TimingSender()
    container = bootstrap(settings, sender=sender, directory=InMemoryCustomerDirectory())
    runtime = ServiceRuntime(container.services, SERVICES, url, topo)
    await runtime.start()
    assert runtime.broker is not None
    messages = [_inbound(i) for i in range(N)]
    started: dict[str, float] = {}
    t0 = time.perf_counter()
    for m in messages:
        started[m.wamid] = time.perf_counter()
        await publish_all(runtime.broker, topo, [m])
    await asyncio.wait_for(sender.all_done.wait(), 600)
    elapsed = time.perf_counter() - t0
    await runtime.stop()
    container.close()
    return _report(f"helpline ({env_kind.split('.')[-1]})", started, sender.done, elapsed)


async def _baseline(url: str) -> float:
    prefix = f"r{uuid.uuid4().hex[:8]}"
    stream = prefix.upper()
    import nats
    from nats.js.api import StreamConfig

    nc = await nats.connect(url)
    await nc.jetstream().add_stream(StreamConfig(name=stream, subjects=[f"{prefix}.>"]))
    await nc.close()
    broker = NatsBroker(url, logger=None)
    done: dict[str, float] = {}
    finished = asyncio.Event()
    js = JStream(stream, declare=False)
    for hop in range(1, HOPS + 1):
        def make(hop: int):
            async def relay(msg: NatsMessage) -> None:
                if hop < HOPS:
                    await broker.publish(msg.body, f"{prefix}.h{hop + 1}", stream=stream,
                                         headers={"Nats-Msg-Id": f"{hop}:{msg.message_id}",
                                                  "Wamid": msg.headers.get("Wamid", "")})
                else:
                    key = msg.headers.get("Wamid", "")
                    done[key] = time.perf_counter()
                    if len(done) >= N:
                        finished.set()
                await msg.ack()
            return relay
        broker.subscriber(f"{prefix}.h{hop}", stream=js, durable=f"h{hop}",
                          pull_sub=PullSub(batch_size=16, timeout=1.0),
                          ack_policy=AckPolicy.MANUAL, max_workers=4)(make(hop))
    await broker.start()
    messages = [_inbound(i) for i in range(N)]
    started: dict[str, float] = {}
    t0 = time.perf_counter()
    for m in messages:
        started[m.wamid] = time.perf_counter()
        await broker.publish(m.to_json(), f"{prefix}.h1", stream=stream,
                             headers={"Nats-Msg-Id": str(m.message_id), "Wamid": m.wamid})
    await asyncio.wait_for(finished.wait(), 600)
    elapsed = time.perf_counter() - t0
    await broker.stop()
    return _report("bare FastStream relay", started, done, elapsed)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    """Run the baseline, then helpline on SQLite and on PostgreSQL (if reachable)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"nats://127.0.0.1:{_free_port()}"
        server = EmbeddedNatsServer(url, Path(tmp) / "nats")
        server.start()
        try:
            asyncio.run(ensure_streams(url, Topology(prefix="warmup")))
            print(f"{N} conversations, {HOPS} JetStream hops each")
            base = asyncio.run(_baseline(url))
            sqlite = asyncio.run(_helpline(url, "eventsourcing.sqlite", Path(tmp) / "sqlite"))
            print(f"ratio helpline(sqlite)/baseline = {sqlite / base:.2f}")
            try:
                socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
            except OSError:
                print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
                return
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:12]}"
            conninfo = "dbname=test host=127.0.0.1 user=postgres"
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            try:
                pg = asyncio.run(_helpline(url, "eventsourcing.postgres", Path(tmp) / "pg",
                                           schema))
                print(f"ratio helpline(postgres)/baseline = {pg / base:.2f}")
            finally:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            server.stop()
