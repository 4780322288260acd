"""``GET /api/v1/admin/kb-gaps``: the questions the AI handed over, grouped by similarity
(biggest first), so the business sees where its knowledge base fails most."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.agent_api.conftest import ADMIN, Api, make_api

pytestmark = pytest.mark.integration

STUDENTS = ("¿Hacéis descuento a estudiantes?", "tenéis descuento para estudiantes?",
            "Do you have a student discount?")


def ask(api: Api) -> None:
    api.agent("Marta")
    for n, question in enumerate((*STUDENTS, "¿Puedo pagar con bitcoin?",
                                  "quiero hablar con una persona"), start=1):
        api.say(f"3460000000{n}", question)


def test_the_handed_over_questions_grouped_biggest_first(api: Api) -> None:
    ask(api)
    response = api.call("GET", "/api/v1/admin/kb-gaps", ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    # a request for a person is no gap in the knowledge base: counted, not grouped
    assert (body["questions"], body["person_requests"]) == (4, 1)
    assert body["grouped_by"] == "words"
    first = body["groups"][0]
    # without an embedder the grouping is lexical: the English question stands apart
    assert (first["size"], sorted(first["questions"])) == (2, sorted(STUDENTS[:2]))
    assert "descuento" in first["words"] and first["languages"] == ["es"]
    # the keyword answerer's "No answer in the knowledge base.", as an agent reads it
    assert first["reasons"] == ["The knowledge base has nothing that answers this question."]
    assert len(first["tickets"]) == 2
    assert sorted(g["size"] for g in body["groups"]) == [1, 1, 2]


def test_a_late_answer_is_counted_apart_not_grouped(api: Api) -> None:
    """The AI handed over after the customer's 24-hour window closed: the ticket is opened
    because of the window, whatever the AI's own reason was, so it is counted apart."""
    ask(api)
    api.say("34600000009", "¿Tenéis tarjetas regalo?",
            sent_at=datetime.now(UTC) - timedelta(hours=26))
    body = api.call("GET", "/api/v1/admin/kb-gaps", ADMIN).json()
    assert (body["questions"], body["person_requests"], body["late_answers"]) == (4, 1, 1)
    grouped = [q for g in body["groups"] for q in g["questions"]]
    assert "¿Tenéis tarjetas regalo?" not in grouped and len(grouped) == 4


def embed(texts: Sequence[str]) -> list[list[float]]:
    """A stand-in for USE multilingual: puts every question about students together."""
    return [[1.0, 0.0] if "estud" in t or "student" in t else [0.0, 1.0] for t in texts]


@pytest.fixture
def api_with_embedder(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, question_embedder=embed)


def test_with_an_embedder_questions_group_by_meaning_across_languages(
        api_with_embedder: Api) -> None:
    ask(api_with_embedder)
    body = api_with_embedder.call("GET", "/api/v1/admin/kb-gaps", ADMIN).json()
    assert body["grouped_by"] == "meaning"
    assert [g["size"] for g in body["groups"]] == [3, 1]
    assert body["groups"][0]["languages"] == ["en", "es"]


def test_only_the_admin_sees_the_gaps(api: Api) -> None:
    ask(api)
    _, token = api.agent("Pablo")
    assert api.call("GET", "/api/v1/admin/kb-gaps").status_code == 401
    denied = api.call("GET", "/api/v1/admin/kb-gaps", token)
    assert denied.status_code == 403 and "admin" in denied.json()["detail"]
    assert api.call("GET", "/api/v1/admin/kb-gaps", ADMIN,
                    params={"limit": "0"}).status_code == 422


def test_no_hand_overs_no_groups(api: Api) -> None:
    body = api.call("GET", "/api/v1/admin/kb-gaps", ADMIN).json()
    assert body == {"questions": 0, "person_requests": 0, "late_answers": 0,
                    "grouped_by": "words", "groups": []}
