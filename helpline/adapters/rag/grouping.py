"""Grouping the questions the AI handed over by similarity, so the business that owns the
knowledge base sees where it fails most ("12 customers asked about student discounts").

A pure function over texts: the caller (an admin page, a report) fetches the handed-over
questions and shows the groups, biggest first. With an ``Embedder`` the similarity is by
meaning and across languages (USE multilingual v3 puts "student discount" and "desconto
para estudantes" together); without one it is the cosine of the questions' index terms.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from helpline.adapters.rag.index import Embedder
from helpline.adapters.rag.text import terms, words

#: Cosine at or above which two questions go together, for USE multilingual v3 vectors and
#: for term vectors alike (paraphrases and translations score above it, questions that
#: only share a topic word below; see the tests).
SIMILARITY = 0.65


@dataclass(frozen=True)
class QuestionGroup:
    """Questions that ask much the same thing: ``members`` are indexes into the input,
    ``representative`` the member most like the others, ``words`` the words they share
    most (as a hint of what the knowledge base lacks)."""

    representative: str
    members: tuple[int, ...]
    words: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """How many questions the group holds."""
        return len(self.members)


def _term_vectors(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    vocabulary: dict[str, int] = {}
    bags = [Counter(terms(t)) for t in texts]
    for bag in bags:
        for term in bag:
            vocabulary.setdefault(term, len(vocabulary))
    out = np.zeros((len(texts), max(len(vocabulary), 1)))
    for row, bag in enumerate(bags):
        for term, count in bag.items():
            out[row, vocabulary[term]] = count
    return out


def _normalised(vectors: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _shared_words(texts: Sequence[str], limit: int = 3) -> tuple[str, ...]:
    """Words (of four letters or more) most of ``texts`` use, most used first."""
    # dict.fromkeys, not set: ties keep the order of first use, the same on every run
    counts = Counter(w for t in texts for w in dict.fromkeys(words(t)) if len(w) >= 4)
    needed = math.ceil(len(texts) / 2)
    return tuple(w for w, n in counts.most_common() if n >= max(needed, 2))[:limit]


def group_questions(questions: Sequence[str], embedder: Embedder | None = None, *,
                    similarity: float = SIMILARITY) -> list[QuestionGroup]:
    """Group ``questions`` (biggest group first, then by first appearance).

    Deterministic leader clustering: the question with the most neighbours (cosine
    ``>= similarity``) not yet grouped leads a group of those neighbours; repeat until every
    question is in a group (a question like no other is a group of one)."""
    if not questions:
        return []
    raw = (np.asarray(embedder(list(questions)), dtype=np.float64) if embedder is not None
           else _term_vectors(questions))
    vectors = _normalised(raw)
    close = (vectors @ vectors.T) >= similarity - 1e-9
    free = np.ones(len(questions), dtype=bool)
    groups = []
    while free.any():
        degree = np.where(free, (close & free).sum(axis=1), -1)  # grouped: lead nothing
        leader = int(np.argmax(degree))  # ties: the earliest question
        found = np.flatnonzero((close[leader] | (np.arange(len(free)) == leader)) & free)
        free[found] = False
        members = tuple(int(m) for m in found)
        groups.append(QuestionGroup(questions[leader], members,
                                    _shared_words([questions[m] for m in members])))
    return sorted(groups, key=lambda g: (-g.size, g.members[0]))
