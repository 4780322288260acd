"""The README stays true: its Python examples run, and its configuration table lists every
setting (and nothing that is not one)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpline.config import Settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("block", re.findall(r"```python\n(.*?)```", README, re.S))
def test_python_examples_run(block: str, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    for expected in re.findall(r"print\(.*\)\s+# (.+)", block):
        assert expected.strip() in printed


def test_configuration_table_lists_every_setting() -> None:
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    settings = {name.upper() for name in Settings.model_fields}
    assert documented == settings
