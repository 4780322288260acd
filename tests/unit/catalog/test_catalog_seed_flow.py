"""The seed flow against the code's catalog, step by step, and the exported flows.

(a) every service and message step of the seed flow exists in the catalog with the same id and
version, and the flow's arrows agree with each message's producer and consumers;
(b) the exported flow, parsed back from the written file, has the seed's id, steps and labels,
and its "TODO Add example" prose is filled with examples that validate.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from helpline.catalog import MESSAGES, SERVICES, message_class, seed_flow
from helpline.catalog.eventcatalog import SERVICE_VERSION, exported_flows, seed_examples
from helpline.catalog.flow import Flow, FlowStep, parse_flow

pytestmark = pytest.mark.unit

SEED = seed_flow()
FLOWS = exported_flows()


def _kind(step: FlowStep) -> str:
    return "service" if step.service else "message" if step.message else "plain"


@pytest.mark.parametrize("step", SEED.steps, ids=lambda s: s.id)
def test_seed_step_exists_in_catalog_with_same_id_and_version(step: FlowStep) -> None:
    if step.message:
        msg_id, version = step.message
        cls = message_class(msg_id)  # raises UnknownMessageError if missing
        assert cls.catalog_version == version
        assert cls.in_seed, f"{msg_id} is in the seed flow but marked in_seed=False"
    elif step.service:
        svc_id, version = step.service
        assert svc_id in SERVICES
        assert version == SERVICE_VERSION
    else:
        assert step.id == "customer_sends_message_via_whatsapp"


def _check_arrows(flow: Flow) -> None:
    for src, dst, _label in flow.arrows():
        a, b = flow.step(src), flow.step(dst)
        if a.service and b.message:
            cls = message_class(b.message[0])
            assert cls.producer == a.service[0], (
                f"{flow.id}: {a.service[0]} -> {cls.catalog_id}, but the catalog says "
                f"{cls.producer} produces it"
            )
        elif a.message and b.service:
            cls = message_class(a.message[0])
            assert b.service[0] in cls.consumers, (
                f"{flow.id}: {cls.catalog_id} -> {b.service[0]}, but the catalog's consumers "
                f"are {cls.consumers}"
            )
        # Message -> message or service -> service arrows would skip a hop of the bus.
        assert not (a.message and b.message), f"{flow.id}: {src} -> {dst}"
        assert not (a.service and b.service), f"{flow.id}: {src} -> {dst}"


def test_seed_arrows_match_producers_and_consumers() -> None:
    _check_arrows(SEED)


def test_each_seed_message_step_shows_exactly_its_producer_and_consumers() -> None:
    for step in SEED.steps:
        if not step.message:
            continue
        cls = message_class(step.message[0])
        into = {SEED.step(src).service for src, dst, _ in SEED.arrows() if dst == step.id}
        out = {SEED.step(dst).service for dst, _ in step.next_steps}
        assert {s[0] for s in into if s} == {cls.producer}, step.id
        assert {s[0] for s in out if s} == set(cls.consumers), step.id


def test_messages_in_seed_are_exactly_those_marked_in_seed() -> None:
    in_flow = {s.message[0] for s in SEED.steps if s.message}
    assert in_flow == {m.catalog_id for m in MESSAGES if m.in_seed}


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.id)
def test_every_exported_flow_agrees_with_the_catalog(flow: Flow) -> None:
    ids = [s.id for s in flow.steps]
    assert len(ids) == len(set(ids)), f"duplicate step ids in {flow.id}"
    for step in flow.steps:
        if step.message:
            assert message_class(step.message[0]).catalog_version == step.message[1]
        if step.service:
            assert step.service == (step.service[0], SERVICE_VERSION)
            assert step.service[0] in SERVICES
        for nxt, _ in step.next_steps:
            flow.step(nxt)  # every arrow lands on a step of the flow
    _check_arrows(flow)


def test_added_flows_cover_ticket_closed_send_failure_and_status_updates() -> None:
    added = {m for f in FLOWS[1:] for s in f.steps if s.message for m in [s.message[0]]}
    assert {m.catalog_id for m in MESSAGES if not m.in_seed} - added == set()
    stories = {f.id for f in FLOWS[1:5]}
    assert stories == {"ticket-closed-back-to-ai", "ticket-reopened-back-to-agent",
                       "whatsapp-send-failure", "whatsapp-status-updates"}


def test_a_message_no_story_draws_gets_a_flow_of_its_own() -> None:
    own = next(f for f in FLOWS if f.id == "generate-agent-answer-flow")
    assert own.arrows() == [("ms-conv-store", "generate-agent-answer", None),
                            ("generate-agent-answer", "ms-agents", None)]
    assert "While a ticket is open" in own.body


# -- (b) the exported seed flow, parsed back ---------------------------------------------------


@pytest.fixture(scope="module")
def written_seed(exported: tuple[Path, list[Path]]) -> Flow:
    root, _ = exported
    return parse_flow((root / "flows" / SEED.id / "index.mdx").read_text("utf-8"))


def test_exported_seed_flow_has_same_id_name_version_and_steps(written_seed: Flow) -> None:
    assert (written_seed.id, written_seed.name, written_seed.version, written_seed.summary) == (
        SEED.id, SEED.name, SEED.version, SEED.summary)
    assert written_seed.steps == SEED.steps
    assert written_seed.arrows() == SEED.arrows()  # same labels, same order


def test_exported_flows_parse_back_to_what_was_generated(
    exported: tuple[Path, list[Path]],
) -> None:
    root, _ = exported
    for flow in FLOWS:
        back = parse_flow((root / "flows" / flow.id / "index.mdx").read_text("utf-8"))
        assert back.steps == flow.steps
        assert (back.id, back.name, back.version) == (flow.id, flow.name, flow.version)


_BLOCK = re.compile(r"^( *)```json\n(.*?)^\1```", re.S | re.M)


def test_seed_todo_examples_are_filled_with_valid_examples(written_seed: Flow) -> None:
    assert "TODO" not in written_seed.body
    blocks = [json.loads(textwrap.dedent(m[2])) for m in _BLOCK.finditer(written_seed.body)]
    expected = seed_examples()
    assert len(blocks) == len(expected) == SEED.body.count("TODO Add example")
    classes = [
        "whatsapp-business-text-message-received",
        "whatsapp-business-text-message-with-user-info-received",
        "whatsapp-business-text-message-with-user-info-received",
        "generate-ai-agent-answer-with-user-info",
    ]
    for block, (_title, example), catalog_id in zip(blocks, expected, classes, strict=True):
        assert block == example
        message_class(catalog_id).model_validate(block)
    assert blocks[2]["customer"] is None  # the unregistered-number case of the seed's prose


def test_seed_prose_is_kept_apart_from_the_todos(written_seed: Flow) -> None:
    kept = [ln for ln in SEED.body.splitlines() if ln.strip() and "TODO" not in ln]
    lines = iter(written_seed.body.splitlines())
    for line in kept:
        assert any(line == candidate for candidate in lines), f"lost or reordered: {line!r}"
