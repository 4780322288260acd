"""``helpline kb index PATH``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from helpline.adapters.rag import cli
from tests.unit.rag.conftest import SAMPLE_KB, FakeLLM

pytestmark = pytest.mark.unit


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="helpline")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    result: int = args.func(args)
    return result


def test_index_the_sample_kb(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kb", "index", str(SAMPLE_KB), "--query", "donde esta mi pedido") == 0
    out = capsys.readouterr().out
    assert "58 entries, 29 topics" in out
    assert "csv 10, json 8, markdown 40" in out and "en 29, es 29" in out
    assert "order-tracking" in out and "no problems" in out


def test_index_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.md").write_text("no front matter", encoding="utf-8")
    assert run("kb", "index", str(tmp_path)) == 1
    assert "no front matter" in capsys.readouterr().out


def test_eval_prints_the_figures_and_each_failure_with_what_was_retrieved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "mine.yaml"
    questions.write_text(
        "- {question: '¿Puedo pagar con PayPal?', expected: payment-methods}\n"
        "- {question: '¿Aceptáis pagos con bitcoin?', expected: escalate, "
        "near: payment-methods}\n"
        # labelled wrongly on purpose (Amex is accepted): a failure for the command to print
        "- {question: '¿Aceptáis tarjetas American Express?', expected: escalate}\n"
        "- {question: 'hola', expected: smalltalk}\n", encoding="utf-8")
    assert run("kb", "eval", str(SAMPLE_KB), str(questions)) == 0
    out = capsys.readouterr().out
    assert "questions              4" in out
    assert "near-miss handed over  1.000" in out
    assert "right-source@3         1.000" in out
    assert "resolution rate        1.000" in out
    assert "confidently wrong      0.333" in out
    assert "1 failure(s):" in out
    assert ("'¿Aceptáis tarjetas American Express?': expected escalate; answered from "
            "payment-methods@es") in out
    assert "retrieved payment-methods" in out


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read it"),
    ("- {question: hola}\n", "item 1: 'expected' must be a topic id"),
    ("- {question: hola, expected: opening-hour}\n",
     "these topics are in the questions but not in"),
])
def test_eval_refuses_bad_question_files_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None,
        message: str) -> None:
    questions = tmp_path / "q.yaml"
    if content is not None:
        questions.write_text(content, encoding="utf-8")
    assert run("kb", "eval", str(SAMPLE_KB), str(questions)) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("helpline kb eval: error: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_eval_refuses_a_missing_knowledge_base(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text("- {question: hola, expected: smalltalk}\n", encoding="utf-8")
    assert run("kb", "eval", str(tmp_path / "nokb"), str(questions)) == 2
    assert "no such file or folder" in capsys.readouterr().err


@pytest.mark.integration
def test_eval_with_an_llm_measures_the_model_as_judge(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_llm: FakeLLM) -> None:
    """With ``--llm-url`` the figures are those of the model judging the closest entries:
    here a model that refuses everything, so every question it is asked is handed over."""
    questions = tmp_path / "mine.yaml"
    questions.write_text(
        "- {question: '¿Cuánto tarda en llegar mi pedido?', expected: shipping-times}\n"
        "- {question: '¿Aceptáis bitcoin?', expected: escalate, near: payment-methods}\n"
        "- {question: '¿me recomiendas una película?', expected: escalate}\n"
        "- {question: hola, expected: smalltalk}\n", encoding="utf-8")
    fake_llm.reply = "NO_ANSWER"
    assert run("kb", "eval", str(SAMPLE_KB), str(questions), "--llm-url", fake_llm.url,
               "--llm-model", "tiny-chat") == 0
    out = capsys.readouterr().out
    assert "with the LLM tiny-chat" in out
    assert "resolution rate        0.000" in out and "near-miss handed over  1.000" in out
    assert len(fake_llm.requests) == 2  # not the film (no entry shares a word), not "hola"


def test_eval_with_an_llm_url_but_no_model_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "mine.yaml"
    questions.write_text("- {question: hola, expected: smalltalk}\n", encoding="utf-8")
    assert run("kb", "eval", str(SAMPLE_KB), str(questions), "--llm-url",
               "http://127.0.0.1:9/v1") == 2
    assert "--llm-url needs --llm-model" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.parametrize("configured", [True, False])
def test_eval_sends_the_api_key_only_to_the_configured_endpoint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_llm: FakeLLM,
        monkeypatch: pytest.MonkeyPatch, configured: bool) -> None:
    questions = tmp_path / "mine.yaml"
    questions.write_text("- {question: '¿Aceptáis bitcoin?', expected: escalate, "
                         "near: payment-methods}\n", encoding="utf-8")
    monkeypatch.setenv("HELPLINE_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("HELPLINE_LLM_URL", fake_llm.url if configured else "https://llm.example/v1")
    fake_llm.reply = "NO_ANSWER"
    assert run("kb", "eval", str(SAMPLE_KB), str(questions), "--llm-url", fake_llm.url,
               "--llm-model", "tiny-chat") == 0
    sent = fake_llm.headers[0].get("Authorization")
    assert sent == ("Bearer sk-secret" if configured else None)
