"""Canned replies: the aggregate (admins' texts, stored as events) and the placeholder rule
the console applies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpline.domain import DomainError
from helpline.domain.canned import CannedReplies, render, unknown_placeholders

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_save_change_list_and_delete() -> None:
    replies = CannedReplies.start(at=T0)
    assert replies.save(reply_id="saludo", title="Saludo", text="Hola {customer_name}", at=T0)
    assert replies.save(reply_id="saludo", title="Saludo", text="Hola {customer_name}",
                        at=T0) is False
    assert replies.save(reply_id="adios", title="adiós", text="Hasta pronto", at=T0)
    assert [r["id"] for r in replies.listed()] == ["adios", "saludo"]
    assert replies.save(reply_id="saludo", title=" Saludo ", text="Buenas, {agent_name}",
                        at=T0)
    assert replies.listed()[1] == {"id": "saludo", "title": "Saludo",
                                   "text": "Buenas, {agent_name}"}
    assert replies.delete(reply_id="adios", at=T0)
    assert replies.delete(reply_id="adios", at=T0) is False
    assert [r["id"] for r in replies.listed()] == ["saludo"]
    kinds = [type(e).__name__ for e in replies.collect_events()]
    assert kinds == ["Started", "Saved", "Saved", "Saved", "Deleted"]


@pytest.mark.parametrize(("reply_id", "title", "text", "problem"), [
    ("Saludo!", "t", "x", "lower-case"),
    ("ok", "", "x", "title"),
    ("ok", "t", "  ", "text"),
    ("ok", "t", "x" * 4097, "text"),
    ("ok", "t", "Hola {customer}", r"unknown placeholder \{customer\}"),
])
def test_bad_replies_are_refused(reply_id: str, title: str, text: str, problem: str) -> None:
    replies = CannedReplies.start(at=T0)
    replies.collect_events()
    with pytest.raises(DomainError, match=problem):
        replies.save(reply_id=reply_id, title=title, text=text, at=T0)
    assert replies.collect_events() == []


def test_placeholders_are_filled_and_missing_values_drop_cleanly() -> None:
    text = "Hola {customer_name}, soy {agent_name}. Te llamo al {phone}. {otra} {}"
    values = {"customer_name": "Lucía", "agent_name": "Ana", "phone": "+34 600 123 456"}
    assert render(text, values) == ("Hola Lucía, soy Ana. Te llamo al +34 600 123 456. "
                                    "{otra} {}")
    assert render("Hola {customer_name}, ¿qué tal?", {"customer_name": None}) == (
        "Hola, ¿qué tal?")
    assert unknown_placeholders("{phone} {nombre} {nombre} {x1}") == ["nombre", "x1"]
