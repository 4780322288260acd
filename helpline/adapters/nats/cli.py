"""``helpline up`` (all five services in one process) and ``helpline serve SERVICE``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn

from helpline.adapters.nats.embedded import EmbeddedNatsServer, ensure_nats
from helpline.adapters.nats.runtime import ServiceRuntime, parse_services
from helpline.adapters.nats.topology import Topology
from helpline.catalog.base import SERVICES
from helpline.config import Settings

log = logging.getLogger("helpline")

#: How long SIGINT/SIGTERM may take to shut a process down.
SHUTDOWN_BUDGET_S = 10.0


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_process(settings: Settings, names: tuple[str, ...], *, embedded: bool) -> None:
    """Run ``names`` on NATS with the HTTP app until SIGINT/SIGTERM, then shut down."""
    from helpline.adapters.edge import edge_routers, mount_fake_graph, whatsapp_handlers
    from helpline.adapters.http.app import create_app
    from helpline.bootstrap import bootstrap

    settings = settings.resolved()
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
                             Topology(prefix=settings.helpline_subject_prefix))
    try:
        if "ms-whatsapp" in names:
            runtime.handlers.update(await whatsapp_handlers(settings, stack))
        await runtime.start()
        if "ms-rag" in names:
            stack.push_async_callback(_cancel, asyncio.create_task(
                _reload_knowledge_base(container.services.rag.answerer,
                                       settings.helpline_kb_reload_seconds)))
        app = create_app(
            health_checks={"nats": lambda: runtime.connected,
                           "stores": container.stores_ok},
            metrics=runtime.metrics,
            routers=edge_routers(settings, container, runtime, names, stack),
        )
        if settings.use_fake_graph and "ms-whatsapp" in names:
            mount_fake_graph(app, settings)
        http = _Server(uvicorn.Config(app, host=settings.helpline_http_host,
                                      port=settings.helpline_http_port, log_level="warning",
                                      lifespan="off"))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(http, "should_exit", True))
        base = f"http://{settings.helpline_http_host}:{settings.helpline_http_port}"
        if settings.helpline_mode == "demo" and {"ms-agents", "ms-gateway"} <= set(names):
            from helpline.adapters.demo_seed import seed_demo

            for line in await asyncio.to_thread(seed_demo, container,
                                                settings.helpline_demo_customers):
                print(f"helpline: {line}", flush=True)
            runtime.wake_relays()
        print(f"helpline: {', '.join(names)} running on NATS {settings.nats_url}; HTTP on "
              f"{base} (Ctrl-C stops)", flush=True)
        if settings.use_fake_graph:
            print(f"helpline: customer simulator {base}/simulator · agent console "
                  f"{base}/console · API docs {base}/docs", flush=True)
        await http.serve()
    finally:
        try:
            await asyncio.wait_for(runtime.stop(), SHUTDOWN_BUDGET_S - 2)
        except TimeoutError:
            log.error("shutdown took too long; unacked messages will be redelivered")
        await stack.aclose()
        container.close()
        if server is not None:
            await asyncio.to_thread(server.stop)
    print("helpline: stopped", flush=True)


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
    asyncio.run(run_process(Settings(), SERVICES, embedded=True))
    return 0


def _serve(args: argparse.Namespace) -> int:
    asyncio.run(run_process(Settings(), parse_services(args.service), embedded=False))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline up`` and ``helpline serve``."""
    up = sub.add_parser("up", help="all five services, the relays and the HTTP app in one "
                        "process (starts nats-server when NATS_URL does not answer)")
    up.set_defaults(func=_up)
    serve = sub.add_parser("serve", help="one service (or several) per process, for "
                           "production deployments")
    serve.add_argument("service", nargs="+", choices=[*SERVICES, "all"])
    serve.set_defaults(func=_serve)
