"""What the end-to-end benchmarks share: processes on free ports, a fake Graph API, and a
load generator that posts signed WhatsApp webhooks and waits for the replies.

Everything runs as real processes on loopback: an embedded ``nats-server``, the fake Graph API
(``helpline fake-graph``), the system under test, and this load generator. The same load, the
same fake and the same NATS serve the baseline and helpline in one run, so their ratio is
what the benchmarks report.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from helpline.adapters.whatsapp.builders import build_text_notification
from helpline.adapters.whatsapp.signature import sign

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789"

#: Questions the sample knowledge base answers with confidence (no hand-over), so every
#: message gets exactly one reply and the run measures the AI path.
QUESTIONS = (
    "a q hora abris el sabado?", "donde teneis la tienda en madrid",
    "is there an email I can write to?", "when will my parcel arrive if i order today",
    "is delivery free?", "como hago el seguimiento del paquete",
    "cuantos dias tengo para devolver algo", "i want to return my order",
)


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None,
              timeout_s: float = 60.0) -> None:
    """Wait until ``url`` answers 200 (and ``proc`` is still running)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout_s:.0f} s")


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[
        subprocess.Popen[bytes]]:
    """Run ``args`` with ``env`` (added to this environment), logging to ``log``; SIGTERM on
    exit, SIGKILL if it does not stop within 15 s."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def fake_graph(tmp: Path) -> Iterator[str]:
    """A fake Graph API in its own process; yields its base URL."""
    port = free_port()
    with process([sys.executable, "-m", "helpline.cli", "fake-graph", "--port", str(port),
                  "--log-level", "warning"],
                 {"WHATSAPP_ACCESS_TOKEN": SECRET}, tmp / "fake-graph.log") as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/_fake/stats", proc)
        yield base


@contextlib.contextmanager
def transport() -> Iterator[tuple[str, str, Path]]:
    """An embedded nats-server and a fake Graph API on free ports, in a temporary folder:
    yields (NATS URL, Graph API URL, the folder)."""
    from helpline.adapters.nats.embedded import EmbeddedNatsServer

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        nats_url = f"nats://127.0.0.1:{free_port()}"
        server = EmbeddedNatsServer(nats_url, tmp / "nats")
        server.start()
        try:
            with fake_graph(tmp) as graph:
                yield nats_url, graph, tmp
        finally:
            server.stop()


PG_CONNINFO = "dbname=test host=127.0.0.1 user=postgres"


def postgres_schema() -> str | None:
    """A fresh schema in the test database, or ``None`` if PostgreSQL does not answer."""
    try:
        import psycopg

        with psycopg.connect(PG_CONNINFO, autocommit=True, connect_timeout=2) as conn:
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
            return schema
    except Exception as e:
        print(f"PostgreSQL (dbname=test on 127.0.0.1:5432) is not reachable: {e}")
        return None


def drop_schema(schema: str) -> None:
    """Drop a schema made by ``postgres_schema``."""
    import psycopg

    with psycopg.connect(PG_CONNINFO, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@dataclass(frozen=True)
class Load:
    """``customers`` customers write ``per_customer`` messages each, round by round, from
    ``numbers`` business numbers, with ``concurrency`` webhook requests in flight."""

    customers: int = 500
    per_customer: int = 4
    numbers: int = 16
    concurrency: int = 32

    @property
    def total(self) -> int:
        """How many messages (and replies)."""
        return self.customers * self.per_customer

    def bodies(self, tag: str) -> list[tuple[str, bytes]]:
        """(wamid, signed body) for every message, in sending order."""
        now = int(time.time())
        out = []
        for round_ in range(self.per_customer):
            for c in range(self.customers):
                wamid = f"wamid.{tag}.{c}.{round_}"
                body = json.dumps(build_text_notification(
                    phone_number_id=f"10654035224{c % self.numbers:04d}",
                    sender_phone=f"3469{c:07d}", text=QUESTIONS[(c + round_) % len(QUESTIONS)],
                    wamid=wamid, timestamp=now)).encode()
                out.append((wamid, body))
        return out


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    name: str
    messages: int
    seconds: float
    latency_p50_ms: float
    latency_p99_ms: float
    ack_p50_ms: float
    ack_p99_ms: float

    @property
    def rate(self) -> float:
        """Replies per second, from the first webhook to the last reply."""
        return self.messages / self.seconds

    def line(self) -> str:
        """One line for the report."""
        return (f"{self.name:<26} {self.messages:>6} msgs {self.rate:8.1f} msg/s  "
                f"reply p50 {self.latency_p50_ms:7.0f} ms p99 {self.latency_p99_ms:7.0f} ms  "
                f"webhook ack p50 {self.ack_p50_ms:6.1f} ms p99 {self.ack_p99_ms:6.1f} ms")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q + 0.5) - 1))]


async def _post_all(webhook: str, bodies: list[tuple[str, bytes]], concurrency: int
                    ) -> tuple[dict[str, float], list[float]]:
    sent_at: dict[str, float] = {}
    acks: list[float] = []
    retries: list[str] = []
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        async def worker() -> None:
            while not queue.empty():
                wamid, body = queue.get_nowait()
                headers = {"X-Hub-Signature-256": sign(body, SECRET),
                           "Content-Type": "application/json"}
                while True:
                    started = time.time()
                    try:
                        response = await client.post(webhook, content=body, headers=headers)
                    except httpx.TransportError:  # a dropped keep-alive connection
                        retries.append(wamid)
                        continue
                    if response.status_code == 200:
                        break
                    retries.append(wamid)
                    await asyncio.sleep(0.5)  # 503: Meta retries later, so do we
                sent_at.setdefault(wamid, started)
                acks.append((time.time() - started) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    if retries:
        print(f"  ({len(retries)} webhook posts were retried, as Meta would)")
    return sent_at, acks


async def _replies(graph: str, expected: int, timeout_s: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=30.0) as client:
        while True:
            stats = (await client.get(f"{graph}/_fake/stats")).json()
            if stats["messages"] >= expected or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        messages: list[dict[str, object]] = (await client.get(
            f"{graph}/_fake/messages")).json()["messages"]
        await client.delete(f"{graph}/_fake/messages")
    return messages


def run_load(name: str, webhook: str, graph: str, load: Load, tag: str,
             timeout_s: float = 600.0) -> Result:
    """Post the load's webhooks, wait for one reply per message at the fake Graph API and
    measure. Raises if a message got no reply or more than one."""
    bodies = load.bodies(tag)
    started = time.time()
    sent_at, acks = asyncio.run(_post_all(webhook, bodies, load.concurrency))
    replies = asyncio.run(_replies(graph, load.total, timeout_s))
    per_wamid: dict[str, float] = {}
    duplicates = 0
    for reply in replies:
        wamid = str(reply.get("context_message_id"))
        if wamid in per_wamid:
            duplicates += 1
        per_wamid[wamid] = datetime.fromisoformat(str(reply["received_at"])).timestamp()
    missing = [w for w, _ in bodies if w not in per_wamid]
    if missing or duplicates:
        raise AssertionError(f"{name}: {len(missing)} messages without a reply (e.g. "
                             f"{missing[:3]}), {duplicates} duplicate replies")
    latencies = [(per_wamid[w] - sent_at[w]) * 1000 for w, _ in bodies]
    return Result(name=name, messages=load.total, seconds=max(per_wamid.values()) - started,
                  latency_p50_ms=statistics.median(latencies),
                  latency_p99_ms=_p(latencies, 0.99), ack_p50_ms=statistics.median(acks),
                  ack_p99_ms=_p(acks, 0.99))
