"""The labelled evaluation over the sample knowledge base, with the default answerer.

The threshold is calibrated on the dev sets only (``conftest.DEV_SETS``); the held-out sets
(``conftest.HELD_OUT_SETS``) and the unseen gym knowledge base with its questions were
written before any tuning and never used for it. No set copies the knowledge base's wording.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.adapters.rag import DEFAULT_THRESHOLD, Embedder, KnowledgeBaseAnswerer
from helpline.adapters.rag.evaluation import (
    ESCALATE,
    SMALLTALK,
    Labelled,
    LabelledSetError,
    Outcome,
    Report,
    calibrate_threshold,
    evaluate,
    load_labelled,
    report,
)
from helpline.adapters.rag.text import guess_language
from helpline.application.ai_agent import fold
from helpline.application.ports import Answer
from tests.unit.rag.conftest import (
    DATA,
    DEV_SETS,
    HELD_OUT_SETS,
    MORE_KBS,
    REALISTIC_DEV,
    REALISTIC_EVAL,
    SAMPLE_KB,
    UNSEEN_KB,
)

pytestmark = pytest.mark.unit


def labelled(names: tuple[str, ...]) -> list[Labelled]:
    return [item for name in names for item in load_labelled(DATA / name)]


def show(title: str, result: Report) -> None:
    print(f"\n{title}\n" + "\n".join(result.lines()))


def assert_floors(result: Report, *, f1: float, wrong: float) -> None:
    """Issue 15's floors that hold everywhere (near-miss handed over and right-source@3 at
    least 0.9), and this set's measured escalation F1 and confidently-wrong rate as
    regression floors."""
    assert result.near_miss_handed_over is not None
    assert result.near_miss_handed_over >= 0.9
    assert result.recall_at_3 >= 0.9
    assert result.escalation_f1 >= f1
    assert result.confidently_wrong_rate <= wrong


def test_labelled_sets_are_big_enough_separate_and_valid(
        sample_answerer: KnowledgeBaseAnswerer) -> None:
    dev, held_out = labelled(DEV_SETS), labelled(HELD_OUT_SETS)
    assert len(held_out) >= 150 and len(dev) >= 75
    assert not {fold(i.question) for i in held_out} & {fold(i.question) for i in dev}
    topics = set(sample_answerer.kb.topics())
    for item in held_out + dev:
        assert item.expected in topics | {ESCALATE, SMALLTALK}, item
        assert item.near is None or item.near in topics, item
    kb_questions = {fold(e.question).strip("¿? ") for e in sample_answerer.kb.entries}
    assert not {fold(i.question).strip("¿? ") for i in held_out + dev} & kb_questions


def test_the_realistic_sets_are_valid_and_separate(
        sample_answerer: KnowledgeBaseAnswerer) -> None:
    dev, held_out = labelled((REALISTIC_DEV,)), labelled((REALISTIC_EVAL,))
    assert len(dev) >= 75 and len(held_out) >= 75
    others = {fold(i.question) for i in labelled(DEV_SETS + HELD_OUT_SETS)}
    assert not {fold(i.question) for i in dev} & {fold(i.question) for i in held_out}
    assert not {fold(i.question) for i in dev + held_out} & others
    topics = set(sample_answerer.kb.topics())
    for item in dev + held_out:
        assert item.expected in topics | {ESCALATE, SMALLTALK}, item
        assert item.near is None or item.near in topics, item
    for half in (dev, held_out):
        near = [i for i in half if i.near is not None]
        assert len(near) >= 20 and {guess_language(i.question) for i in near} >= {"es", "en", "pt"}


def test_the_near_miss_sets_have_forty_questions_in_three_languages() -> None:
    near = [i for i in labelled(DEV_SETS + HELD_OUT_SETS) if i.near is not None]
    assert len(near) >= 40 and all(i.expected == ESCALATE for i in near)
    languages = {guess_language(i.question) for i in near}
    assert {"es", "en", "pt"} <= languages


def test_default_threshold_is_the_one_calibrated_on_dev(
        sample_answerer: KnowledgeBaseAnswerer) -> None:
    calibrated = calibrate_threshold(sample_answerer, labelled(DEV_SETS))
    assert calibrated == pytest.approx(DEFAULT_THRESHOLD)


def test_held_out_figures(sample_answerer: KnowledgeBaseAnswerer) -> None:
    """Issue 15's floors that hold on the held-out sets, and the measured levels of the
    others as regression floors (the escalation F1 floor is below, marked as not met)."""
    result = evaluate(sample_answerer, labelled(HELD_OUT_SETS))
    show("held-out sets over examples/kb", result)
    assert_floors(result, f1=0.65, wrong=0.05)
    assert result.resolution_rate >= 0.4


@pytest.mark.xfail(strict=True, reason="not met: held-out escalation F1 is 0.66 — answerable "
                   "questions that name something the entry does not (a product, a place) "
                   "are handed over too; see README, The AI agent")
def test_held_out_escalation_f1_meets_the_issue_floor(
        sample_answerer: KnowledgeBaseAnswerer) -> None:
    assert evaluate(sample_answerer, labelled(HELD_OUT_SETS)).escalation_f1 >= 0.9


def test_realistic_messages_figures(sample_answerer: KnowledgeBaseAnswerer) -> None:
    """The floors that hold on realistic messages, and the levels of the others as
    regression floors. The answerer hands nearly every such message over: its check asks
    the entry to speak of every salient word, and a real message names a kettle, a sister,
    Munich and last Friday besides the question."""
    result = evaluate(sample_answerer, labelled((REALISTIC_EVAL,)))
    show("realistic messages (eval half) over examples/kb", result)
    assert_floors(result, f1=0.5, wrong=0.02)


@pytest.mark.xfail(strict=True, reason="not met: on realistic messages the answerer resolves "
                   "2 % and its escalation F1 is 0.53 — a chatty message names things the "
                   "entry does not; see README, The AI agent")
def test_realistic_escalation_f1_meets_the_issue_floor(
        sample_answerer: KnowledgeBaseAnswerer) -> None:
    assert evaluate(sample_answerer, labelled((REALISTIC_EVAL,))).escalation_f1 >= 0.9


def test_an_unseen_knowledge_base(multilingual: Embedder) -> None:
    """A gym's knowledge base and questions, never looked at while tuning."""
    answerer = KnowledgeBaseAnswerer.from_path(UNSEEN_KB, embedder=multilingual)
    result = evaluate(answerer, load_labelled(DATA / "unseen_kb_questions.yaml"))
    show("unseen gym KB", result)
    assert_floors(result, f1=0.8, wrong=0.02)


