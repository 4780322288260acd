"""The search index over a knowledge base: one Haystack ``Document`` per topic in an
``InMemoryDocumentStore`` (instance-local), BM25 by default and, with an embedder, hybrid
retrieval (BM25 + embeddings joined by Haystack's reciprocal rank fusion ``DocumentJoiner``).

The topic vectors live in one NumPy matrix beside the store, not on the Documents: a
``Pipeline`` deep-copies every Document it passes between components, and copying 512
floats per topic took 30 ms a question where the search itself takes well under one.

Documents hold analysed terms (accents folded, stop words dropped, light stems), and the
question goes through the same analysis after typo correction against the KB vocabulary.
``confidence`` is the share of the question's IDF weight that the document covers: unlike a
raw BM25 score it does not grow with the question's length or the corpus size, so one
threshold holds for a 40-entry and a 10,000-entry knowledge base.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from haystack import Document
from haystack.components.joiners import DocumentJoiner
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from helpline.adapters.rag.kb import Entry, KnowledgeBase
from helpline.adapters.rag.text import STOPWORDS, TypoCorrector, terms, terms_of, words

#: Turns texts into vectors (e.g. a sentence-transformers model's ``encode``).
Embedder = Callable[[Sequence[str]], Sequence[Sequence[float]]]

#: Weight of a question word the knowledge base has never seen, as a share of the highest
#: IDF: an unknown word is evidence the question is about something else, but typos and
#: chatter make it weaker evidence than a known rare word.
UNKNOWN_WEIGHT = 0.6


@dataclass(frozen=True)
class Hit:
    """A retrieved topic, its rank score (BM25 or fused) and its coverage confidence."""

    topic: str
    score: float
    confidence: float


def _index_text(entries: Sequence[Entry]) -> list[str]:
    """The analysed terms of a topic: title and question count twice (they are what
    customers ask), then tags and the answer."""
    out: list[str] = []
    for e in entries:
        head = f"{e.title} {e.question}"
        out += terms(head) * 2 + terms(" ".join(e.tags)) + terms(e.answer)
    return out


def _embed_text(entries: Sequence[Entry]) -> str:
    return " ".join(f"{e.title}. {e.question} {e.answer[:300]}" for e in entries)


class Index:
    """Search over one knowledge base. Immutable once built: reloading builds a new one."""

    def __init__(self, kb: KnowledgeBase, *, embedder: Embedder | None = None,
                 top_k: int = 5, bm25_algorithm: str = "BM25L") -> None:
        self.kb = kb
        self.top_k = top_k
        self.entries = kb.topics()
        self.store = InMemoryDocumentStore(bm25_tokenization_regex=r"\S+", shared=False,
                                           bm25_algorithm=bm25_algorithm)  # type: ignore[arg-type]
        self._terms: dict[str, frozenset[str]] = {}
        self._head_terms: dict[str, frozenset[str]] = {}
        vocabulary: list[str] = []
        documents = []
        for topic, entries in self.entries.items():
            analysed = _index_text(entries)
            self._terms[topic] = frozenset(analysed)
            self._head_terms[topic] = frozenset(
                t for e in entries for t in terms(f"{e.title} {e.question} {' '.join(e.tags)}"))
            for e in entries:
                vocabulary += words(f"{e.title} {e.question} {' '.join(e.tags)} {e.answer}")
            documents.append(Document(id=topic, content=" ".join(analysed) or "_",
                                      meta={"topic": topic}))
        self.embedder = embedder
        self._topics = [d.id for d in documents]
        self._vectors: npt.NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        if embedder is not None and documents:
            self._vectors = np.asarray(
                embedder([_embed_text(self.entries[t]) for t in self._topics]),
                dtype=np.float32)
        self.store.write_documents(documents)
        self.corrector = TypoCorrector((w for w in vocabulary if w not in STOPWORDS), min_length=6)
        df: Counter[str] = Counter()
        for term_set in self._terms.values():
            df.update(term_set)
        n = max(len(self._terms), 1)
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self.unknown_idf = math.log((n + 1) / 0.5) * UNKNOWN_WEIGHT
        self.bm25 = InMemoryBM25Retriever(document_store=self.store, top_k=top_k)
        self.joiner = DocumentJoiner(join_mode="reciprocal_rank_fusion", top_k=top_k)

    def dense(self, question: str, top_k: int) -> list[Document]:
        """The ``top_k`` topics whose vectors are closest to the question's (cosine: the
        embedders return unit vectors), best first; empty without an embedder."""
        if self.embedder is None or not self._topics:
            return []
        query = np.asarray(self.embedder([question])[0], dtype=np.float32)
        scores = self._vectors @ query
        best = np.argsort(-scores, kind="stable")[:top_k]
        return [Document(id=self._topics[i], content="", score=float(scores[i]))
                for i in best]

    def analyse(self, question: str) -> list[str]:
        """The question's index terms, after correcting words unknown to the KB."""
        fixed = []
        for word in words(question):
            if word in STOPWORDS or word in self.corrector:
                fixed.append(word)
            else:
                fixed.append(self.corrector.correct(word) or word)
        return terms_of(fixed)

    def topic_terms(self, topic: str, *, head_only: bool = False) -> frozenset[str]:
        """The analysed terms of ``topic`` (all its languages); ``head_only``: those of
        its titles, questions and tags, without the answers."""
        return (self._head_terms if head_only else self._terms).get(topic, frozenset())

    def coverage(self, query_terms: Sequence[str], topic: str) -> float:
        """Share of the question's term weight found in ``topic`` (0..1)."""
        unique = set(query_terms)
        doc_terms = self._terms.get(topic, frozenset())
        total = sum(self.idf.get(t, self.unknown_idf) for t in unique)
        found = sum(self.idf[t] for t in unique if t in doc_terms)
        return found / total if total > 0 else 0.0

    def search(self, question: str, top_k: int | None = None) -> list[Hit]:
        """The best topics for ``question``, best first (empty when nothing matches)."""
        query_terms = self.analyse(question)
        if not query_terms or not self._terms:
            return []
        query = " ".join(query_terms)
        k = top_k or self.top_k
        docs = self.bm25.run(query=query, top_k=k)["documents"]
        if self.embedder is not None:
            docs = self.joiner.run(documents=[docs, self.dense(question, k)],
                                   top_k=k)["documents"]
        return [Hit(d.id, float(d.score or 0.0), self.coverage(query_terms, d.id))
                for d in docs[:k]]
