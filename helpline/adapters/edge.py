"""Composition of the HTTP edge and the Graph API sender for a process (used by
``helpline up`` / ``serve``): which routers it serves and how ms-whatsapp sends."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI

from helpline.adapters.http.api import create_agent_api_router
from helpline.adapters.http.app import HealthCheck
from helpline.adapters.http.console import create_console_router
from helpline.adapters.http.simulator import create_simulator_router
from helpline.adapters.http.webhook import create_webhook_router
from helpline.adapters.nats.consumer import BatchHandler
from helpline.adapters.nats.runtime import ServiceRuntime
from helpline.adapters.whatsapp.fake_graph import create_fake_graph_app
from helpline.adapters.whatsapp.graph_client import GraphClient
from helpline.adapters.whatsapp.ledger import PostgresSendLedger, SendLedgerStore, SqliteSendLedger
from helpline.adapters.whatsapp.outbound import OutboundWhatsApp
from helpline.bootstrap import Container
from helpline.config import Settings
from helpline.projections import build_projections, open_view


async def whatsapp_handlers(
    settings: Settings, stack: AsyncExitStack, checks: dict[str, HealthCheck]
) -> dict[str, BatchHandler]:
    """ms-whatsapp's send handler: the Graph API client with its persistent ledger."""
    graph = GraphClient.from_settings(settings,
                                      rate_per_second=settings.whatsapp_rate_limit_per_second)
    stack.push_async_callback(graph.aclose)
    ledger: SendLedgerStore
    if settings.persistence_module == "eventsourcing.postgres":
        ledger = await PostgresSendLedger.connect(settings.postgres_conninfo())
    else:
        settings.helpline_data_dir.mkdir(parents=True, exist_ok=True)
        ledger = SqliteSendLedger(settings.helpline_data_dir / "whatsapp_ledger.sqlite",
                                  settings.sqlite_synchronous)
    checks["send_ledger"] = ledger.ping
    close = getattr(ledger, "aclose", None) or getattr(ledger, "close", None)
    if close is not None:
        stack.push_async_callback(_closer(close))
    outbound = OutboundWhatsApp(graph, ledger,
                                lease=timedelta(seconds=settings.helpline_send_lease_seconds))
    return {"ms-whatsapp": outbound.handle_batch}


def _closer(close: Any) -> Any:
    async def run() -> None:
        result = close()
        if hasattr(result, "__await__"):
            await result

    return run


def edge_routers(settings: Settings, container: Container, runtime: ServiceRuntime,
                 edge: set[str], stack: AsyncExitStack,
                 checks: dict[str, HealthCheck]) -> list[APIRouter]:
    """The public HTTP routers this process serves: ``webhook`` (ms-whatsapp's edge) with, in
    demo mode, the customer simulator; ``agents``: the agent API and console (ms-agents),
    which read the projections this process keeps up to date."""
    routers: list[APIRouter] = []
    if "agents" in edge:
        projections = build_projections(open_view(settings), desk=container.services.desk,
                                        store=container.services.store)
        projections.start()
        stack.callback(projections.close)
        checks["views"] = projections.ping
        routers.append(create_agent_api_router(
            container.services.desk, projections.view, container.services.gateway.directory,
            settings.helpline_admin_token.get_secret_value(),
            dead_letters=runtime.dead_letters()))
        routers.append(create_console_router())
    if "webhook" in edge:
        routers.append(create_webhook_router(settings, runtime.publish))
        if settings.use_fake_graph:
            base = f"http://{settings.helpline_http_host}:{settings.helpline_http_port}"
            routers.append(create_simulator_router(settings, f"{base}/webhooks/whatsapp",
                                                   f"{base}/fake-graph"))
    return routers


def mount_fake_graph(app: FastAPI, settings: Settings) -> None:
    """Serve the fake Graph API at ``/fake-graph`` (demo mode); it reports statuses to this
    process's webhook, as Meta would."""
    base = f"http://{settings.helpline_http_host}:{settings.helpline_http_port}"
    app.mount("/fake-graph", create_fake_graph_app(
        settings.whatsapp_access_token.get_secret_value(),
        webhook_url=f"{base}/webhooks/whatsapp",
        app_secret=settings.whatsapp_app_secret.get_secret_value()))
