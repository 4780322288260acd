"""Running services on NATS: one process with all five (``helpline up``) or one service per
process (``helpline serve``). Builds the broker, the streams, the routers and the relays."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import nats
from faststream.nats import NatsBroker
from nats.js.errors import BadRequestError

from helpline.adapters.nats.consumer import Handler, Metrics, RetryPolicy, publish_all
from helpline.adapters.nats.query import get_conversation
from helpline.adapters.nats.relay import OutboxRelay
from helpline.adapters.nats.routers import SUBSCRIPTIONS, RouterOptions, create_router
from helpline.adapters.nats.topology import Topology
from helpline.application.runner import Services
from helpline.catalog import CatalogMessage, GetConversation

log = logging.getLogger("helpline.runtime")

SERVICES = tuple(SUBSCRIPTIONS)


async def ensure_streams(url: str, topology: Topology) -> None:
    """Create (or update) the JetStream streams of ``topology``."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for config in topology.stream_configs():
            try:
                await js.add_stream(config)
            except BadRequestError:
                await js.update_stream(config)
    finally:
        await nc.close()


@dataclass
class ServiceRuntime:
    """The services of one process on one NATS connection, with their outbox relays."""

    services: Services
    names: tuple[str, ...]
    nats_url: str
    topology: Topology = field(default_factory=Topology)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    retry_by_service: dict[str, RetryPolicy] = field(
        default_factory=lambda: RouterOptions().retry_by_service)
    metrics: Metrics = field(default_factory=Metrics)
    query_timeout_s: float = 3.0
    handlers: dict[type[CatalogMessage], Handler] = field(default_factory=dict)
    """Handlers that replace an application's method (e.g. the async Graph API sender)."""
    relays: dict[str, OutboxRelay] = field(default_factory=dict)
    broker: NatsBroker | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Connect, declare streams, subscribe and start the relays."""
        unknown = set(self.names) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown service(s): {', '.join(sorted(unknown))}")
        await ensure_streams(self.nats_url, self.topology)
        self.broker = NatsBroker(self.nats_url, logger=logging.getLogger("helpline.faststream"),
                                 graceful_timeout=8.0)
        options = RouterOptions(topology=self.topology, retry=self.retry,
                                retry_by_service=self.retry_by_service, metrics=self.metrics,
                                on_saved=self._wake)
        for name in self.names:
            self.broker.include_router(create_router(name, self.services, self.broker, options,
                                                     self.handlers))
        await self.broker.start()
        if "ms-conv-store" in self.names:
            self.relays["ms-conv-store"] = OutboxRelay(self.services.store, self.broker,
                                                       self.topology, metrics=self.metrics)
        if "ms-agents" in self.names:
            self.relays["ms-agents"] = OutboxRelay(self.services.desk, self.broker,
                                                   self.topology, on_query=self._ask,
                                                   metrics=self.metrics)
        self._tasks = [asyncio.create_task(r.run(), name=f"relay:{n}")
                       for n, r in self.relays.items()]

    def _wake(self, service: str) -> None:
        relay = self.relays.get(service)
        if relay is not None:
            relay.wake()

    async def _ask(self, query: CatalogMessage) -> None:
        """ms-agents' Get Conversation: ask ms-conv-store, keep the document for the agent."""
        assert self.broker is not None and isinstance(query, GetConversation)
        doc = await get_conversation(self.broker, self.topology, query, self.query_timeout_s)
        await asyncio.to_thread(self.services.desk.conversation_document, doc)
        self._wake("ms-agents")

    async def publish(self, messages: Sequence[CatalogMessage]) -> None:
        """Publish into JetStream and wait for the acks (the webhook's durable publish)."""
        if self.broker is None:
            raise RuntimeError("not connected to NATS")
        await publish_all(self.broker, self.topology, messages, self.metrics)

    def wake_relays(self) -> None:
        """Something outside a handler (the agent API) saved: publish now."""
        for relay in self.relays.values():
            relay.wake()

    @property
    def connected(self) -> bool:
        """Whether the NATS connection is up."""
        try:
            return self.broker is not None and bool(self.broker.connection.is_connected)
        except Exception:
            return False

    async def stop(self) -> None:
        """Stop consuming (in-flight handlers finish or their messages are redelivered), then
        let the relays publish what was saved, then disconnect."""
        if self.broker is not None:
            for sub in self.broker.subscribers:
                await sub.stop()
        for relay in self.relays.values():
            relay.stop()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)
        for relay in self.relays.values():
            try:
                await asyncio.wait_for(relay.relay_once(), 2.0)
            except Exception:
                log.exception("final relay of %s failed; it resumes on restart", relay.app.name)
        if self.broker is not None:
            await self.broker.stop()
            self.broker = None


def parse_services(names: Iterable[str]) -> tuple[str, ...]:
    """Validate service names (``all`` means the five)."""
    chosen = tuple(names)
    if not chosen or chosen == ("all",):
        return SERVICES
    for name in chosen:
        if name not in SERVICES:
            raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICES)}")
    return chosen
