"""Measuring the answerer on a labelled set of questions.

A labelled set is JSON Lines (``.jsonl``) or YAML (``.yaml``/``.yml``, a list), one item per
question: ``{"question": "...", "expected": "<topic>" | "escalate" | "smalltalk",
"near": "<topic>"}``. ``near`` marks a *near-miss*: a question that shares words with that
entry but asks something the knowledge base does not answer (so ``expected`` is
``escalate``). ``smalltalk`` items must be answered without a ticket and without a source.

The figures (:class:`Report`'s fields), all fractions in 0..1:

- **right-source@3**: answerable questions (those with an expected topic) whose topic is
  among the first three retrieved (also recall@1 and MRR);
- **escalation precision/recall/F1**: handing over is the positive class; ``escalate``
  items should hand over, every other item should not;
- **near-miss handed over**: near-miss questions that were handed over;
- **resolution rate**: answerable questions answered from the right topic without a human;
- **confidently-wrong rate**: questions (smalltalk aside) answered without a human from a
  topic that does not answer them: the wrong topic, or any topic for an ``escalate`` item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from helpline.adapters.rag.answerability import Verdict
from helpline.adapters.rag.index import Hit
from helpline.application.ports import Answer
from helpline.catalog import CustomerInfo, Turn

ESCALATE = "escalate"
SMALLTALK = "smalltalk"


class LabelledSetError(ValueError):
    """A labelled set that cannot be read; the message says where and why."""


class Evaluable(Protocol):
    """What the evaluation needs of an answerer: its ranking and its answer."""

    def search(self, question: str) -> list[Hit]:
        """The topics retrieved for ``question``, best first."""
        ...

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        """The answer the customer would get."""
        ...


@dataclass(frozen=True)
class Labelled:
    """One customer question and what should happen (``near``: see the module docstring)."""

    question: str
    expected: str
    near: str | None = None

    @property
    def answerable(self) -> bool:
        """Whether the knowledge base answers it (it names a topic)."""
        return self.expected not in (ESCALATE, SMALLTALK)


@dataclass(frozen=True)
class Outcome:
    """What the answerer did with one labelled question."""

    item: Labelled
    ranked: tuple[str, ...]
    answer: Answer

    @property
    def handed_over(self) -> bool:
        """Whether a person was asked to take over."""
        return self.answer.open_ticket

    @property
    def answered_topic(self) -> str | None:
        """The topic the customer was answered from (``None`` when handed over or when the
        reply quoted no entry, as for a greeting)."""
        if self.answer.open_ticket or not self.answer.sources:
            return None
        return self.answer.sources[0].split("@", 1)[0]

    @property
    def confidently_wrong(self) -> bool:
        """Answered without a human from an entry that does not answer the question."""
        topic = self.answered_topic
        return topic is not None and topic != self.item.expected

    @property
    def resolved(self) -> bool:
        """An answerable question answered from its topic without a human."""
        return self.item.answerable and self.answered_topic == self.item.expected

    def failure(self) -> str | None:
        """Why this outcome is wrong, in one line, or ``None`` when it is right."""
        item, got = self.item, self.answer
        retrieved = ", ".join(self.ranked[:3]) or "nothing"
        if item.expected == SMALLTALK:
            wrong = got.open_ticket or bool(got.sources)
        elif item.expected == ESCALATE:
            wrong = not got.open_ticket
        else:
            wrong = not self.resolved
        if not wrong:
            return None
        did = (f"handed over ({got.reason})" if got.open_ticket
               else f"answered from {', '.join(got.sources) or 'no entry'} "
                    f"(confidence {got.confidence:.2f})")
        near = f", near {item.near}" if item.near else ""
        return (f"{item.question!r}: expected {item.expected}{near}; {did}; "
                f"retrieved {retrieved}")


@dataclass(frozen=True)
class Report:
    """The evaluation figures (all fractions in 0..1 but ``questions``) and the outcomes
    behind them."""

    questions: int
    """How many labelled questions were asked."""
    recall_at_1: float
    """Answerable questions (those with an expected topic) whose topic was retrieved
    first."""
    recall_at_3: float
    """*right-source@3*: answerable questions whose topic is among the first three
    retrieved."""
    mrr: float
    """The mean reciprocal rank of the expected topic over the answerable questions (0 for
    one not retrieved)."""
    escalation_precision: float
    """Of the questions handed over, those that should have been (``escalate`` items):
    handing over is the positive class."""
    escalation_recall: float
    """Of the ``escalate`` items, those that were handed over."""
    escalation_f1: float
    """The harmonic mean of the escalation precision and recall."""
    near_miss_handed_over: float | None = None
    """Near-miss questions that were handed over (``None``: the set has none)."""
    resolution_rate: float = 0.0
    """Answerable questions answered from the right topic without a human."""
    confidently_wrong_rate: float = 0.0
    """Questions (smalltalk aside) answered without a human from a topic that does not
    answer them: the wrong topic, or any topic for an ``escalate`` item."""
    outcomes: tuple[Outcome, ...] = field(default=(), repr=False)
    """What the answerer did with each question, in the set's order."""

    @property
    def misses(self) -> tuple[str, ...]:
        """One line per question the answerer got wrong."""
        return tuple(f for f in (o.failure() for o in self.outcomes) if f is not None)

    def lines(self) -> list[str]:
        """The figures, one per line, for printing."""
        near = ("n/a (no near-miss items)" if self.near_miss_handed_over is None
                else f"{self.near_miss_handed_over:.3f}")
        return [f"questions              {self.questions}",
                f"near-miss handed over  {near}",
                f"right-source@3         {self.recall_at_3:.3f}",
                f"escalation F1          {self.escalation_f1:.3f} "
                f"(precision {self.escalation_precision:.3f}, "
                f"recall {self.escalation_recall:.3f})",
                f"resolution rate        {self.resolution_rate:.3f}",
                f"confidently wrong      {self.confidently_wrong_rate:.3f}",
                f"recall@1               {self.recall_at_1:.3f}",
                f"MRR                    {self.mrr:.3f}"]


