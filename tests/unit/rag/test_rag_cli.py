"""``helpline kb index PATH``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from helpline.adapters.rag import cli
from tests.unit.rag.conftest import SAMPLE_KB

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
