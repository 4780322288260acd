"""One FastStream router per service of the seed flow, built by a factory.

Every command and event is consumed from JetStream with a durable pull consumer (named after
the service and the message, so the replicas of a service share the work) and the manual ack
policy of ``helpline.adapters.nats.consumer``. *Get Conversation* is served over core NATS
request/reply with a queue group, never inside a stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, NatsRouter, PullSub
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig

from helpline.adapters.nats.consumer import Consumption, Handler, Metrics, RetryPolicy
from helpline.adapters.nats.topology import Topology
from helpline.application.runner import (
    EVENT_SOURCED,
    SUBSCRIPTIONS,
    Services,
    handler_name,
)
from helpline.catalog import (
    CatalogMessage,
    ConversationDocument,
    GetConversation,
)


@dataclass
class RouterOptions:
    """Consumption settings shared by all routers of a process."""

    topology: Topology = field(default_factory=Topology)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    retry_by_service: dict[str, RetryPolicy] = field(default_factory=lambda: {
        # A send whose earlier attempt still holds its ledger lease (2 min) is retried until
        # the lease expires, so it is never dead-lettered while it may still be in flight.
        "ms-whatsapp": RetryPolicy(max_deliver=10, base_delay_s=0.5, max_delay_s=60.0)})
    metrics: Metrics = field(default_factory=Metrics)
    batch_size: int = 16
    max_workers: int = 4
    ack_wait_s: float = 30.0
    on_saved: Callable[[str], None] = lambda service: None
    """Called after an event-sourced service saved (wakes its relay)."""


def _in_thread(fn: Callable[[Any], Sequence[CatalogMessage]]) -> Handler:
    async def run(message: Any) -> Sequence[CatalogMessage]:
        return await asyncio.to_thread(fn, message)

    return run


def create_router(
    service: str,
    services: Services,
    broker: NatsBroker,
    options: RouterOptions,
    handlers: dict[type[CatalogMessage], Handler] | None = None,
) -> NatsRouter:
    """The router of ``service``: its JetStream subscriptions (and, for ms-conv-store, the
    Get Conversation responder). ``handlers`` overrides the default (the application's
    method named after the message, run in a worker thread)."""
    topo = options.topology
    router = NatsRouter()
    app = services.application(service)
    stream = JStream(topo.stream, declare=False)
    for cls in SUBSCRIPTIONS[service]:
        handler = (handlers or {}).get(cls) or _in_thread(getattr(app, handler_name(cls)))
        if service in EVENT_SOURCED:
            handler = _notify_after(handler, options.on_saved, service)
        consumption = Consumption(
            service=service, message_cls=cls, handler=handler, broker=broker, topology=topo,
            publish_results=service not in EVENT_SOURCED,
            retry=options.retry_by_service.get(service, options.retry),
            metrics=options.metrics)
        router.subscriber(
            topo.subject(cls),
            stream=stream,
            durable=topo.durable(service, cls),
            pull_sub=PullSub(batch_size=options.batch_size, timeout=1.0),
            config=ConsumerConfig(ack_policy=JsAckPolicy.EXPLICIT, max_deliver=-1,
                                  ack_wait=options.ack_wait_s),
            ack_policy=AckPolicy.MANUAL,
            max_workers=options.max_workers,
            title=f"{service}:{cls.catalog_id}",
            description=cls.__doc__,
        )(_entry(consumption))
    if service == "ms-conv-store":
        _serve_get_conversation(router, services, topo)
    return router


def _notify_after(handler: Handler, on_saved: Callable[[str], None], service: str) -> Handler:
    async def run(message: Any) -> Sequence[CatalogMessage]:
        result = await handler(message)
        on_saved(service)
        return result

    return run


def _entry(consumption: Consumption) -> Callable[..., Any]:
    async def consume(msg: NatsMessage) -> None:
        await consumption(msg)

    consume.__name__ = handler_name(consumption.message_cls)
    consume.__doc__ = consumption.message_cls.__doc__
    return consume


def _serve_get_conversation(router: NatsRouter, services: Services, topo: Topology) -> None:
    store = services.store

    async def get_conversation(msg: NatsMessage) -> bytes:
        query = GetConversation.model_validate_json(msg.body)
        doc: ConversationDocument = await asyncio.to_thread(store.get_conversation, query)
        return doc.to_json()

    router.subscriber(topo.subject(GetConversation), queue="ms-conv-store",
                      title="ms-conv-store:get-conversation",
                      description=GetConversation.__doc__)(get_conversation)


__all__ = ["EVENT_SOURCED", "SUBSCRIPTIONS", "RouterOptions", "create_router", "handler_name"]
