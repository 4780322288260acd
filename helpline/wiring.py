"""What a ``helpline up`` / ``serve`` process runs around the applications, built in one
place: the NATS runtime (consumers, outbox relays, Get Conversation), ms-whatsapp's Graph API
client and send ledger, the read projections, the HTTP routers and app (webhook, agent API
and console, simulator, fake Graph API), the knowledge base's reload and the supervised
children. :func:`build_process` builds; :func:`helpline.adapters.nats.cli.run_process` only
starts, serves and stops what it built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from fastapi import APIRouter, FastAPI

from helpline.adapters.http.api import create_agent_api_router
from helpline.adapters.http.api.deps import question_embedder_of
from helpline.adapters.http.app import HealthCheck, create_app
from helpline.adapters.http.console import create_console_router
from helpline.adapters.http.simulator import create_simulator_router
from helpline.adapters.http.webhook import create_webhook_router
from helpline.adapters.media_store import MediaStore
from helpline.adapters.nats.consumer import BatchHandler
from helpline.adapters.nats.runtime import ServiceRuntime
from helpline.adapters.nats.topology import Topology
from helpline.adapters.supervisor import SUPERVISED, Supervisor, merge_metrics
from helpline.adapters.whatsapp.fake_graph import create_fake_graph_app
from helpline.adapters.whatsapp.graph_client import GraphClient
from helpline.adapters.whatsapp.media import MediaFetcher
from helpline.adapters.whatsapp.outbound import OutboundWhatsApp
from helpline.adapters.whatsapp.templates import TemplateCatalog, refresh_periodically
from helpline.application.ports import Reloadable
from helpline.bootstrap import Container, bootstrap
from helpline.config import Settings
from helpline.projections import Projections, build_projections

log = logging.getLogger("helpline")


@dataclass
class Process:
    """One process of a deployment: ``names`` run here, ``supervise`` in child processes;
    ``edge``: the public HTTP parts it serves (``webhook``, ``agents``)."""

    settings: Settings
    names: tuple[str, ...]
    supervise: tuple[tuple[str, ...], ...]
    container: Container
    runtime: ServiceRuntime
    children: Supervisor
    edge: frozenset[str]
    supervised: bool
    checks: dict[str, HealthCheck] = field(default_factory=dict)
    projections: Projections | None = None
    templates: TemplateCatalog | None = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def every(self) -> set[str]:
        """The services of the deployment: those here and those of the children."""
        return {*self.names, *(s for g in self.supervise for s in g)}

    @property
    def base_url(self) -> str:
        """Where this process serves HTTP."""
        return f"http://{self.settings.helpline_http_host}:{self.settings.helpline_http_port}"

    async def start(self) -> FastAPI:
        """Connect the services to NATS, start the children, the projections and the
        knowledge base's reload; returns the HTTP app (its routers use the connection)."""
        await self.runtime.start()
        await self.children.start()
        if self.projections is not None:
            self.projections.start()
        if self.projections is not None:
            self._sync_templates()
        answerer = self.container.services.rag.answerer
        if "ms-rag" in self.names and isinstance(answerer, Reloadable):
            task = asyncio.create_task(
                reload_knowledge_base(answerer, self.settings.helpline_kb_reload_seconds))
            self.stack.push_async_callback(_cancel, task)
        return self._app()

    def _sync_templates(self) -> None:
        """The message templates for the agent API, synced now and periodically."""
        settings = self.settings
        if not settings.whatsapp_business_account_id:
            return
        graph = GraphClient.from_settings(settings)
        self.stack.push_async_callback(graph.aclose)
        self.templates = TemplateCatalog(graph, settings.whatsapp_business_account_id)
        task = asyncio.create_task(refresh_periodically(
            self.templates, settings.whatsapp_templates_refresh_seconds))
        self.stack.push_async_callback(_cancel, task)

    def _app(self) -> FastAPI:
        app = create_app(
            health_checks=self.checks, health_groups=self.children.health,
            metrics=self.runtime.metrics, more_metrics=self.children.metrics,
            merge=merge_metrics, routers=self._routers(),
            gauges=self.runtime.dead_letter_metrics if "agents" in self.edge else None)
        if self.settings.use_fake_graph and "webhook" in self.edge:
            # The fake Graph API reports statuses to this process's webhook, as Meta would.
            app.mount("/fake-graph", create_fake_graph_app(
                self.settings.whatsapp_access_token.get_secret_value(),
                webhook_url=f"{self.base_url}/webhooks/whatsapp",
                app_secret=self.settings.whatsapp_app_secret.get_secret_value()))
        return app

    def _routers(self) -> list[APIRouter]:
        """``webhook`` (ms-whatsapp's edge) with, in demo mode, the customer simulator;
        ``agents``: the agent API and console (ms-agents) over the projections."""
        routers: list[APIRouter] = []
        services = self.container.services
        if self.projections is not None:
            routers.append(create_agent_api_router(
                services.desk, self.projections.view, services.gateway.directory,
                self.settings.helpline_admin_token.get_secret_value(),
                dead_letters=self.runtime.dead_letters(), updates=self.projections.updates,
                store=services.store, answerer=services.rag.answerer,
                media=MediaStore(self.settings.media_dir),
                upload_max_bytes=self.settings.helpline_upload_max_bytes,
                template_catalog=self.templates,
                question_embedder=question_embedder_of(services.rag.answerer)))
            routers.append(create_console_router())
        if "webhook" in self.edge:
            routers.append(create_webhook_router(self.settings, self.runtime.publish,
                                                 media=self._media_fetcher()))
            if self.settings.use_fake_graph:
                routers.append(create_simulator_router(
                    self.settings, f"{self.base_url}/webhooks/whatsapp",
                    f"{self.base_url}/fake-graph"))
        return routers

    def _media_fetcher(self) -> MediaFetcher:
        """The webhook's fetcher of customers' media (its HTTP client closes with us)."""
        settings = self.settings
        http = httpx.AsyncClient(timeout=30.0)
        self.stack.push_async_callback(http.aclose)
        return MediaFetcher(http, graph_url=settings.whatsapp_graph_url,
                            api_version=settings.whatsapp_api_version,
                            access_token=settings.whatsapp_access_token.get_secret_value(),
                            store=MediaStore(settings.media_dir),
                            max_bytes=settings.helpline_media_max_bytes)

    async def stop(self, budget_s: float) -> None:
        """Stop the children and the services (unacked messages are redelivered), then
        release everything."""
        await self.children.stop(budget_s)
        try:
            await asyncio.wait_for(self.runtime.stop(), budget_s)
        except TimeoutError:
            log.error("shutdown took too long; unacked messages will be redelivered")
        await self.stack.aclose()
        self.container.close()