def _item(raw: Any, where: str) -> Labelled:
    if not isinstance(raw, Mapping):
        raise LabelledSetError(f"{where}: expected a mapping with 'question' and 'expected'")
    question, expected, near = raw.get("question"), raw.get("expected"), raw.get("near")
    if not isinstance(question, str) or not question.strip():
        raise LabelledSetError(f"{where}: 'question' must be a non-empty text")
    if not isinstance(expected, str) or not expected.strip():
        raise LabelledSetError(f"{where}: 'expected' must be a topic id, "
                               f"'{ESCALATE}' or '{SMALLTALK}'")
    if near is not None and (not isinstance(near, str) or expected != ESCALATE):
        raise LabelledSetError(f"{where}: 'near' (a topic id) goes with expected: {ESCALATE}")
    return Labelled(question.strip(), expected.strip(), near)


def load_labelled(path: Path | str) -> list[Labelled]:
    """Read a labelled set (JSON Lines, or YAML for ``.yaml``/``.yml``); raise
    ``LabelledSetError`` naming the file and line or item when it cannot."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelledSetError(f"{path}: cannot read it ({exc.__class__.__name__}: "
                               f"{getattr(exc, 'strerror', None) or exc})") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise LabelledSetError(f"{path}: not valid YAML ({exc})") from exc
        if isinstance(data, Mapping):
            data = data.get("questions")
        if not isinstance(data, list):
            raise LabelledSetError(f"{path}: expected a list of questions "
                                   "(or a mapping with a 'questions' list)")
        items = [_item(raw, f"{path} item {n}") for n, raw in enumerate(data, start=1)]
    else:
        items = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelledSetError(f"{path} line {n}: not valid JSON ({exc.msg})") from exc
            items.append(_item(raw, f"{path} line {n}"))
    if not items:
        raise LabelledSetError(f"{path}: no questions in it")
    return items


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run(answerer: Evaluable, items: Iterable[Labelled]) -> list[Outcome]:
    """Search and answer every question (no history, no customer)."""
    return [Outcome(item, tuple(h.topic for h in answerer.search(item.question)),
                    answerer.answer(item.question, (), None)) for item in items]


def report(outcomes: Sequence[Outcome]) -> Report:
    """The figures over ``outcomes``."""
    answerable = [o for o in outcomes if o.item.answerable]
    ranks = [o.ranked.index(o.item.expected) + 1 if o.item.expected in o.ranked else None
             for o in answerable]
    n = max(len(answerable), 1)
    tp = sum(o.handed_over and o.item.expected == ESCALATE for o in outcomes)
    fp = sum(o.handed_over and o.item.expected != ESCALATE for o in outcomes)
    fn = sum(not o.handed_over and o.item.expected == ESCALATE for o in outcomes)
    precision, recall, f1 = _f1(tp, fp, fn)
    near = [o for o in outcomes if o.item.near is not None]
    asked = [o for o in outcomes if o.item.expected != SMALLTALK]
    return Report(
        questions=len(outcomes),
        recall_at_1=sum(r == 1 for r in ranks) / n,
        recall_at_3=sum(r is not None and r <= 3 for r in ranks) / n,
        mrr=sum(1 / r for r in ranks if r is not None) / n,
        escalation_precision=precision, escalation_recall=recall, escalation_f1=f1,
        near_miss_handed_over=(sum(o.handed_over for o in near) / len(near)) if near else None,
        resolution_rate=sum(o.resolved for o in answerable) / n,
        confidently_wrong_rate=sum(o.confidently_wrong for o in asked) / max(len(asked), 1),
        outcomes=tuple(outcomes))


def evaluate(answerer: Evaluable, items: Sequence[Labelled]) -> Report:
    """Run every question through ``answerer`` and compute the figures."""
    return report(run(answerer, items))


class Calibratable(Evaluable, Protocol):
    """An answerer whose answerability threshold can be swept."""

    threshold: float

    def verdicts(self, question: str) -> list[Verdict]:
        """The answerability of the retrieved topics, best first."""
        ...


def sweep(answerer: Calibratable, items: Sequence[Labelled],
          grid: Iterable[float]) -> list[tuple[float, Report]]:
    """The report at each threshold of ``grid``, from one pass over ``items``: each
    question is answered once with the threshold off (did another rule hand it over?) and
    its verdicts computed once; the sweep itself then costs nothing."""
    original = answerer.threshold
    answerer.threshold = -1.0
    try:
        seen = [(item, tuple(h.topic for h in answerer.search(item.question)),
                 answerer.answer(item.question, (), None), answerer.verdicts(item.question))
                for item in items]
    finally:
        answerer.threshold = original
    out = []
    for value in grid:
        outcomes = []
        for item, ranked, free, verdicts in seen:
            if free.open_ticket or not free.sources:  # a rule, or smalltalk: no threshold
                outcomes.append(Outcome(item, ranked, free))
            elif verdicts and verdicts[0].coverage >= value:
                outcomes.append(Outcome(item, ranked, Answer(
                    free.text, sources=(f"{verdicts[0].topic}@xx",),
                    confidence=verdicts[0].coverage)))
            else:
                outcomes.append(Outcome(item, ranked, Answer("", open_ticket=True)))
        out.append((value, report(outcomes)))
    return out


def calibrate_threshold(answerer: Calibratable, items: Sequence[Labelled],
                        grid: Iterable[float] | None = None) -> float:
    """The threshold that maximises escalation F1 on ``items`` (a dev set, never the
    held-out one), fewer confidently-wrong answers breaking ties; the middle of the best
    run of ``grid`` values."""
    values = sorted(grid or [round(x * 0.02, 2) for x in range(0, 51)])
    scored = [(round(r.escalation_f1, 6), -round(r.confidently_wrong_rate, 6))
              for _, r in sweep(answerer, items, values)]
    best = max(scored)
    winners = [v for v, s in zip(values, scored, strict=True) if s == best]
    return winners[len(winners) // 2]
