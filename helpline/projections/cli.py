"""``helpline replay [PROJECTION]``: rebuild read models from zero, with a progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from helpline.projections.projectors import PROJECTIONS
from helpline.projections.runner import Progress


def progress_bar(label: str, out: TextIO = sys.stderr, width: int = 30) -> Progress:
    """A progress callback that draws ``label [#####.....] done/total rate`` on ``out``."""
    started = time.perf_counter()

    def draw(done: int, total: int) -> None:
        filled = width * done // total if total else width
        rate = done / max(time.perf_counter() - started, 1e-9)
        out.write(f"\r{label:<14} [{'#' * filled}{'.' * (width - filled)}] "
                  f"{done}/{total} events, {rate:,.0f}/s")
        out.flush()

    return draw


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline replay``."""
    parser = sub.add_parser(
        "replay", help="rebuild read projections from the event stores",
        description="Empty a projection's tables and rebuild them from the first event of "
                    "the application it follows (all projections when none is named).")
    parser.add_argument("projection", nargs="?", choices=sorted(PROJECTIONS),
                        help="the projection to rebuild (default: all)")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="events per transaction (default 1000)")
    parser.set_defaults(func=_replay)


def _replay(args: argparse.Namespace) -> int:
    from helpline.bootstrap import bootstrap
    from helpline.config import Settings
    from helpline.projections.runner import build_projections

    settings = Settings()
    container = bootstrap(settings)
    view = container.persistence.view()
    projections = build_projections(view, desk=container.services.desk,
                                    store=container.services.store, batch_size=args.batch_size)
    names = [args.projection] if args.projection else sorted(PROJECTIONS)
    try:
        for name in names:
            started = time.perf_counter()
            read = projections.rebuild(name, progress_bar(name))
            print(f"\r{name}: rebuilt from {read} events in "
                  f"{time.perf_counter() - started:.2f} s" + " " * 40, file=sys.stderr)
    finally:
        projections.close()
        container.close()
    return 0
