"""Grouping handed-over questions by similarity (for the console page of issue 15)."""

from __future__ import annotations

import pytest

from helpline.adapters.rag import Embedder
from helpline.adapters.rag.grouping import QuestionGroup, group_questions

pytestmark = pytest.mark.unit

HANDED_OVER = [
    "¿Hacéis descuento a estudiantes?",            # 0  student discount (es)
    "Is your Barcelona store open on Sundays?",    # 1  Barcelona store
    "Do you have a student discount?",             # 2  student discount (en)
    "¿Aceptáis pagos con bitcoin?",                 # 3  bitcoin
    "Vocês têm desconto para estudantes?",         # 4  student discount (pt)
    "A loja de Barcelona abre aos domingos?",      # 5  Barcelona store (pt)
    "¿qué tiempo hará mañana en Bilbao?",          # 6  alone
]


def test_the_same_question_in_three_languages_is_one_group(multilingual: Embedder) -> None:
    groups = group_questions(HANDED_OVER, multilingual)
    assert [g.members for g in groups] == [(0, 2, 4), (1, 5), (3,), (6,)]
    assert groups[0].representative in {HANDED_OVER[i] for i in (0, 2, 4)}
    assert groups[1].words == ("barcelona",)
    assert sum(g.size for g in groups) == len(HANDED_OVER)


def test_without_an_embedder_the_question_terms_decide() -> None:
    questions = ["cuanto cuesta el envio a canarias", "cuánto cuesta el envío a Canarias?",
                 "tenéis tarjetas regalo", "el envío a canarias cuánto cuesta"]
    groups = group_questions(questions)
    assert [g.members for g in groups] == [(0, 1, 3), (2,)]
    assert groups[0].words == ("cuanto", "cuesta", "envio")


def test_the_threshold_decides_what_is_alike(multilingual: Embedder) -> None:
    assert len(group_questions(HANDED_OVER, multilingual, similarity=1.01)) == len(HANDED_OVER)
    assert len(group_questions(HANDED_OVER, multilingual, similarity=-1.0)) == 1


def test_no_questions_no_groups() -> None:
    assert group_questions([]) == []
    assert QuestionGroup("q", (0, 3)).size == 2
