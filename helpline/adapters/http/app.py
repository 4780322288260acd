"""The FastAPI application of a process: health, metrics, and the routers its services
contribute (the WhatsApp webhook, the agent API and console, the simulator)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Iterable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline

from helpline.adapters.http import guards
from helpline.adapters.nats.consumer import Metrics

#: A dependency's check: a function, or a coroutine function, that answers whether it works.
HealthCheck = Callable[[], bool] | Callable[[], Awaitable[bool]]
#: How long one health check may take before it counts as failed.
CHECK_TIMEOUT_S = 2.0


async def _passes(check: HealthCheck) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            if inspect.iscoroutinefunction(check):
                return bool(await check())
            return bool(await asyncio.to_thread(check))
    except Exception:  # a check that fails or hangs: the dependency is down
        return False


def create_app(
    *,
    health_checks: dict[str, HealthCheck],
    metrics: Metrics,
    routers: Iterable[APIRouter] = (),
    title: str = "helpline",
    health_groups: Callable[[], dict[str, bool]] = dict,
    more_metrics: Callable[[], list[str]] = list,
    merge: Callable[[list[str]], str] = "".join,
    gauges: Callable[[], Awaitable[str]] | None = None,
) -> FastAPI:
    """The HTTP app. ``GET /healthz`` answers 200 only when every check passes (and every
    check ``health_groups`` reports, e.g. the child processes of ``helpline up``);
    ``GET /metrics`` adds ``more_metrics`` (the children's) to this process's counters."""
    # The API docs (/docs, /redoc) from assets in a package: they work with no internet.
    app = FastAPIOffline(title=title, version="0.1.0")
    guards.install(app)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> JSONResponse:
        """200 when every dependency (NATS, the stores, the ledger, the directory, the
        views, the child processes) answers; 503 naming the ones that do not."""
        names = list(health_checks)
        passed = await asyncio.gather(*(_passes(health_checks[n]) for n in names))
        results = dict(zip(names, passed, strict=True))
        results.update(await asyncio.to_thread(health_groups))
        down = sorted(name for name, ok in results.items() if not ok)
        status = 200 if not down else 503
        return JSONResponse({"ok": not down, "down": down, "checks": results},
                            status_code=status)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def metrics_text() -> str:
        """Counters in the Prometheus text format (with the children's, in
        ``helpline up``), and ``gauges`` read from where they are kept."""
        texts = [await asyncio.to_thread(counters), *await asyncio.to_thread(more_metrics)]
        if gauges is not None:
            with contextlib.suppress(Exception):  # NATS away: the counters still answer
                texts.append(await gauges())
        return merge(texts)

    def counters() -> str:
        lines = [f"helpline_published_total {metrics.published}"]
        for name, counter in (("processed", metrics.processed),
                              ("redelivered", metrics.redelivered),
                              ("dead_lettered", metrics.dead_lettered),
                              ("batches", metrics.batches)):
            for key, value in sorted(counter.items()):
                service, message = key.split(":", 1)
                lines.append(f'helpline_{name}_total{{service="{service}",'
                             f'message="{message}"}} {value}')
        lines += [f'helpline_worker_restarts_total{{worker="{worker}"}} {n}'
                  for worker, n in sorted(metrics.restarts.items())]
        return "\n".join(lines) + "\n"

    for router in routers:
        app.include_router(router)
    return app
