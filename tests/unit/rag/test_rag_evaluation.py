"""The labelled evaluation over the sample knowledge base, with the default BM25 answerer.

``tests/data/rag_eval.jsonl`` is held out: the threshold is calibrated on
``tests/data/rag_dev.jsonl`` only, and neither set copies the knowledge base's wording.
"""

from __future__ import annotations

import pytest

from helpline.adapters.rag import DEFAULT_THRESHOLD, KnowledgeBaseAnswerer
from helpline.adapters.rag.evaluation import (
    ESCALATE,
    SMALLTALK,
    calibrate_threshold,
    evaluate,
    load_labelled,
)
from helpline.adapters.rag.text import fold
from tests.unit.rag.conftest import DATA

pytestmark = pytest.mark.unit


def test_labelled_sets_are_big_enough_separate_and_valid(
        sample_answerer: KnowledgeBaseAnswerer) -> None:
    evaluation = load_labelled(DATA / "rag_eval.jsonl")
    dev = load_labelled(DATA / "rag_dev.jsonl")
    assert len(evaluation) >= 80
    assert not {fold(i.question) for i in evaluation} & {fold(i.question) for i in dev}
    topics = set(sample_answerer.kb.topics())
    for item in evaluation + dev:
        assert item.expected in topics | {ESCALATE, SMALLTALK}, item
    kb_questions = {fold(e.question).strip("¿? ") for e in sample_answerer.kb.entries}
    assert not {fold(i.question).strip("¿? ") for i in evaluation} & kb_questions


def test_default_threshold_is_the_calibrated_one(sample_answerer: KnowledgeBaseAnswerer) -> None:
    calibrated = calibrate_threshold(sample_answerer, load_labelled(DATA / "rag_dev.jsonl"))
    print(f"\ncalibrated on rag_dev: {calibrated:.2f} (default {DEFAULT_THRESHOLD:.2f})")
    assert calibrated == pytest.approx(DEFAULT_THRESHOLD)


def test_bm25_meets_the_floors(sample_answerer: KnowledgeBaseAnswerer) -> None:
    report = evaluate(sample_answerer, load_labelled(DATA / "rag_eval.jsonl"))
    print("\nBM25 on tests/data/rag_eval.jsonl over examples/kb")
    print("\n".join(report.lines()))
    print("\n".join(report.misses))
    assert report.recall_at_3 >= 0.85
    assert report.escalation_f1 >= 0.8


def test_a_broken_answerer_fails_the_floors() -> None:
    """The floors can fail: an answerer with a threshold nothing passes escalates everything."""
    from tests.unit.rag.conftest import SAMPLE_KB

    broken = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, threshold=1.01)
    report = evaluate(broken, load_labelled(DATA / "rag_eval.jsonl"))
    assert report.escalation_f1 < 0.8
