"""A projection rebuilt from zero equals the one built incrementally, batch by batch, while
random conversations ran through the in-process services."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.application.errors import ApplicationError
from helpline.bootstrap import Persistence, bootstrap
from helpline.catalog import TicketOpened, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings
from helpline.domain.errors import DomainError
from helpline.domain.ids import conversation_id_for
from helpline.projections import PROJECTIONS, build_projections

pytestmark = pytest.mark.property

PHONES = ["34600000001", "34600000002", "34600000003"]
TEXTS = ["hola", "quiero hablar con una persona", "¿horario?", "no funciona nada", "gracias"]
ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("say"), st.sampled_from(PHONES), st.sampled_from(TEXTS)),
    st.tuples(st.just("answer"), st.integers(0, 5), st.sampled_from(["ok", "ya está"])),
    st.tuples(st.just("close"), st.integers(0, 5), st.just("resuelto")),
    st.tuples(st.just("status"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("sync"), st.integers(1, 50), st.just("")),
), min_size=1, max_size=25)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=3)
        return self.now


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_rebuilt_equals_incremental(actions: list[tuple[str, object, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock()
        container = bootstrap(Settings(helpline_data_dir=Path(tmp) / "apps"), clock=clock)
        desk, runner = container.services.desk, container.runner()
        agents = [desk.register_agent(name=n, email=f"{n}@example.com", languages=["es"],
                                      max_tickets=2).agent_id for n in ("ana", "bea")]
        view = Persistence(Settings(helpline_data_dir=Path(tmp))).view()
        projections = build_projections(view, desk=desk, store=container.services.store,
                                        batch_size=3)
        try:
            for n, (kind, a, b) in enumerate(actions):
                tickets = [m.ticket_id for m in runner.log if isinstance(m, TicketOpened)]
                try:
                    if kind == "say":
                        at = clock()
                        runner.publish(WhatsAppBusinessTextMessageReceived(
                            message_id=uuid4(), correlation_id=str(conversation_id_for(str(a))),
                            occurred_at=at, wamid=f"wamid.{n}", phone_number_id="1065403522",
                            sender_phone=str(a), profile_name="C", text=str(b), sent_at=at))
                    elif kind == "status":
                        runner.publish(*desk.set_agent_status(agents[int(str(a))],
                                                              online=bool(b)))
                    elif kind in ("answer", "close") and tickets:
                        ticket_id = tickets[int(str(a)) % len(tickets)]
                        holder = desk.ticket(ticket_id).agent_id
                        if kind == "answer" and holder:
                            runner.publish(*desk.answer(ticket_id, agent_id=holder, text=str(b)))
                        elif kind == "close":
                            runner.publish(*desk.close_ticket(ticket_id, resolution=str(b),
                                                              agent_id=holder))
                    elif kind == "sync":
                        projections.workers["tickets"].batch_size = int(str(a))
                        projections.catch_up()
                except (ApplicationError, DomainError):
                    pass  # refused commands (closed tickets) change nothing
            projections.catch_up()
            incremental = {name: view.dump(name) for name in PROJECTIONS}
            assert projections.catch_up() == 0
            projections.rebuild()
            assert {name: view.dump(name) for name in PROJECTIONS} == incremental
        finally:
            projections.close()
            container.close()
