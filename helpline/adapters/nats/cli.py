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
from helpline.adapters.nats.runtime import ServiceRuntime, parse_services
from helpline.adapters.nats.topology import Topology
from helpline.adapters.supervisor import SUPERVISED, Supervisor, merge_metrics, parse_groups
from helpline.catalog.base import SERVICES
from helpline.config import Settings

if TYPE_CHECKING:
    from helpline.bootstrap import Container

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
    from helpline.adapters.edge import edge_routers, mount_fake_graph, whatsapp_handlers
    from helpline.adapters.http.app import HealthCheck, create_app
    from helpline.adapters.http.guards import BodyLimit
    from helpline.bootstrap import bootstrap

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("helpline.faststream", "httpx", "httpcore"):  # a line per message
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = settings.resolved()
    supervised = os.environ.get(SUPERVISED) == "1"
    server: EmbeddedNatsServer | None = None
    if embedded:
        server = await asyncio.to_thread(ensure_nats, settings.nats_url,
                                         settings.helpline_data_dir / "nats")
        if server is not None:
            log.info("started nats-server at %s (store %s)", settings.nats_url,
                     server.store_dir)
    container = bootstrap(settings)
    stack = contextlib.AsyncExitStack()
    runtime = ServiceRuntime(container.services, names, settings.nats_url,
                             Topology.from_settings(settings),
                             batch_size=settings.helpline_batch_size,
                             ack_wait_s=settings.helpline_ack_wait_seconds)
    children = Supervisor(supervise, env=_child_env(settings))
    edge = set() if supervised else {"webhook", "agents"} & (
        _edge_of({*names, *(s for g in supervise for s in g)}))
    checks: dict[str, HealthCheck] = {"nats": lambda: runtime.connected,
                                       **container.health_checks()}
    try:
        if "ms-whatsapp" in names:
            runtime.handlers.update(await whatsapp_handlers(settings, stack, checks))
        await runtime.start()
        await children.start()
        if "ms-rag" in names:
            stack.push_async_callback(_cancel, asyncio.create_task(
                _reload_knowledge_base(container.services.rag.answerer,
                                       settings.helpline_kb_reload_seconds)))
        routers = edge_routers(settings, container, runtime, edge, stack, checks)
        app = create_app(
            health_checks=checks, health_groups=children.health,
            metrics=runtime.metrics, more_metrics=children.metrics, merge=merge_metrics,
            routers=routers, gauges=runtime.dead_letter_metrics if "agents" in edge else None,
        )
        if settings.use_fake_graph and "webhook" in edge:
            mount_fake_graph(app, settings)
        http = _Server(uvicorn.Config(BodyLimit(app), host=settings.helpline_http_host,
                                      port=settings.helpline_http_port, log_level="warning",
                                      lifespan="off"))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(http, "should_exit", True))
        base = f"http://{settings.helpline_http_host}:{settings.helpline_http_port}"
        if not supervised:
            await _announce(settings, container, runtime, names, supervise, edge, base)
        await http.serve()
    finally:
        await children.stop(SHUTDOWN_BUDGET_S - 3)
        try:
            await asyncio.wait_for(runtime.stop(), SHUTDOWN_BUDGET_S - 3)
        except TimeoutError:
            log.error("shutdown took too long; unacked messages will be redelivered")
        await stack.aclose()
        container.close()
        if server is not None:
            await asyncio.to_thread(server.stop)
    if not supervised:
        print("helpline: stopped", flush=True)


def _edge_of(services: set[str]) -> set[str]:
    """The public HTTP parts of these services: the webhook (ms-whatsapp), the agent API
    and console (ms-agents)."""
    return ({"webhook"} if "ms-whatsapp" in services else set()) | (
        {"agents"} if "ms-agents" in services else set())


def _child_env(settings: Settings) -> dict[str, str]:
    """What a supervised child must know beyond the environment: where NATS is (maybe just
    started here) and where the Graph API is (the parent serves the fake)."""
    return {"NATS_URL": settings.nats_url, "WHATSAPP_GRAPH_URL": settings.whatsapp_graph_url,
            "HELPLINE_FAKE_GRAPH": "false"}


async def _announce(settings: Settings, container: Container, runtime: ServiceRuntime,
                    names: tuple[str, ...], supervise: tuple[tuple[str, ...], ...],
                    edge: set[str], base: str) -> None:
    """Seed the demo and print what runs where."""
    every = {*names, *(s for g in supervise for s in g)}
    if settings.helpline_mode == "demo" and {"ms-agents", "ms-gateway"} <= every:
        from helpline.adapters.demo_seed import seed_demo

        for line in await asyncio.to_thread(seed_demo, container,
                                            settings.helpline_demo_customers):
            print(f"helpline: {line}", flush=True)
        runtime.wake_relays()
    where = [f"{', '.join(names) or 'the HTTP edge'} in this process (pid {os.getpid()})",
             *(f"{', '.join(g)} in a child process" for g in supervise)]
    print(f"helpline: running on NATS {settings.nats_url}: {'; '.join(where)}. HTTP on "
          f"{base} (Ctrl-C stops)", flush=True)
    if settings.use_fake_graph and "webhook" in edge:
        print(f"helpline: customer simulator {base}/simulator · agent console "
              f"{base}/console · API docs {base}/docs", flush=True)


async def _reload_knowledge_base(answerer: object, every_s: float) -> None:
    """Pick up edits of the knowledge base folder while the service runs."""
    reload = getattr(answerer, "reload_if_changed", None)
    if reload is None:
        return
    while True:
        await asyncio.sleep(every_s)
        try:
            if await asyncio.to_thread(reload):
                log.info("knowledge base reloaded")
        except Exception:
            log.exception("knowledge base reload failed; keeping the previous index")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


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
