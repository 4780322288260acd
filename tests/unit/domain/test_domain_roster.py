"""The Roster: registration, status, queue and the assignment rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpline.domain import Roster, UnknownAgentError
from helpline.domain.errors import AgentAlreadyRegisteredError
from helpline.domain.ids import ROSTER_ID

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def roster_with(*agents: tuple[str, list[str], int], online: bool = True) -> Roster:
    roster = Roster.start(at=T0)
    for i, (agent_id, languages, max_tickets) in enumerate(agents):
        roster.register(agent_id=agent_id, name=agent_id.title(), email=f"{agent_id}@x.es",
                        languages=languages, max_tickets=max_tickets, token_hash=f"h-{agent_id}",
                        at=at(i))
        if online:
            roster.set_online(agent_id=agent_id, online=True, at=at(10))
    return roster


def queue(roster: Roster, ticket_id: str, language: str | None = "es", t: int = 20
          ) -> list[tuple[str, str]]:
    roster.enqueue(ticket_id=ticket_id, language=language, at=at(t))
    return roster.assign_waiting(at=at(t))


def test_single_roster_id() -> None:
    assert Roster.start(at=T0).id == ROSTER_ID


def test_register_guards() -> None:
    roster = roster_with(("ana", ["es"], 2))
    with pytest.raises(AgentAlreadyRegisteredError):
        roster.register(agent_id="ana", name="X", email="other@x.es", languages=[],
                        max_tickets=1, token_hash="h", at=T0)
    with pytest.raises(AgentAlreadyRegisteredError):
        roster.register(agent_id="other", name="X", email="ana@x.es", languages=[],
                        max_tickets=1, token_hash="h", at=T0)
    with pytest.raises(ValueError):
        roster.register(agent_id="zed", name="Z", email="z@x.es", languages=[], max_tickets=0,
                        token_hash="h", at=T0)
    assert set(roster.agents) == {"ana"}


def test_unknown_agent_raises() -> None:
    roster = roster_with()
    with pytest.raises(UnknownAgentError):
        roster.agent("nobody")
    with pytest.raises(UnknownAgentError):
        roster.set_online(agent_id="nobody", online=True, at=T0)
    with pytest.raises(UnknownAgentError):
        roster.reassign(ticket_id="t1", agent_id="nobody", at=T0)


def test_registered_agents_start_offline_and_status_is_idempotent() -> None:
    roster = roster_with(("ana", ["es"], 2), online=False)
    assert roster.agent("ana")["online"] is False
    assert roster.set_online(agent_id="ana", online=True, at=at(1))
    assert roster.set_online(agent_id="ana", online=True, at=at(2)) is False
    assert roster.agent("ana")["online"] is True
    assert roster.agent_by_token_hash("h-ana") is not None
    assert roster.agent_by_token_hash("nope") is None


def test_queue_when_nobody_is_free() -> None:
    roster = roster_with(("ana", ["es"], 1), online=False)
    assert queue(roster, "t1") == []
    assert [q["ticket_id"] for q in roster.queue] == ["t1"]
    assert roster.enqueue(ticket_id="t1", language="es", at=at(21)) is False


def test_assignment_when_agent_comes_online() -> None:
    roster = roster_with(("ana", ["es"], 1), online=False)
    queue(roster, "t1", t=1)
    queue(roster, "t2", t=2)
    roster.set_online(agent_id="ana", online=True, at=at(3))
    assert roster.assign_waiting(at=at(3)) == [("t1", "ana")]  # oldest first, capacity 1
    assert [q["ticket_id"] for q in roster.queue] == ["t2"]
    assert roster.holder_of("t1") == "ana"
    assert roster.enqueue(ticket_id="t1", language="es", at=at(4)) is False  # held already


def test_assignment_when_capacity_frees() -> None:
    roster = roster_with(("ana", ["es"], 1))
    assert queue(roster, "t1", t=1) == [("t1", "ana")]
    assert queue(roster, "t2", t=2) == []
    assert roster.release(ticket_id="t1", at=at(3))
    assert roster.release(ticket_id="t1", at=at(3)) is False
    assert roster.assign_waiting(at=at(3)) == [("t2", "ana")]


def test_release_of_a_queued_ticket_removes_it() -> None:
    roster = roster_with(("ana", ["es"], 1), online=False)
    queue(roster, "t1")
    assert roster.release(ticket_id="t1", at=at(30))
    assert roster.queue == []


def test_offline_agents_get_nothing() -> None:
    roster = roster_with(("ana", ["es"], 3), ("bea", ["es"], 3))
    roster.set_online(agent_id="ana", online=False, at=at(11))
    assert queue(roster, "t1") == [("t1", "bea")]


def test_fewest_open_tickets_first() -> None:
    roster = roster_with(("ana", ["es"], 5), ("bea", ["en"], 5))
    assert queue(roster, "t1", "es", 20) == [("t1", "ana")]
    # Bea does not speak Spanish, but she holds fewer tickets: load wins over language.
    assert queue(roster, "t2", "es", 21) == [("t2", "bea")]


def test_ties_go_to_the_customers_language() -> None:
    roster = roster_with(("ana", ["en"], 5), ("bea", ["es"], 5))
    assert queue(roster, "t1", "es") == [("t1", "bea")]
    roster2 = roster_with(("ana", ["en"], 5), ("bea", ["es"], 5))
    assert queue(roster2, "t1", "en") == [("t1", "ana")]


def test_then_to_the_agent_idle_longest() -> None:
    roster = roster_with(("ana", ["es"], 5), ("bea", ["es"], 5))
    assert queue(roster, "t1", t=20) == [("t1", "ana")]  # registered first: idle longest
    assert queue(roster, "t2", t=21) == [("t2", "bea")]
    roster.release(ticket_id="t1", at=at(22))  # ana idle since 22
    roster.release(ticket_id="t2", at=at(23))  # bea idle since 23
    assert queue(roster, "t3", t=24) == [("t3", "ana")]
    roster.release(ticket_id="t3", at=at(25))
    assert queue(roster, "t4", t=26) == [("t4", "bea")]


def test_reassign() -> None:
    roster = roster_with(("ana", ["es"], 1), ("bea", ["es"], 1))
    queue(roster, "t1")
    holder = roster.holder_of("t1")
    other = "bea" if holder == "ana" else "ana"
    assert roster.reassign(ticket_id="t1", agent_id=other, at=at(30))
    assert roster.reassign(ticket_id="t1", agent_id=other, at=at(31)) is False
    assert roster.holder_of("t1") == other
    assert roster.agent(holder or "")["tickets"] == []


def test_reassign_a_queued_ticket_takes_it_out_of_the_queue() -> None:
    roster = roster_with(("ana", ["es"], 1), online=False)
    queue(roster, "t1")
    assert roster.reassign(ticket_id="t1", agent_id="ana", at=at(30))
    assert roster.queue == [] and roster.holder_of("t1") == "ana"


def test_agent_returns_a_copy() -> None:
    roster = roster_with(("ana", ["es"], 1))
    roster.agent("ana")["online"] = False
    assert roster.agent("ana")["online"] is True


def test_each_one_value_change_names_one_of_its_own_fields() -> None:
    """``_AgentEntryChanged.apply`` copies the field its ``entry`` names: a misspelt name
    would only fail when a stored log replays it."""
    from dataclasses import fields

    from helpline.domain.roster import _AgentEntryChanged

    changes = [v for v in vars(Roster).values()
               if isinstance(v, type) and issubclass(v, _AgentEntryChanged)]
    assert {c.__name__ for c in changes} == {"AgentStatusChanged", "TokenChanged"}
    for change in changes:
        assert change.entry in {f.name for f in fields(change)} - {"agent_id"}, change


def test_a_one_value_change_sets_that_value_of_the_agents_entry() -> None:
    roster = roster_with(("ana", ["es"], 2), online=False)
    roster.set_online(agent_id="ana", online=True, at=at(30))
    roster.change_token(agent_id="ana", token_hash="h-new", at=at(31))
    assert (roster.agents["ana"]["online"], roster.agents["ana"]["token_hash"]) == (True, "h-new")
