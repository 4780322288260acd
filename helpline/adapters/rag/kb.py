"""The knowledge base on disk: a folder of Markdown files (front matter + answer), FAQ CSV
and JSON files. Loading never raises on bad content: it skips the entry and says why."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpline.application.ai_agent import fold

#: File suffixes the loader reads.
FORMATS: dict[str, str] = {".md": "markdown", ".markdown": "markdown", ".csv": "csv",
                           ".json": "json"}
_IGNORED_NAMES = frozenset({"readme.md", "index.md", "changelog.md"})
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)(.*)\Z", re.DOTALL)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Entry:
    """One question/answer (or article) in one language. Entries sharing ``topic`` are
    translations of each other; retrieval ranks topics, the answer picks the language."""

    topic: str
    language: str
    title: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    source: str = ""

    @property
    def id(self) -> str:
        """``topic@language``: what an ``Answer`` lists in its sources."""
        return f"{self.topic}@{self.language}"


@dataclass(frozen=True)
class KnowledgeBase:
    """The entries found under a path, the files read and the problems met."""

    entries: tuple[Entry, ...]
    files: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()
    formats: Mapping[str, int] = field(default_factory=dict)

    def topics(self) -> dict[str, list[Entry]]:
        """Entries grouped by topic, in load order."""
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.topic, []).append(entry)
        return grouped

    def languages(self) -> Counter[str]:
        """How many entries each language has."""
        return Counter(e.language for e in self.entries)


def slug(text: str) -> str:
    """A file-name-like id for ``text``."""
    return _SLUG.sub("-", fold(text)).strip("-")[:80] or "entry"


def kb_files(root: Path) -> list[Path]:
    """The knowledge-base files under ``root`` (or ``root`` itself), sorted."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() in FORMATS
                  and p.name.lower() not in _IGNORED_NAMES
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a knowledge-base file is added, removed or edited."""
    out = []
    for path in kb_files(root):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed while we listed: the next look sees it gone
            continue
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in re.split(r"[;,|]", value) if t.strip())
    if isinstance(value, list):
        return tuple(str(t).strip() for t in value if str(t).strip())
    return (str(value),)


def _entry(raw: Mapping[str, Any], where: str, default_topic: str | None,
           problems: list[str]) -> Entry | None:
    language = str(raw.get("language") or raw.get("lang") or "").strip().lower()
    question = str(raw.get("question") or "").strip()
    answer = str(raw.get("answer") or "").strip()
    title = str(raw.get("title") or question).strip()
    topic = str(raw.get("id") or raw.get("topic") or default_topic or slug(title)).strip()
    missing = [name for name, value in (("language", language), ("answer", answer),
                                        ("question or title", title)) if not value]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}; skipped")
        return None
    if not _LANGUAGE.match(language):
        problems.append(f"{where}: language {language!r} is not a two-letter code; skipped")
        return None
    return Entry(topic=topic, language=language, title=title, question=question or title,
                 answer=answer, tags=_tags(raw.get("tags")), source=where)


def _markdown(path: Path, problems: list[str]) -> list[Entry]:
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        problems.append(f"{path}: no front matter (--- title/language/tags ---); skipped")
        return []
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        problems.append(f"{path}: front matter is not a mapping; skipped")
        return []
    body = match.group(2).strip()
    question = meta.get("question")
    heading = _HEADING.search(body)
    if question is None and heading and body.startswith(heading.group(0)):
        question = heading.group(1)
        body = body[heading.end():].strip()
    # "returns.es.md" and "returns.en.md" are one topic in two languages
    stem = path.name.split(".")[0]
    raw = {**meta, "question": question, "answer": meta.get("answer") or body}
    entry = _entry(raw, str(path), stem, problems)
    return [entry] if entry else []


def _rows(path: Path, rows: Iterable[Any], problems: list[str]) -> list[Entry]:
    entries = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            problems.append(f"{path}#{n}: not an object; skipped")
            continue
        entry = _entry(row, f"{path}#{n}", None, problems)
        if entry:
            entries.append(entry)
    return entries


def _csv(path: Path, problems: list[str]) -> list[Entry]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = {"language", "question", "answer"}
        if not reader.fieldnames or not needed <= {f.strip() for f in reader.fieldnames}:
            problems.append(f"{path}: CSV needs columns {sorted(needed)} (+ id, title, tags)")
            return []
        return _rows(path, ({k.strip(): v for k, v in r.items() if k} for r in reader),
                     problems)


def _json(path: Path, problems: list[str]) -> list[Entry]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("entries", data.get("faq"))
    if not isinstance(data, list):
        problems.append(f"{path}: JSON must be a list of entries or {{\"entries\": [...]}}")
        return []
    return _rows(path, data, problems)


_READERS = {"markdown": _markdown, "csv": _csv, "json": _json}


def load_knowledge_base(root: Path | str) -> KnowledgeBase:
    """Read every knowledge-base file under ``root``; bad files and entries become
    ``problems``, and a duplicate (topic, language) keeps the first one."""
    root = Path(root)
    problems: list[str] = []
    if not root.exists():
        return KnowledgeBase((), (), (f"{root}: no such file or folder",))
    files = kb_files(root)
    formats: Counter[str] = Counter()
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for path in files:
        kind = FORMATS[path.suffix.lower()]
        try:
            found = _READERS[kind](path, problems)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError, csv.Error) as exc:
            problems.append(f"{path}: unreadable ({type(exc).__name__}: {exc}); skipped")
            continue
        for entry in found:
            if entry.id in seen:
                problems.append(f"{entry.source}: duplicate of {seen[entry.id]} "
                                f"({entry.id}); skipped")
                continue
            seen[entry.id] = entry.source
            entries.append(entry)
            formats[kind] += 1
    if not entries:
        problems.append(f"{root}: no knowledge-base entries found")
    return KnowledgeBase(tuple(entries), tuple(files), tuple(problems), dict(formats))
