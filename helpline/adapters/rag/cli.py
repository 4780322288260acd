"""``helpline kb index PATH``: check and index a knowledge base, and say what was found."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from helpline.adapters.rag.index import Index
from helpline.adapters.rag.kb import load_knowledge_base


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``kb`` (with ``index``) to the ``helpline`` command."""
    kb = sub.add_parser("kb", help="knowledge base of the AI agent")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    index = kb_sub.add_parser("index", help="check and index a knowledge base folder or file")
    index.add_argument("path", type=Path, help="folder of .md/.csv/.json files, or one file")
    index.add_argument("--query", action="append", default=[],
                       help="also show the best topics for this question (repeatable)")
    index.set_defaults(func=index_command)


def index_command(args: argparse.Namespace) -> int:
    """Load, report and index ``args.path``; 1 when there were problems or no entries."""
    started = time.perf_counter()
    kb = load_knowledge_base(args.path)
    index = Index(kb)
    elapsed = time.perf_counter() - started
    print(f"{args.path}: {len(kb.files)} files, {len(kb.entries)} entries, "
          f"{len(kb.topics())} topics, indexed in {elapsed * 1000:.0f} ms")
    print("  by format:   " + _counts(Counter(kb.formats)))
    print("  by language: " + _counts(kb.languages()))
    single = sorted(t for t, es in kb.topics().items() if len({e.language for e in es}) == 1)
    if single:
        print(f"  topics in one language only ({len(single)}): {', '.join(single[:10])}"
              + (" ..." if len(single) > 10 else ""))
    for question in args.query:
        hits = index.search(question)
        shown = ", ".join(f"{h.topic} ({h.confidence:.2f})" for h in hits[:3]) or "nothing"
        print(f"  {question!r} -> {shown}")
    if kb.problems:
        print(f"{len(kb.problems)} problem(s):")
        for problem in kb.problems:
            print(f"  - {problem}")
        return 1
    print("no problems")
    return 0


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"
