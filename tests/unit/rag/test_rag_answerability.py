"""The answerability check on a tiny knowledge base, with a fake embedder whose word
similarities are set by hand (the real model is exercised by the evaluation tests)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import pytest

from helpline.adapters.rag import Answerability, Entry, Index, KnowledgeBase, Verdict
from helpline.adapters.rag.answerability import ANSWER_WEIGHT, WORD_MATCH

pytestmark = pytest.mark.unit

KB = KnowledgeBase((
    Entry("passwords", "en", "Forgot my password", "I can't log in, I forgot my password",
          "Click 'Forgot your password?' and we email you a link.", ("password", "login")),
    Entry("passwords", "es", "He olvidado mi contraseña", "No puedo entrar, olvidé la contraseña",
          "Pulsa '¿Has olvidado tu contraseña?' y te enviamos un enlace.", ("contraseña",)),
    Entry("payments", "en", "Payment methods", "Which payment methods do you accept?",
          "We accept Visa, PayPal and bank transfer. Cash in the Madrid store.", ("card",)),
))

#: Words the fake embedder knows: same axis = same meaning; (axis, weight) pairs mix axes.
MEANINGS: dict[str, list[tuple[int, float]]] = {
    "senha": [(0, 1.0)], "password": [(0, 1.0)], "contrasena": [(0, 1.0)],
    "bitcoin": [(1, 0.45), (2, 0.89)], "paypal": [(1, 1.0)],
}


def fake_embedder(texts: Sequence[str]) -> list[list[float]]:
    out = []
    for text in texts:
        vector = [0.0] * 4096
        for axis, weight in MEANINGS.get(text, []):
            vector[axis] = weight
        if not any(vector):  # any other text: its own direction, far from the others
            vector[3 + int(hashlib.sha1(text.encode()).hexdigest(), 16) % 4093] = 1.0
        norm = math.sqrt(sum(x * x for x in vector))
        out.append([x / norm for x in vector])
    return out


@pytest.fixture
def check() -> Answerability:
    return Answerability(Index(KB), fake_embedder)


def test_words_the_topic_speaks_of_cover_the_question(check: Answerability) -> None:
    """Stems, typos and the other language's entry count; asking words do not."""
    assert check.check("I forgot my pasword", "passwords") == Verdict("passwords", 1.0)
    assert check.check("¿Podéis decirme cómo recupero la contraseña?", "passwords").missing \
        == ("decirme", "recupero")
    assert check.check("can you tell me, please, which payment methods?", "payments") \
        == Verdict("payments", 1.0)


def test_a_word_the_topic_never_speaks_of_is_missing(check: Answerability) -> None:
    verdict = check.check("Do you accept bitcoin payments?", "payments")
    assert verdict.missing == ("bitcoin",)
    assert 0 < verdict.coverage < 1


def test_a_translation_matches_by_meaning_above_word_match(check: Answerability) -> None:
    """"senha" is on the same axis as "password": a match; "bitcoin" is 0.45 from
    "paypal", below ``WORD_MATCH``: no match, it stays missing."""
    assert WORD_MATCH > 0.45
    assert check.check("minha senha", "passwords") == Verdict("passwords", 1.0)
    lexical_only = Answerability(Index(KB))
    assert lexical_only.check("minha senha", "passwords").missing == ("senha",)


def test_missing_words_are_shown_as_the_customer_wrote_them(check: Answerability) -> None:
    verdict = check.check("Do you accept Bitcoin in Málaga?", "payments")
    assert verdict.missing == ("Bitcoin", "Málaga")


def test_unknown_words_weigh_more_than_common_ones(check: Answerability) -> None:
    """A word the knowledge base never uses is the likeliest to be the real subject."""
    unknown = check.check("payment methods in zanzibar", "payments")
    assert unknown.missing == ("zanzibar",)
    assert unknown.coverage < 1 - 1 / 3  # more than its share of three words


def test_a_word_only_the_answer_speaks_of_counts_less(check: Answerability) -> None:
    """"madrid" is only in the answer of ``payments``: ``ANSWER_WEIGHT`` of its weight."""
    assert ANSWER_WEIGHT < 1
    head = check.check("payment card", "payments")
    body = check.check("payment madrid", "payments")
    assert head.coverage == 1.0 and body.missing == ()
    assert head.coverage > body.coverage > 0.5


def test_no_salient_words_is_no_coverage(check: Answerability) -> None:
    assert check.check("can you tell me how?", "payments") == Verdict("payments", 0.0)


def test_best_is_the_highest_coverage_and_the_earlier_on_ties(check: Answerability) -> None:
    assert check.best("forgot password", ["payments", "passwords"]) == \
        Verdict("passwords", 1.0)
    tie = check.best("zanzibar", ["payments", "passwords"])
    assert tie is not None and tie.topic == "payments"
    assert check.best("anything", []) is None


def test_adverbs_are_how_not_what_unless_the_kb_uses_them() -> None:
    kb = KnowledgeBase((Entry("x", "en", "Monthly plans", "Do you have monthly plans?",
                              "Yes, monthly plans from €5."),))
    check = Answerability(Index(kb))
    assert check.check("monthly plans", "x").coverage == 1.0
    assert check.check("plans usually", "x") == Verdict("x", 1.0)
