"""``helpline up`` (all five services, on every core) and ``helpline serve SERVICE...``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from helpline.adapters.nats.embedded import EmbeddedNatsServer, ensure_nats
from helpline.adapters.nats.runtime import parse_services
from helpline.adapters.supervisor import parse_groups
from helpline.catalog.base import SERVICES
from helpline.config import Settings

if TYPE_CHECKING:
    from helpline.wiring import Process

log = logging.getLogger("helpline")

#: How long SIGINT/SIGTERM may take to shut a process down.
SHUTDOWN_BUDGET_S = 10.0


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_process(settings: Settings, names: tuple[str, ...], *, embedded: bool,
                      supervise: tuple[tuple[str, ...], ...] = ()) -> None:
    """Run ``names`` on NATS with the HTTP app until SIGINT/SIGTERM, then shut down.

    ``supervise``: groups of services to run in child processes (``helpline up``); this
    process then serves the public HTTP edge for all of them. A supervised child
    (``HELPLINE_SUPERVISED=1``) serves only ``/healthz`` and ``/metrics``."""
    from helpline.adapters.http.guards import BodyLimit
    from helpline.wiring import build_process

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("helpline.faststream", "httpx", "httpcore"):  # a line per message
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = settings.resolved()
    server = await _start_nats(settings) if embedded else None
    process = await build_process(settings, names, supervise)
    try:
        app = await process.start()
        limited = BodyLimit(app, upload_bytes=settings.helpline_upload_max_bytes)
        http = _Server(uvicorn.Config(limited, host=settings.helpline_http_host,
                                      port=settings.helpline_http_port, log_level="warning",
                                      lifespan="off", timeout_graceful_shutdown=2))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(http, "should_exit", True))
        if not process.supervised:
            await _announce(process)
        await http.serve()
    finally:
        await process.stop(SHUTDOWN_BUDGET_S - 3)
        if server is not None:
            await asyncio.to_thread(server.stop)
    if not process.supervised:
        print("helpline: stopped", flush=True)


async def _start_nats(settings: Settings) -> EmbeddedNatsServer | None:
    """``helpline up``: start nats-server when ``NATS_URL`` does not answer."""
    server = await asyncio.to_thread(ensure_nats, settings.nats_url,
                                     settings.helpline_data_dir / "nats")
    if server is not None:
        log.info("started nats-server at %s (store %s)", settings.nats_url, server.store_dir)
    return server


async def _announce(process: Process) -> None:
    """Seed the demo and print what runs where."""
    settings, base = process.settings, process.base_url
    if settings.helpline_mode == "demo" and {"ms-agents", "ms-gateway"} <= process.every:
        from helpline.adapters.demo_seed import seed_demo

        for line in await asyncio.to_thread(seed_demo, process.container,
                                            settings.helpline_demo_customers):
            print(f"helpline: {line}", flush=True)
        process.runtime.wake_relays()
    where = [f"{', '.join(process.names) or 'the HTTP edge'} in this process "
             f"(pid {os.getpid()})",
             *(f"{', '.join(g)} in a child process" for g in process.supervise)]
    print(f"helpline: running on NATS {settings.nats_url}: {'; '.join(where)}. HTTP on "
          f"{base} (Ctrl-C stops)", flush=True)
    if settings.use_fake_graph and "webhook" in process.edge:
        print(f"helpline: customer simulator {base}/simulator · agent console "
              f"{base}/console · API docs {base}/docs", flush=True)


def _up(_: argparse.Namespace) -> int:
    settings = Settings()
    groups = parse_groups(settings.helpline_up_processes)
    in_children = {s for g in groups for s in g}
    unknown = in_children - set(SERVICES)
    if unknown:
        raise SystemExit(f"HELPLINE_UP_PROCESSES: unknown service(s) {', '.join(unknown)}")
    here = tuple(s for s in SERVICES if s not in in_children)
    asyncio.run(run_process(settings, here, embedded=True, supervise=groups))
    return 0


def _serve(args: argparse.Namespace) -> int:
    asyncio.run(run_process(Settings(), parse_services(args.service), embedded=False))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline up`` and ``helpline serve``."""
    up = sub.add_parser("up", help="all five services and the HTTP app, on every core "
                        "(starts nats-server when NATS_URL does not answer)")
    up.set_defaults(func=_up)
    serve = sub.add_parser("serve", help="one service (or several) per process, for "
                           "production deployments")
    serve.add_argument("service", nargs="+", choices=[*SERVICES, "all"])
    serve.set_defaults(func=_serve)