@pytest.mark.parametrize("name", ["telecom", "bank", "hotel"])
def test_more_knowledge_bases(multilingual: Embedder, name: str) -> None:
    """Knowledge bases of other businesses, never looked at while tuning: the floors that
    hold, and the measured levels of the others as regression floors."""
    answerer = KnowledgeBaseAnswerer.from_path(MORE_KBS / name / "kb.csv", embedder=multilingual)
    result = evaluate(answerer, load_labelled(MORE_KBS / name / "questions.jsonl"))
    show(f"{name} KB", result)
    assert len(result.outcomes) >= 190
    assert_floors(result, f1=0.6, wrong=0.02)


def test_a_lenient_answerer_fails_the_floors(multilingual: Embedder) -> None:
    """The floors can fail: with no answerability threshold, near-misses are answered."""
    lenient = KnowledgeBaseAnswerer.from_path(SAMPLE_KB, threshold=0.0, embedder=multilingual)
    result = evaluate(lenient, labelled(HELD_OUT_SETS))
    assert result.near_miss_handed_over is not None and result.near_miss_handed_over < 0.5
    assert result.confidently_wrong_rate > 0.2


def outcome(question: str, expected: str, answered: str | None, near: str | None = None,
            ranked: tuple[str, ...] = ()) -> Outcome:
    answer = (Answer("…", open_ticket=True) if answered is None
              else Answer("…", sources=(f"{answered}@es",) if answered else ()))
    return Outcome(Labelled(question, expected, near), ranked, answer)


def test_the_five_figures_on_hand_made_outcomes() -> None:
    result = report([
        outcome("a", "returns", "returns", ranked=("returns",)),           # resolved
        outcome("b", "returns", "refunds", ranked=("refunds", "returns")),  # wrong entry
        outcome("c", "refunds", None, ranked=("x", "y", "z", "refunds")),   # handed over
        outcome("d", ESCALATE, None, near="returns"),                       # near-miss, ok
        outcome("e", ESCALATE, "returns", near="returns"),                  # near-miss, wrong
        outcome("f", ESCALATE, None),                                       # ok
        outcome("g", SMALLTALK, ""),                                        # greeting, ok
    ])
    assert result.near_miss_handed_over == 0.5
    assert result.recall_at_3 == pytest.approx(2 / 3)
    assert result.resolution_rate == pytest.approx(1 / 3)
    assert result.confidently_wrong_rate == pytest.approx(2 / 6)  # b and e; g is smalltalk
    # hand-overs: c (wrong), d, f (right); e missed
    assert (result.escalation_precision, result.escalation_recall) == \
        (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert [m.split(":")[0] for m in result.misses] == ["'b'", "'c'", "'e'"]
    assert "retrieved refunds, returns" in result.misses[0]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("q.jsonl", '{"question": "hola", "expected": "smalltalk"}\n{oops\n',
     "q.jsonl line 2: not valid JSON"),
    ("q.jsonl", '{"question": "", "expected": "x"}\n', "'question' must be a non-empty text"),
    ("q.jsonl", '{"question": "hola"}\n', "'expected' must be a topic id"),
    ("q.yaml", "question: hola\n", "expected a list of questions"),
    ("q.yaml", "- question: [unclosed\n", "not valid YAML"),
    ("q.yaml", "- {question: hola, expected: returns, near: returns}\n",
     "q.yaml item 1: 'near' (a topic id) goes with expected: escalate"),
    ("q.yaml", "[]\n", "no questions in it"),
])
def test_bad_labelled_sets_say_where_and_why(tmp_path: Path, name: str, text: str,
                                             message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabelledSetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_labelled(path)


def test_a_missing_labelled_set_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LabelledSetError, match="cannot read it"):
        load_labelled(tmp_path / "nope.yaml")


def test_yaml_with_a_questions_key(tmp_path: Path) -> None:
    path = tmp_path / "q.yml"
    path.write_text("questions:\n  - {question: '¿Puedo pagar con bitcoin?', expected: escalate,"
                    " near: payment-methods}\n", encoding="utf-8")
    assert load_labelled(path) == [Labelled("¿Puedo pagar con bitcoin?", ESCALATE,
                                            "payment-methods")]
