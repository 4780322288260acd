"""Loading knowledge bases (Markdown, CSV, JSON), their problems, and reloading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpline.adapters.rag import KnowledgeBaseAnswerer, load_knowledge_base
from tests.unit.rag.conftest import SAMPLE_KB

pytestmark = pytest.mark.unit

MD = "---\ntitle: {title}\nlanguage: {lang}\ntags: [a, b]\n---\n# {question}\n\n{answer}\n"


def write_md(folder: Path, name: str, title: str, lang: str, question: str,
             answer: str) -> Path:
    path = folder / name
    path.write_text(MD.format(title=title, lang=lang, question=question, answer=answer),
                    encoding="utf-8")
    return path


def test_sample_kb_is_big_enough_and_clean() -> None:
    kb = load_knowledge_base(SAMPLE_KB)
    assert kb.problems == ()
    assert len(kb.entries) >= 40
    assert set(kb.languages()) == {"es", "en"}
    assert set(kb.formats) == {"markdown", "csv", "json"}
    assert all(len({e.language for e in es}) == 2 for es in kb.topics().values())


def test_markdown_front_matter_heading_and_topic_from_file_name(tmp_path: Path) -> None:
    write_md(tmp_path, "parking.es.md", "Aparcamiento", "es", "¿Hay parking?", "Sí, gratis.")
    write_md(tmp_path, "parking.en.md", "Parking", "en", "Is there parking?", "Yes, free.")
    kb = load_knowledge_base(tmp_path)
    assert [(e.id, e.question, e.answer, e.tags) for e in kb.entries] == [
        ("parking@en", "Is there parking?", "Yes, free.", ("a", "b")),
        ("parking@es", "¿Hay parking?", "Sí, gratis.", ("a", "b")),
    ]


def test_csv_and_json_entries(tmp_path: Path) -> None:
    (tmp_path / "faq.csv").write_text(
        "id,language,question,answer,tags\nwifi,es,¿Hay wifi?,Sí.,red;internet\n",
        encoding="utf-8")
    (tmp_path / "faq.json").write_text(json.dumps(
        [{"id": "wifi", "language": "en", "question": "Wifi?", "answer": "Yes.",
          "tags": ["net"]}]), encoding="utf-8")
    kb = load_knowledge_base(tmp_path)
    assert sorted(e.id for e in kb.entries) == ["wifi@en", "wifi@es"]
    assert kb.formats == {"csv": 1, "json": 1}
    assert next(e for e in kb.entries if e.language == "es").tags == ("red", "internet")


def test_problems_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "nofront.md").write_text("# Just a heading\n\ntext\n", encoding="utf-8")
    (tmp_path / "nolang.md").write_text("---\ntitle: X\n---\nAnswer\n", encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("q,a\n1,2\n", encoding="utf-8")
    write_md(tmp_path, "dup.md", "Dup", "es", "¿Q?", "A1")
    (tmp_path / "more.json").write_text(json.dumps(
        [{"id": "dup", "language": "es", "question": "¿Q?", "answer": "A2"},
         {"id": "x", "language": "spanish", "question": "Q", "answer": "A"}, 3]),
        encoding="utf-8")
    kb = load_knowledge_base(tmp_path)
    assert [e.answer for e in kb.entries] == ["A1"]
    text = "\n".join(kb.problems)
    for expected in ("no front matter", "missing language", "unreadable", "CSV needs columns",
                     "duplicate", "not a two-letter code", "not an object"):
        assert expected in text


def test_missing_folder() -> None:
    kb = load_knowledge_base("/nonexistent/kb")
    assert kb.entries == () and "no such file" in kb.problems[0]


def test_reload_if_changed(tmp_path: Path) -> None:
    write_md(tmp_path, "hours.en.md", "Opening hours", "en", "When are you open?",
             "From 9 to 5.")
    answerer = KnowledgeBaseAnswerer.from_path(tmp_path)
    assert not answerer.reload_if_changed()
    assert answerer.answer("what are the opening hours?", (), None).text == "From 9 to 5."
    path = write_md(tmp_path, "hours.en.md", "Opening hours", "en", "When are you open?",
                    "From 10 to 6.")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert answerer.reload_if_changed()
    assert answerer.answer("what are the opening hours?", (), None).text == "From 10 to 6."
    write_md(tmp_path, "pets.en.md", "Pets", "en", "Can I bring my dog?", "Dogs welcome.")
    assert answerer.reload_if_changed()
    assert answerer.answer("can i bring my dog", (), None).text == "Dogs welcome."
    assert not answerer.reload_if_changed()
