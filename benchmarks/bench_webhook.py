"""Webhook ingest: signed notifications accepted per second through ``POST /webhooks/whatsapp``
(signature check, parse, durable JetStream publish: 200 only after the PubAck) against a bare
FastAPI endpoint that only returns 200, both served by uvicorn on 127.0.0.1 in their own
process, measured in the same run, on an embedded ``nats-server``.

``python -m benchmarks webhook``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

REQUESTS = int(os.environ.get("BENCH_WEBHOOK_REQUESTS", "3000"))
CONCURRENCY = int(os.environ.get("BENCH_WEBHOOK_CONCURRENCY", "16"))
WARMUP = 300
SECRET = "bench-app-secret"


def _serve(kind: str, port: int, nats_url: str) -> None:
    """Run one server (in the child process)."""
    from collections.abc import AsyncIterator, Sequence
    from contextlib import asynccontextmanager

    import uvicorn
    from fastapi import FastAPI, Response
    from faststream.nats import NatsBroker

    from helpline.adapters.http.webhook import create_webhook_router
    from helpline.adapters.nats.consumer import publish_all
    from helpline.adapters.nats.runtime import ensure_streams
    from helpline.adapters.nats.topology import Topology
    from helpline.catalog import CatalogMessage
    from helpline.config import Settings

    topology = Topology(prefix="benchwebhook")
    broker = NatsBroker(nats_url, logger=None)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ensure_streams(nats_url, topology)
        await broker.connect()
        yield
        await broker.stop()

    app = FastAPI(lifespan=lifespan)
    if kind == "bare":
        @app.post("/webhooks/whatsapp")
        async def bare() -> Response:
            return Response(status_code=200)
    else:
        async def publish(messages: Sequence[CatalogMessage]) -> None:
            await publish_all(broker, topology, messages)

        app.include_router(create_webhook_router(
            Settings(whatsapp_app_secret=SECRET, whatsapp_verify_token="bench"), publish))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(kind: str, nats_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_webhook", "serve", kind, str(port), nats_url],
        cwd=root)
    url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


def _bodies(count: int, offset: int) -> list[tuple[bytes, dict[str, str]]]:
    from helpline.adapters.whatsapp.builders import build_text_notification
    from helpline.adapters.whatsapp.signature import SIGNATURE_HEADER, sign

    bodies = []
    for i in range(offset, offset + count):
        note = build_text_notification(
            phone_number_id="106540352242922", sender_phone=f"3460{i % 1000:07d}",
            text=f"Hola, ¿a qué hora abrís el sábado? ({i})", wamid=f"wamid.bench.{i}",
            timestamp=1739321024 + i)
        body = json.dumps(note).encode()
        bodies.append((body, {"Content-Type": "application/json",
                              SIGNATURE_HEADER: sign(body, SECRET)}))
    return bodies


async def _load(url: str, bodies: list[tuple[bytes, dict[str, str]]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def worker() -> None:
            while not queue.empty():
                body, headers = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return len(bodies) / elapsed, latencies


def _p(latencies: list[float], q: int) -> float:
    """The ``q``-th percentile in milliseconds."""
    return statistics.quantiles(latencies, n=100)[q - 1] * 1000


def main() -> None:
    """Measure both endpoints and print rates, p50/p99 latencies and the ratio."""
    import tempfile

    from helpline.adapters.nats.embedded import EmbeddedNatsServer

    results: dict[str, tuple[float, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        nats_server = EmbeddedNatsServer(f"nats://127.0.0.1:{_free_port()}", Path(tmp))
        nats_server.start()
        try:
            for index, kind in enumerate(("bare", "webhook")):
                process, url = _start(kind, nats_server.url)
                try:
                    asyncio.run(_load(url, _bodies(WARMUP, 10_000_000 * index)))
                    results[kind] = asyncio.run(
                        _load(url, _bodies(REQUESTS, 10_000_000 * index + WARMUP)))
                finally:
                    process.terminate()
                    process.wait(timeout=10)
        finally:
            nats_server.stop()
    print(f"{REQUESTS} signed notifications, {CONCURRENCY} concurrent connections, "
          "uvicorn on 127.0.0.1, one process per server")
    for kind, (rate, latencies) in results.items():
        print(f"  {kind:8s} {rate:8.0f} req/s   p50 {_p(latencies, 50):6.2f} ms   "
              f"p99 {_p(latencies, 99):6.2f} ms")
    ratio = results["webhook"][0] / results["bare"][0]
    print(f"  webhook / bare throughput: {ratio:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        _serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
