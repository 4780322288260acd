"""The ``helpline`` command: ``demo``, and the sub-commands each adapter registers."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that add sub-commands: each has ``register(subparsers) -> None``; every parser it
#: adds sets ``func(args) -> int``. Imported lazily so ``helpline --help`` stays fast.
COMMAND_MODULES: tuple[str, ...] = (
    "helpline.demo",
    "helpline.adapters.nats.cli",
    "helpline.adapters.nats.dlq_cli",
    "helpline.adapters.whatsapp.cli",
    "helpline.adapters.http.admin_cli",
    "helpline.projections.cli",
    "helpline.adapters.rag.cli",
    "helpline.catalog.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``helpline``."""
    parser = argparse.ArgumentParser(
        prog="helpline",
        description="Event-sourced WhatsApp help desk: AI first, humans on hand-over.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``helpline`` console script."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
