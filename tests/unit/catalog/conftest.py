"""Fixtures of the catalog tests: one exported EventCatalog project per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpline.catalog.eventcatalog import export_eventcatalog


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The project written by ``export_eventcatalog`` and the files it reported."""
    root = tmp_path_factory.mktemp("eventcatalog")
    return root, export_eventcatalog(root)


def read_mdx(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter and body of an EventCatalog ``.mdx`` file."""
    text = path.read_text("utf-8")
    assert text.startswith("---\n"), f"{path} has no front matter"
    front, body = text[4:].split("\n---\n", 1)
    data = yaml.safe_load(front)
    assert isinstance(data, dict), path
    return data, body