async def build_process(settings: Settings, names: tuple[str, ...],
                        supervise: tuple[tuple[str, ...], ...] = ()) -> Process:
    """Build what a process of ``names`` (and the children running ``supervise``) needs.

    A supervised child (``HELPLINE_SUPERVISED=1``) serves no public HTTP edge."""
    container = bootstrap(settings)
    runtime = ServiceRuntime(container.services, names, settings.nats_url,
                             Topology.from_settings(settings),
                             batch_size=settings.helpline_batch_size,
                             ack_wait_s=settings.helpline_ack_wait_seconds,
                             stall_s=settings.helpline_stall_seconds)
    supervised = os.environ.get(SUPERVISED) == "1"
    process = Process(
        settings=settings, names=names, supervise=supervise, container=container,
        runtime=runtime, children=Supervisor(supervise, env=child_env(settings)),
        edge=frozenset(), supervised=supervised,
        checks={"nats": lambda: runtime.connected, "consumers": lambda: runtime.consuming,
                **container.health_checks()})
    if not supervised:
        process.edge = edge_of(process.every)
    try:
        if "ms-whatsapp" in names:
            runtime.handlers["ms-whatsapp"] = await _whatsapp_handler(process)
        if "agents" in process.edge:
            process.projections = build_projections(
                container.persistence.view(), desk=container.services.desk,
                store=container.services.store)
            process.stack.callback(process.projections.close)
            process.checks["views"] = process.projections.ping
    except BaseException:
        await process.stop(1.0)
        raise
    return process


async def _whatsapp_handler(process: Process) -> BatchHandler:
    """ms-whatsapp's send handler: the Graph API client with its persistent ledger."""
    settings = process.settings
    graph = GraphClient.from_settings(settings,
                                      rate_per_second=settings.whatsapp_rate_limit_per_second)
    process.stack.push_async_callback(graph.aclose)
    ledger = await process.container.persistence.send_ledger(process.stack)
    process.checks["send_ledger"] = ledger.ping
    outbound = OutboundWhatsApp(graph, ledger,
                                lease=timedelta(seconds=settings.helpline_send_lease_seconds),
                                media=MediaStore(settings.media_dir))
    return outbound.handle_batch


def edge_of(services: set[str]) -> frozenset[str]:
    """The public HTTP parts of these services: the webhook (ms-whatsapp), the agent API
    and console (ms-agents)."""
    return frozenset({"webhook"} if "ms-whatsapp" in services else set()) | (
        {"agents"} if "ms-agents" in services else set())


def child_env(settings: Settings) -> dict[str, str]:
    """What a supervised child must know beyond the environment: where NATS is (maybe just
    started here) and where the Graph API is (the parent serves the fake)."""
    return {"NATS_URL": settings.nats_url, "WHATSAPP_GRAPH_URL": settings.whatsapp_graph_url,
            "HELPLINE_FAKE_GRAPH": "false"}


async def reload_knowledge_base(answerer: Reloadable, every_s: float) -> None:
    """Pick up edits of the knowledge base folder while the service runs."""
    while True:
        await asyncio.sleep(every_s)
        try:
            if await asyncio.to_thread(answerer.reload_if_changed):
                log.info("knowledge base reloaded")
        except Exception:
            log.exception("knowledge base reload failed; keeping the previous index")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
