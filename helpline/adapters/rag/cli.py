"""``helpline kb index PATH``: check and index a knowledge base, and say what was found.
``helpline kb eval KB QUESTIONS...``: the evaluation figures on a business's own knowledge
base and questions, and each failure with what was retrieved."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from helpline.adapters.rag.answerer import (
    DEFAULT_THRESHOLD,
    LLM_MIN_COVERAGE,
    KnowledgeBaseAnswerer,
)
from helpline.adapters.rag.embeddings import EMBEDDERS, make_embedder
from helpline.adapters.rag.evaluation import (
    ESCALATE,
    SMALLTALK,
    Labelled,
    LabelledSetError,
    evaluate,
    load_labelled,
)
from helpline.adapters.rag.index import Index
from helpline.adapters.rag.kb import load_knowledge_base
from helpline.adapters.rag.llm import OpenAIChatGenerator


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``kb`` (with ``index`` and ``eval``) to the ``helpline`` command."""
    kb = sub.add_parser("kb", help="knowledge base of the AI agent")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    index = kb_sub.add_parser("index", help="check and index a knowledge base folder or file")
    index.add_argument("path", type=Path, help="folder of .md/.csv/.json files, or one file")
    index.add_argument("--query", action="append", default=[],
                       help="also show the best topics for this question (repeatable)")
    index.set_defaults(func=index_command)
    ev = kb_sub.add_parser(
        "eval", help="measure the AI agent on your knowledge base and labelled questions",
        description="Answer every labelled question with the AI agent over KB and print "
        "the figures (near-miss handed over, right-source@3, escalation F1, resolution "
        "rate, confidently-wrong rate), then each failure with what was retrieved. "
        "QUESTIONS: YAML (.yaml/.yml) or JSON Lines files of items "
        "{question, expected: <topic id>|escalate|smalltalk, near: <topic id>}.")
    ev.add_argument("kb", type=Path, help="knowledge base folder or file")
    ev.add_argument("questions", type=Path, nargs="+", help="labelled question files")
    ev.add_argument("--embedder", choices=EMBEDDERS, default="auto",
                    help="as HELPLINE_RAG_EMBEDDER (default auto)")
    ev.add_argument("--threshold", type=float, default=None,
                    help="as HELPLINE_RAG_THRESHOLD (default: the calibrated one)")
    ev.add_argument("--max-failures", type=int, default=50,
                    help="print at most this many failures (default 50)")
    ev.add_argument("--llm-url", default=None,
                    help="measure with this OpenAI-compatible endpoint as the judge (its "
                    "key, $HELPLINE_LLM_API_KEY, is sent only when this is $HELPLINE_LLM_URL)")
    ev.add_argument("--llm-model", default=None, help="the model at --llm-url")
    ev.add_argument("--llm-min-coverage", type=float, default=LLM_MIN_COVERAGE,
                    help="as HELPLINE_LLM_MIN_COVERAGE (default %(default)s)")
    ev.add_argument("--llm-timeout", type=float, default=20.0,
                    help="as HELPLINE_LLM_TIMEOUT (default %(default)s)")
    ev.set_defaults(func=eval_command)


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


def _error(message: str) -> int:
    print(f"helpline kb eval: error: {message}", file=sys.stderr)
    return 2


def _unknown_topics(items: list[Labelled], topics: set[str]) -> list[str]:
    wanted = {i.expected for i in items} | {i.near for i in items if i.near}
    return sorted(wanted - topics - {ESCALATE, SMALLTALK})


def eval_command(args: argparse.Namespace) -> int:
    """Evaluate the AI agent on ``args.kb`` with ``args.questions``; 2 on unusable input."""
    kb = load_knowledge_base(args.kb)
    if not kb.entries:
        return _error("; ".join(kb.problems) or f"{args.kb}: no entries")
    items: list[Labelled] = []
    for path in args.questions:
        try:
            items += load_labelled(path)
        except LabelledSetError as exc:
            return _error(str(exc))
    unknown = _unknown_topics(items, set(kb.topics()))
    if unknown:
        return _error(f"these topics are in the questions but not in {args.kb}: "
                      f"{', '.join(unknown)} (a typo, or an entry missing its id?)")
    for problem in kb.problems:
        print(f"warning: {problem}")
    try:
        embedder = make_embedder(args.embedder)
    except ImportError as exc:
        return _error(str(exc))
    if args.llm_url and not args.llm_model:
        return _error("--llm-url needs --llm-model")
    generator = None
    if args.llm_url:
        configured = os.environ.get("HELPLINE_LLM_URL") == args.llm_url
        key = os.environ.get("HELPLINE_LLM_API_KEY") or None if configured else None
        generator = OpenAIChatGenerator(args.llm_url, args.llm_model, key,
                                        timeout=args.llm_timeout)
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    answerer = KnowledgeBaseAnswerer(kb, path=args.kb, embedder=embedder, generator=generator,
                                     threshold=threshold,
                                     llm_min_coverage=args.llm_min_coverage)
    try:
        report = evaluate(answerer, items)
    finally:
        answerer.close()
    judge = f" with the LLM {args.llm_model} at {args.llm_url}" if generator else ""
    print(f"{args.kb}: {len(kb.topics())} topics; "
          + ", ".join(str(p) for p in args.questions) + judge)
    print("\n".join(report.lines()))
    misses = report.misses
    print(f"\n{len(misses)} failure(s)" + (":" if misses else ""))
    for line in misses[:args.max_failures]:
        print(f"  - {line}")
    if len(misses) > args.max_failures:
        print(f"  ... and {len(misses) - args.max_failures} more (--max-failures)")
    return 0


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"
