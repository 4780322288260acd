"""End to end: ``helpline up`` with the sample knowledge base against a bare JetStream relay.

Both are driven the same way in the same run: signed WhatsApp webhooks over HTTP (500
customers x 4 messages over 16 business numbers, 32 requests in flight), and the run ends
when the fake Graph API (its own process) has received one reply per message. The baseline
(``benchmarks/bare_relay.py``) does the same trip with no work: webhook with HMAC → JetStream
→ five pull-consumer hops → POST to the Graph API. Reported: replies per second from the
first webhook to the last reply, the reply latency, the webhook's ack time, and the ratio of
helpline's throughput to the baseline's.

``python -m benchmarks e2e``; ``BENCH_E2E_CUSTOMERS`` (500), ``BENCH_E2E_MESSAGES`` (4),
``BENCH_E2E_STORES`` (``sqlite,postgres``).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

from benchmarks.harness import (
    ROOT,
    SECRET,
    Load,
    Result,
    drop_schema,
    free_port,
    postgres_schema,
    process,
    run_load,
    transport,
    wait_http,
)


def load() -> Load:
    """The load, from the environment."""
    return Load(customers=int(os.environ.get("BENCH_E2E_CUSTOMERS", "500")),
                per_customer=int(os.environ.get("BENCH_E2E_MESSAGES", "4")))


def baseline(nats_url: str, graph: str, tmp: Path, work: Load) -> Result:
    """The bare relay under the load."""
    port = free_port()
    with process([sys.executable, "-m", "benchmarks.bare_relay", str(port), nats_url, graph],
                 {}, tmp / "bare.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        return run_load("bare relay", f"http://127.0.0.1:{port}/webhooks/whatsapp", graph,
                        work, "bare")


def helpline_env(nats_url: str, graph: str, data_dir: Path, port: int,
                 extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of ``helpline up`` in a benchmark."""
    return {"NATS_URL": nats_url, "HELPLINE_DATA_DIR": str(data_dir),
            "HELPLINE_HTTP_PORT": str(port), "HELPLINE_KB_PATH": str(ROOT / "examples/kb"),
            "HELPLINE_FAKE_GRAPH": "false", "WHATSAPP_GRAPH_URL": graph,
            "WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_ACCESS_TOKEN": SECRET,
            "WHATSAPP_VERIFY_TOKEN": SECRET, "HELPLINE_ADMIN_TOKEN": SECRET,
            "HELPLINE_SUBJECT_PREFIX": f"b{uuid.uuid4().hex[:8]}", **(extra or {})}


def helpline(name: str, nats_url: str, graph: str, tmp: Path, work: Load,
             extra: dict[str, str] | None = None) -> Result:
    """``helpline up`` under the load."""
    port = free_port()
    data = tmp / name.replace(" ", "-")
    data.mkdir()
    env = helpline_env(nats_url, graph, data, port, extra)
    with process([sys.executable, "-m", "helpline.cli", "up"], env,
                 tmp / f"{data.name}.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout_s=120)
        return run_load(name, f"http://127.0.0.1:{port}/webhooks/whatsapp", graph, work,
                        data.name)


def main() -> None:
    """Baseline, then helpline on each store; print each run and its ratio."""
    work = load()
    stores = os.environ.get("BENCH_E2E_STORES", "sqlite,postgres").split(",")
    print(f"{work.customers} customers x {work.per_customer} messages over {work.numbers} "
          f"business numbers, {work.concurrency} webhooks in flight")
    with transport() as (nats_url, graph, tmp):
        base = baseline(nats_url, graph, tmp, work)
        print(base.line(), flush=True)
        for store in stores:
            extra = {}
            schema = postgres_schema() if store == "postgres" else None
            if store == "postgres" and schema is None:
                continue
            if schema:
                extra = {"PERSISTENCE_MODULE": "eventsourcing.postgres",
                         "POSTGRES_DBNAME": "test", "POSTGRES_SCHEMA": schema}
            try:
                result = helpline(f"helpline {store}", nats_url, graph, tmp, work, extra)
            finally:
                if schema:
                    drop_schema(schema)
            print(result.line(), flush=True)
            print(f"ratio helpline({store})/bare = {result.rate / base.rate:.2f}; webhook ack "
                  f"p99 {result.ack_p99_ms:.1f} ms vs bare {base.ack_p99_ms:.1f} ms",
                  flush=True)
