"""Measuring the answerer on a labelled set: retrieval recall@1/@3 and MRR over the
questions that have an expected topic, and escalation precision/recall/F1 over all.

A labelled set is JSON Lines: ``{"question": "...", "expected": "<topic>" | "escalate" |
"smalltalk"}``. ``smalltalk`` items must be answered without a ticket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from helpline.adapters.rag.answerer import KnowledgeBaseAnswerer

ESCALATE = "escalate"
SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Labelled:
    """One customer question and what should happen."""

    question: str
    expected: str


@dataclass(frozen=True)
class Report:
    """Evaluation figures (fractions in 0..1) and the items that went wrong."""

    questions: int
    recall_at_1: float
    recall_at_3: float
    mrr: float
    escalation_precision: float
    escalation_recall: float
    escalation_f1: float
    misses: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The figures, one per line, for printing."""
        return [f"questions            {self.questions}",
                f"recall@1             {self.recall_at_1:.3f}",
                f"recall@3             {self.recall_at_3:.3f}",
                f"MRR                  {self.mrr:.3f}",
                f"escalation precision {self.escalation_precision:.3f}",
                f"escalation recall    {self.escalation_recall:.3f}",
                f"escalation F1        {self.escalation_f1:.3f}"]


def load_labelled(path: Path | str) -> list[Labelled]:
    """Read a JSON Lines labelled set."""
    items = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            items.append(Labelled(str(raw["question"]), str(raw["expected"])))
    return items


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(answerer: KnowledgeBaseAnswerer, items: Sequence[Labelled]) -> Report:
    """Run every question through ``answerer`` (no history, no customer)."""
    retrieval = [i for i in items if i.expected not in (ESCALATE, SMALLTALK)]
    r1 = r3 = rr = 0.0
    tp = fp = fn = 0
    misses: list[str] = []
    for item in items:
        if item in retrieval:
            ranked = [h.topic for h in answerer.search(item.question)]
            if item.expected in ranked:
                rank = ranked.index(item.expected) + 1
                rr += 1 / rank
                r1 += rank == 1
                r3 += rank <= 3
            if not ranked or ranked[0] != item.expected:
                misses.append(f"retrieval: {item.question!r} -> {ranked[:3]} "
                              f"(expected {item.expected})")
        escalated = answerer.answer(item.question, (), None).open_ticket
        should = item.expected == ESCALATE
        tp += escalated and should
        fp += escalated and not should
        fn += should and not escalated
        if escalated != should:
            misses.append(f"escalation: {item.question!r} escalated={escalated}")
    n = max(len(retrieval), 1)
    precision, recall, f1 = _f1(tp, fp, fn)
    return Report(len(items), r1 / n, r3 / n, rr / n, precision, recall, f1, tuple(misses))


def calibrate_threshold(answerer: KnowledgeBaseAnswerer, items: Sequence[Labelled],
                        candidates: Iterable[float] | None = None) -> float:
    """The threshold that maximises escalation F1 on ``items`` (a calibration set, never
    the evaluation set): the middle of the best-scoring run of candidate thresholds.

    Each question is answered once with the threshold off (did another rule escalate?) and
    searched once (its best confidence); the sweep then costs nothing."""
    grid = sorted(candidates or [round(x * 0.02, 2) for x in range(5, 46)])
    original = answerer.threshold
    answerer.threshold = -1.0
    try:
        seen = []
        for item in items:
            ruled = answerer.answer(item.question, (), None).open_ticket
            hits = answerer.search(item.question)
            seen.append((ruled, hits[0].confidence if hits else 0.0, item.expected == ESCALATE))
    finally:
        answerer.threshold = original
    scores = []
    for value in grid:
        tp = fp = fn = 0
        for ruled, confidence, should in seen:
            escalated = ruled or confidence < value
            tp += escalated and should
            fp += escalated and not should
            fn += should and not escalated
        scores.append(_f1(tp, fp, fn)[2])
    best = max(scores)
    winners = [v for v, s in zip(grid, scores, strict=True) if s == best]
    return winners[len(winners) // 2]
