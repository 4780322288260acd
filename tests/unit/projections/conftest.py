"""Fixtures for the projection tests: the five services in-process on SQLite, and a view
on SQLite or PostgreSQL (127.0.0.1:5432, database ``test``, tables named per test)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from helpline.application.runner import InProcessRunner
from helpline.bootstrap import Container, Persistence, bootstrap
from helpline.catalog import CustomerInfo, OpenTicket, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings
from helpline.domain.ids import conversation_id_for
from helpline.projections import HelpdeskView, Projections, build_projections


class StepClock:
    """A clock that advances one second per reading (deterministic idle-since order)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def inbound(phone: str, text: str, n: int, at: datetime) -> WhatsAppBusinessTextMessageReceived:
    """The event ms-whatsapp publishes for a customer message."""
    return WhatsAppBusinessTextMessageReceived(
        message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=at,
        wamid=f"wamid.{phone}.{n}", phone_number_id="106540352242922", sender_phone=phone,
        profile_name="Cliente", text=text, sent_at=at)


def open_ticket(phone: str, language: str | None, at: datetime) -> OpenTicket:
    """An Open Ticket command as ms-conv-store sends it."""
    conv = str(conversation_id_for(phone))
    return OpenTicket(message_id=uuid4(), correlation_id=conv, occurred_at=at,
                      ticket_id=str(uuid4()), conversation_id=conv, phone=phone, customer=None,
                      reason="customer asked for a person", language=language)


@dataclass
class Helpdesk:
    """The services, the runner and the projections of one test."""

    container: Container
    runner: InProcessRunner
    clock: StepClock
    view: HelpdeskView
    projections: Projections

    def say(self, phone: str, text: str) -> None:
        """The customer ``phone`` writes ``text``; everything it causes runs."""
        n = sum(1 for _ in self.runner.log) + 1
        self.runner.publish(inbound(phone, text, n, self.clock()))


def make_view(kind: str, tmp_path: Path) -> HelpdeskView:
    """A view on SQLite (a file in ``tmp_path``) or PostgreSQL (tables named per test)."""
    if kind == "sqlite":
        return Persistence(Settings(helpline_data_dir=tmp_path)).view()
    settings = Settings(persistence_module="eventsourcing.postgres", postgres_dbname="test")
    try:
        return Persistence(settings).view(prefix=f"t{uuid4().hex[:10]}_")
    except Exception as e:  # pragma: no cover - depends on the machine
        if os.environ.get("HELPLINE_REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (database test) is not reachable: {e}")


def drop_view(view: HelpdeskView) -> None:
    """Drop a PostgreSQL view's tables (SQLite files go with ``tmp_path``)."""
    drop = getattr(view, "drop_tables", None)
    if drop is not None:
        drop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def view_kind(request: pytest.FixtureRequest) -> str:
    """Each projection test runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def helpdesk(tmp_path: Path, view_kind: str) -> Iterator[Helpdesk]:
    """The services on SQLite under ``tmp_path`` and their projections."""
    clock = StepClock()
    directory_customers = [CustomerInfo(customer_id="cus_1", name="Lucía", phone="34600000001",
                                        language="es")]
    from helpline.application.customer_gateway import InMemoryCustomerDirectory

    container = bootstrap(Settings(helpline_data_dir=tmp_path / "apps"), clock=clock,
                          directory=InMemoryCustomerDirectory(directory_customers))
    view = make_view(view_kind, tmp_path)
    projections = build_projections(view, desk=container.services.desk,
                                    store=container.services.store, batch_size=7)
    yield Helpdesk(container, container.runner(), clock, view, projections)
    drop_view(view)
    projections.close()
    container.close()
