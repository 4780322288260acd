"""Projection rebuild rate (events/s) on SQLite and PostgreSQL against a raw insert of the
same rows in the same run, and inbox query latency with 100,000 tickets in the view.

``python -m benchmarks projections``; PostgreSQL at 127.0.0.1:5432 (database ``test``) is
skipped with a note when unreachable."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import Tracking

from helpline.bootstrap import Container, Persistence, bootstrap
from helpline.catalog import TicketOpened, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings
from helpline.domain.ids import conversation_id_for
from helpline.projections import HelpdeskView, build_projections
from helpline.projections.schema import TABLES

CONVERSATIONS = 300
INBOX_TICKETS = 100_000
AGENTS = 200


def _events(tmp: Path) -> Container:
    """Conversations through the in-process services: a question, a hand-over, an agent
    answer and a close each."""
    container = bootstrap(Settings(helpline_data_dir=tmp / "apps"))
    desk, runner = container.services.desk, container.runner()
    for i in range(10):
        new = desk.register_agent(name=f"a{i}", email=f"a{i}@x.example", max_tickets=1000)
        desk.set_agent_status(new.agent_id, online=True)
    for i in range(CONVERSATIONS):
        phone = f"3460{i:07d}"
        for n, text in enumerate(("¿horario?", "quiero una persona", "el pedido 12")):
            at = datetime.now(UTC)
            runner.publish(WhatsAppBusinessTextMessageReceived(
                message_id=uuid4(), correlation_id=str(conversation_id_for(phone)),
                occurred_at=at, wamid=f"w.{i}.{n}", phone_number_id="1065403522",
                sender_phone=phone, profile_name="C", text=text, sent_at=at))
        ticket = [m for m in runner.log if isinstance(m, TicketOpened)][-1].ticket_id
        holder = desk.ticket(ticket).agent_id
        assert holder is not None
        runner.publish(*desk.answer(ticket, agent_id=holder, text="ok"))
        runner.publish(*desk.close_ticket(ticket, resolution="done", agent_id=holder))
    return container


def _views(tmp: Path) -> list[tuple[str, Callable[[str], HelpdeskView]]]:
    out: list[tuple[str, Callable[[str], HelpdeskView]]] = [
        ("sqlite", lambda p: Persistence(Settings(helpline_data_dir=tmp / p)).view(prefix=p))]
    pg = Settings(persistence_module="eventsourcing.postgres", postgres_dbname="test")
    try:
        Persistence(pg).view(prefix="bench_probe_").drop_tables()  # type: ignore[attr-defined]
        out.append(("postgres",
                    lambda p: Persistence(pg).view(prefix=f"bench{uuid4().hex[:6]}_{p}")))
    except Exception as e:
        print(f"postgres: skipped ({e})")
    return out


def _raw_insert(view: HelpdeskView, rows: dict[str, list[dict[str, Any]]]) -> float:
    """Insert the same rows in batches of 1000 with a tracking record each; seconds."""
    placeholder = "%s" if type(view).__name__.startswith("Postgres") else "?"
    started = time.perf_counter()
    n = 0
    for table, table_rows in rows.items():
        if not table_rows:
            continue
        cols = list(table_rows[0])
        sql = (f"INSERT INTO {view.prefix}{table} ({', '.join(cols)}) VALUES "
               f"({', '.join([placeholder] * len(cols))})")
        for i in range(0, len(table_rows), 1000):
            n += 1
            ops = [tuple(r[c] for c in cols) for r in table_rows[i:i + 1000]]
            with view.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
                c.executemany(sql, ops)
                view._insert_tracking(c, Tracking(f"raw-{table}", n))  # type: ignore[attr-defined]
    return time.perf_counter() - started


def _inbox_latency(view: HelpdeskView) -> tuple[float, float]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ops = []
    for i in range(INBOX_TICKETS):
        at = (start + timedelta(seconds=i)).timestamp()
        ops.append(("ticket_opened", {
            "ticket_id": str(uuid4()), "conversation_id": str(uuid4()), "phone": "34600000000",
            "customer_id": None, "customer_name": None, "language": "es", "reason": "r",
            "at": at}))
        agent = f"agt_{i % AGENTS}"
        ops.append(("ticket_assigned", {"ticket_id": ops[-1][1]["ticket_id"],
                                        "agent_id": agent, "agent_name": agent, "at": at}))
        if (i // AGENTS) % 10:
            ops.append(("ticket_closed", {"ticket_id": ops[-2][1]["ticket_id"],
                                          "resolution": "x", "at": at + 60}))
    for i in range(0, len(ops), 20_000):
        view.apply(ops[i:i + 20_000], Tracking("bench", i + 1))
    timings = []
    for i in range(300):
        t = time.perf_counter()
        rows = view.inbox(f"agt_{i % AGENTS}")
        timings.append((time.perf_counter() - t) * 1000)
        assert len(rows) == INBOX_TICKETS // AGENTS // 10
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)]


def main() -> None:
    """Print rebuild and raw-insert rates per database and the inbox latency."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        container = _events(tmp)
        services = container.services
        total = ((services.store.recorder.max_notification_id() or 0)
                 + (services.desk.recorder.max_notification_id() or 0))
        print(f"event log: {total} events from {CONVERSATIONS} conversations "
              f"({time.perf_counter() - started:.1f} s to record)")
        for name, make in _views(tmp):
            view = make("rebuild_")
            projections = build_projections(view, desk=services.desk, store=services.store,
                                            batch_size=1000)
            t = time.perf_counter()
            read = projections.rebuild()
            rebuild = time.perf_counter() - t
            rows = {table: rows for p in TABLES for table, rows in view.dump(p).items()}
            nrows = sum(len(r) for r in rows.values())
            raw_view = make("raw_")
            raw = _raw_insert(raw_view, rows)
            print(f"{name}: rebuild {read} events in {rebuild:.2f} s = {read / rebuild:,.0f} "
                  f"events/s ({nrows} rows); raw insert of the same {nrows} rows "
                  f"{raw:.2f} s = {nrows / raw:,.0f} rows/s")
            inbox_view = make("inbox_")
            p50, p99 = _inbox_latency(inbox_view)
            print(f"{name}: inbox query with {INBOX_TICKETS:,} tickets in the view: "
                  f"p50 {p50:.2f} ms, p99 {p99:.2f} ms")
            projections.stop()
            for v in (view, raw_view, inbox_view):
                drop = getattr(v, "drop_tables", None)
                if drop:
                    drop()
        container.close()
