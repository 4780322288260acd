"""Batch size sweep: ``helpline up`` on SQLite with ``HELPLINE_BATCH_SIZE`` 1, 8, 32, 64 and 128
under the end-to-end load of ``bench_e2e``, against the bare relay of the same run.

``python -m benchmarks batch``; ``BENCH_BATCH_SIZES`` (``1,8,32,64,128``), ``BENCH_BATCH_STORE``
(``sqlite``; ``postgres`` runs the sweep on PostgreSQL).
"""

from __future__ import annotations

import os

from benchmarks.bench_e2e import baseline, helpline, load
from benchmarks.harness import drop_schema, postgres_schema, transport


def main() -> None:
    """The sweep, each size's throughput, reply p99 and ratio to the bare relay."""
    sizes = [int(s) for s in os.environ.get("BENCH_BATCH_SIZES", "1,8,32,64,128").split(",")]
    store = os.environ.get("BENCH_BATCH_STORE", "sqlite")
    work = load()
    with transport() as (nats_url, graph, tmp):
        base = baseline(nats_url, graph, tmp, work)
        print(base.line(), flush=True)
        for size in sizes:
            extra = {"HELPLINE_BATCH_SIZE": str(size)}
            schema = postgres_schema() if store == "postgres" else None
            if schema:
                extra.update(PERSISTENCE_MODULE="eventsourcing.postgres",
                             POSTGRES_DBNAME="test", POSTGRES_SCHEMA=schema)
            try:
                result = helpline(f"batch {size} {store}", nats_url, graph, tmp, work, extra)
            finally:
                if schema:
                    drop_schema(schema)
            print(f"{result.line()}  ratio {result.rate / base.rate:.2f}", flush=True)
