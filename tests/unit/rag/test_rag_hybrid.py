"""Hybrid retrieval (BM25 + embeddings, reciprocal rank fusion): the pipeline with a
deterministic fake embedder, and the real ``[embeddings]`` extra when it is installed."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import pytest

from helpline.adapters.rag import Embedder, KnowledgeBaseAnswerer
from helpline.adapters.rag.embeddings import make_embedder, missing_extra
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
    assert answerer.index.embedder is embedder
    # one vector per topic for retrieval, then the KB's words for the answerability check
    assert calls[0] == 29 and len(calls) == 2 and calls[1] > 500
    hits = answerer.search("how do I reset my password")
    assert hits[0].topic == "password-reset"
    assert len(calls) == 3 and calls[2] == 1  # and one per question
    dense = answerer.index.dense("how do I reset my password", 3)
    assert dense[0].id == "password-reset" and len(dense) == 3
    assert dense[0].score is not None and dense[0].score >= (dense[1].score or 0.0)
    answer = answerer.answer("how do I reset my password", (), None)
    assert answer.sources == ("password-reset@en",)


@pytest.mark.skipif(missing_extra() is not None,
                    reason=f"[embeddings] extra not installed: {missing_extra()} missing")
def test_hybrid_with_the_minilm_model_retrieves() -> None:
    """The English-only all-MiniLM-L6-v2 extra still works as the embedder (its
    answerability threshold is the multilingual one's, so only retrieval is checked)."""
    from helpline.adapters.rag.embeddings import sentence_embedder

    answerer = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, embedder=sentence_embedder())
    report = evaluate(answerer, load_labelled(DATA / "rag_eval.jsonl"))
    print("\nhybrid (BM25 + all-MiniLM-L6-v2, RRF) on tests/data/rag_eval.jsonl")
    print("\n".join(report.lines()))
    assert report.recall_at_3 >= 0.85


def test_the_multilingual_embedder_finds_entries_across_languages(
        multilingual: Embedder) -> None:
    """Portuguese questions over a Spanish/English KB: BM25 alone misses words it has never
    seen ("senha", "frete"); the USE vectors do not."""
    questions = load_labelled(DATA / "rag_multilingual_eval.jsonl")
    bm25 = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, embedder_name="none")
    hybrid = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, embedder=multilingual)
    alone, fused = evaluate(bm25, questions), evaluate(hybrid, questions)
    assert alone.recall_at_3 < 0.6
    assert fused.recall_at_3 >= 0.9


def test_an_unknown_embedder_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedder 'bert'"):
        make_embedder("bert")
