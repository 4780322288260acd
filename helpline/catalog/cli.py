"""``helpline catalog export DIR``, ``helpline catalog asyncapi [--output FILE]`` and
``helpline catalog readme [--write README.md]``.

``python -m helpline.catalog.cli catalog ...`` runs the same commands without ``helpline``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline catalog`` and its sub-commands."""
    parser = sub.add_parser("catalog", help="export the living EventCatalog and AsyncAPI")
    commands = parser.add_subparsers(dest="catalog_command", required=True)

    export = commands.add_parser(
        "export", help="write the EventCatalog project (domain, services, messages, flows)"
    )
    export.add_argument("dir", type=Path, help="target folder, e.g. build/catalog/eventcatalog")
    export.set_defaults(func=_export)

    asyncapi = commands.add_parser("asyncapi", help="print or write the AsyncAPI 3.0.0 document")
    asyncapi.add_argument(
        "--output", "-o", type=Path, default=None,
        help="file to write (.json, or .yaml/.yml for YAML); standard output if omitted",
    )
    asyncapi.set_defaults(func=_asyncapi)

    readme = commands.add_parser(
        "readme", help="print the README's table of messages, or rewrite it in --write FILE")
    readme.add_argument("--write", type=Path, default=None, metavar="FILE",
                        help="the README to update between its messages-table markers")
    readme.set_defaults(func=_readme)


def _export(args: argparse.Namespace) -> int:
    from helpline.catalog.eventcatalog import export_eventcatalog

    written = export_eventcatalog(args.dir)
    print(f"wrote {len(written)} files to {args.dir}")
    return 0


def _asyncapi(args: argparse.Namespace) -> int:
    from helpline.catalog.asyncapi import asyncapi_document

    output: Path | None = args.output
    as_yaml = output is not None and output.suffix in (".yaml", ".yml")
    text = dump(asyncapi_document(), as_yaml=as_yaml)
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    return 0


def _readme(args: argparse.Namespace) -> int:
    from helpline.catalog.readme import messages_table, write_table

    if args.write is None:
        print(messages_table())
    else:
        changed = write_table(args.write)
        print(f"{'updated' if changed else 'unchanged'}: the table of messages in {args.write}")
    return 0


def dump(document: dict[str, Any], *, as_yaml: bool) -> str:
    """The document as JSON (default) or YAML text."""
    if as_yaml:
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catalog ...`` as ``helpline`` would (``argv`` starts with ``catalog``)."""
    parser = argparse.ArgumentParser(prog="helpline")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
