"""Queueing and assignment rules, observed through the tickets projection."""

from __future__ import annotations

import pytest

from .conftest import Helpdesk, open_ticket

pytestmark = pytest.mark.unit


def agent(h: Helpdesk, name: str, languages: list[str], max_tickets: int = 2,
          online: bool = True) -> str:
    desk = h.container.services.desk
    new = desk.register_agent(name=name, email=f"{name}@example.com", languages=languages,
                              max_tickets=max_tickets, agent_id=f"agt_{name}")
    if online:
        desk.set_agent_status(new.agent_id, online=True)
    return new.agent_id


def ticket(h: Helpdesk, phone: str, language: str | None = None) -> str:
    cmd = open_ticket(phone, language, h.clock())
    h.container.services.desk.open_ticket(cmd)
    return cmd.ticket_id


def holder(h: Helpdesk, ticket_id: str) -> str | None:
    h.projections.catch_up()
    row = h.view.ticket(ticket_id)
    assert row is not None
    return row.agent_id


def test_fewest_open_tickets_wins(helpdesk: Helpdesk) -> None:
    ana, bea = agent(helpdesk, "ana", ["es"]), agent(helpdesk, "bea", ["es"])
    first = holder(helpdesk, ticket(helpdesk, "34611000001", "es"))
    second = holder(helpdesk, ticket(helpdesk, "34611000002", "es"))
    assert {first, second} == {ana, bea}


def test_ties_go_to_the_agent_idle_longest(helpdesk: Helpdesk) -> None:
    ana, bea = agent(helpdesk, "ana", []), agent(helpdesk, "bea", [])
    # Both free; ana registered first, so she has been idle longest.
    assert holder(helpdesk, ticket(helpdesk, "34611000001")) == ana
    assert holder(helpdesk, ticket(helpdesk, "34611000002")) == bea


def test_language_preference_among_equally_loaded(helpdesk: Helpdesk) -> None:
    agent(helpdesk, "ana", ["es"])
    bea = agent(helpdesk, "bea", ["en"])
    assert holder(helpdesk, ticket(helpdesk, "34611000001", "en")) == bea


def test_queued_when_nobody_is_free_then_assigned_when_an_agent_comes_online(
        helpdesk: Helpdesk) -> None:
    ana = agent(helpdesk, "ana", ["es"], max_tickets=1, online=False)
    waiting = ticket(helpdesk, "34611000001", "es")
    assert holder(helpdesk, waiting) is None
    assert [t.ticket_id for t in helpdesk.view.tickets("queued")] == [waiting]
    helpdesk.container.services.desk.set_agent_status(ana, online=True)
    assert holder(helpdesk, waiting) == ana
    assert helpdesk.view.tickets("queued") == []


def test_queued_at_capacity_then_assigned_when_capacity_frees(helpdesk: Helpdesk) -> None:
    ana = agent(helpdesk, "ana", ["es"], max_tickets=1)
    first = ticket(helpdesk, "34611000001", "es")
    second = ticket(helpdesk, "34611000002", "es")
    assert (holder(helpdesk, first), holder(helpdesk, second)) == (ana, None)
    helpdesk.container.services.desk.close_ticket(first, resolution="done", agent_id=ana)
    assert holder(helpdesk, second) == ana
    assert [t.ticket_id for t in helpdesk.view.inbox(ana)] == [second]
