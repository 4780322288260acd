"""The hand-over reasons every answerer writes, recognised in one place."""

from __future__ import annotations

import pytest

from helpline.domain.handover import reason_kind

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("reason", "kind"), [
    ("customer asked for a person", "person"),           # the keyword answerer
    ("The customer asked for a person.", "person"),      # ms-rag's answerer
    ("No answer in the knowledge base.", "nothing"),     # the keyword answerer
    ("no document passes the threshold (0.00 < 0.14)", "nothing"),  # earlier ms-rag
    ("coverage 0.31 < 0.50", "unsure"),
    ("best score 0.2 below the threshold", "unsure"),
    ("the AI agent asked for a human", "asked"),
    ("The customer's 24-hour window closed before the AI answered.", None),
    ("The customer sent a voice note.", None),
    # ms-rag quotes the customer's words and the entry's title: they are no score
    ("The closest entry, “Delivery times”, says nothing about “coverage”.", None),
    ("The closest entry, “Loyalty points”, says nothing about “score”, “loyalty”.", None),
    ("confidence 0.41 below 0.55", "unsure"),
    ("", None),
    (None, None),
])
def test_each_known_reason_has_its_kind(reason: str | None, kind: str | None) -> None:
    assert reason_kind(reason) == kind


def test_a_reason_that_only_mentions_the_knowledge_base_is_kept_as_written() -> None:
    # "no answer in the knowledge base" must be the whole reason, not part of a sentence
    assert reason_kind("We found no answer in the knowledge base for the voucher code, "
                       "and the customer was angry.") is None
