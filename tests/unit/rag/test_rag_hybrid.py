"""Hybrid retrieval (BM25 + embeddings, reciprocal rank fusion): the pipeline with a
deterministic fake embedder, and the real ``[embeddings]`` extra when it is installed."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import pytest

from helpline.adapters.rag import KnowledgeBaseAnswerer
from helpline.adapters.rag.embeddings import missing_extra
from helpline.adapters.rag.evaluation import evaluate, load_labelled
from helpline.adapters.rag.text import terms
from tests.unit.rag.conftest import DATA, SAMPLE_KB

pytestmark = pytest.mark.unit


def hashed_bag_of_terms(texts: Sequence[str]) -> list[list[float]]:
    """A stand-in embedder: hashed bag of index terms, L2-normalised (64 dims)."""
    out = []
    for text in texts:
        vector = [0.0] * 64
        for term in terms(text):
            vector[int(hashlib.sha1(term.encode()).hexdigest(), 16) % 64] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        out.append([x / norm for x in vector])
    return out


def test_hybrid_pipeline_retrieves_and_fuses() -> None:
    calls: list[int] = []

    def embedder(texts: Sequence[str]) -> list[list[float]]:
        calls.append(len(texts))
        return hashed_bag_of_terms(texts)

    answerer = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, embedder=embedder)
    assert answerer.index.pipeline is not None
    assert calls == [29]  # one vector per topic at indexing
    hits = answerer.search("how do I reset my password")
    assert hits[0].topic == "password-reset"
    assert calls[1:] == [1]  # and one per question
    answer = answerer.answer("how do I reset my password", (), None)
    assert answer.sources == ("password-reset@en",)


@pytest.mark.skipif(missing_extra() is not None,
                    reason=f"[embeddings] extra not installed: {missing_extra()} missing")
def test_hybrid_with_the_bundled_model_meets_the_floors() -> None:
    from helpline.adapters.rag.embeddings import sentence_embedder

    answerer = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, embedder=sentence_embedder())
    report = evaluate(answerer, load_labelled(DATA / "rag_eval.jsonl"))
    print("\nhybrid (BM25 + all-MiniLM-L6-v2, RRF) on tests/data/rag_eval.jsonl")
    print("\n".join(report.lines()))
    assert report.recall_at_3 >= 0.85
    assert report.escalation_f1 >= 0.8
