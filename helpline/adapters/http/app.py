"""The FastAPI application of a process: health, metrics, and the routers its services
contribute (the WhatsApp webhook, the agent API and console, the simulator)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

from helpline.adapters.nats.consumer import Metrics


def create_app(
    *,
    health_checks: dict[str, Callable[[], bool]],
    metrics: Metrics,
    routers: Iterable[APIRouter] = (),
    title: str = "helpline",
    health_groups: Callable[[], dict[str, bool]] = dict,
    more_metrics: Callable[[], list[str]] = list,
    merge: Callable[[list[str]], str] = "".join,
) -> FastAPI:
    """The HTTP app. ``GET /healthz`` answers 200 only when every check passes (and every
    check ``health_groups`` reports, e.g. the child processes of ``helpline up``);
    ``GET /metrics`` adds ``more_metrics`` (the children's) to this process's counters."""
    app = FastAPI(title=title, version="0.1.0")

    @app.get("/healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        """200 when NATS and the stores are connected, 503 otherwise (with which failed)."""
        results = {}
        for name, check in health_checks.items():
            try:
                results[name] = bool(check())
            except Exception:
                results[name] = False
        results.update(health_groups())
        status = 200 if all(results.values()) else 503
        return JSONResponse({"ok": status == 200, "checks": results}, status_code=status)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def metrics_text() -> str:
        """Counters in the Prometheus text format."""
        lines = [f"helpline_published_total {metrics.published}"]
        for name, counter in (("processed", metrics.processed),
                              ("redelivered", metrics.redelivered),
                              ("dead_lettered", metrics.dead_lettered),
                              ("batches", metrics.batches)):
            for key, value in sorted(counter.items()):
                service, message = key.split(":", 1)
                lines.append(f'helpline_{name}_total{{service="{service}",'
                             f'message="{message}"}} {value}')
        return merge(["\n".join(lines) + "\n", *more_metrics()])

    for router in routers:
        app.include_router(router)
    return app
