"""The registry finds every message by itself: no list kept by hand can miss one, and the
README's table of messages is generated from it and names each of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import helpline.catalog
from helpline.catalog import MESSAGES, CatalogMessage
from helpline.catalog.base import About, Route
from helpline.catalog.cli import main
from helpline.catalog.readme import BEGIN, END, with_table
from helpline.catalog.registry import MESSAGE_MODULES

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[3] / "README.md"


def _concrete(cls: type[CatalogMessage]) -> list[type[CatalogMessage]]:
    found = [cls] if "catalog_id" in vars(cls) else []
    return found + [m for sub in cls.__subclasses__() for m in _concrete(sub)]


def test_every_message_class_is_registered_once() -> None:
    defined = {m for m in _concrete(CatalogMessage) if m.__module__.startswith("helpline.")}
    assert set(MESSAGES) == defined
    assert len(MESSAGES) == len({m.catalog_id for m in MESSAGES}) == len(set(MESSAGES))


def test_about_and_route_are_the_class_variables_callers_read() -> None:
    for cls in MESSAGES:
        assert (cls.catalog_id, cls.title, cls.summary) == (
            cls.about.catalog_id, cls.about.title, cls.about.summary)
        assert (cls.kind, cls.producer, cls.consumers) == (
            cls.route.kind, cls.route.producer, cls.route.consumers)


def test_a_family_base_gives_its_members_a_route_but_no_catalog_id() -> None:
    class _Family(CatalogMessage):
        route = Route("event", "ms-agents", ("ms-conv-store",))

    class Member(_Family):
        about = About("member-for-a-test", "Member", "A message of the family.")

    assert "catalog_id" not in vars(_Family)
    assert (Member.catalog_id, Member.kind, Member.consumers) == (
        "member-for-a-test", "event", ("ms-conv-store",))
    assert Member.subject() == "helpline.ms-agents.event.member-for-a-test"


def test_every_message_is_exported_by_the_package() -> None:
    for cls in MESSAGES:
        assert getattr(helpline.catalog, cls.__name__) is cls


def test_each_message_lives_in_its_producers_module() -> None:
    for module in MESSAGE_MODULES:
        producers = {m.producer for m in MESSAGES if m.__module__ == module.__name__}
        assert producers, f"{module.__name__} defines no message"
    assert {m.__module__ for m in MESSAGES} == {m.__name__ for m in MESSAGE_MODULES}


def test_the_readme_table_is_the_generated_one_and_names_every_message() -> None:
    readme = README.read_text("utf-8")
    assert with_table(readme) == readme, "the README's table of messages is stale: make catalog"
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = re.findall(r"^\| ([a-z][^|]*) \| (?:event|command|query|reply) \|", table, re.M)
    named = [name.strip() for row in rows for name in row.split(",")]
    assert sorted(named) == sorted(m.catalog_id for m in MESSAGES)


def test_make_catalog_rewrites_a_stale_table(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n\n{BEGIN}\n| old | event | a → b |\n{END}\n\nrest\n", "utf-8")
    assert main(["catalog", "readme", "--write", str(stale)]) == 0
    text = stale.read_text("utf-8")
    assert "| old |" not in text and text.endswith(f"{END}\n\nrest\n")
    assert "| ticket-opened, agent-assigned" in text
