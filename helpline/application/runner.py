"""The five services and their in-process wiring (no NATS): tests and ``helpline demo``.

What a service consumes comes from the catalog (:mod:`helpline.application.routing`); which method
handles it comes from the service's registered handlers (``@decides`` / ``@handles``).
:meth:`Services.check` proves the two agree, so a message added to the catalog without a
handler (or the reverse) fails at start-up and in the tests, not in production.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from helpline.application.agent_desk import AgentDesk
from helpline.application.ai_agent import AIAgent
from helpline.application.base import HelplineApplication
from helpline.application.conversation_store import ConversationStore
from helpline.application.customer_gateway import CustomerGateway
from helpline.application.handlers import BatchResult
from helpline.application.routing import SUBSCRIPTIONS
from helpline.application.whatsapp_edge import WhatsAppEdge
from helpline.catalog import CatalogMessage, ConversationDocument, GetConversation
from helpline.catalog.base import SERVICES

Handler = Callable[[CatalogMessage], Iterable[CatalogMessage]]


class Consumer(Protocol):
    """What every service's application offers the transports."""

    @property
    def handlers(self) -> Mapping[type[CatalogMessage], object]:
        """The registered handlers, by message class."""
        ...

    def handle(self, msg: CatalogMessage) -> list[CatalogMessage]:
        """Handle one message; returns the messages it causes."""
        ...

    def handle_batch(self, messages: Sequence[CatalogMessage]) -> BatchResult:
        """Handle messages in order; a failure fails only its own message."""
        ...


@dataclass
class Services:
    """One instance of each of the five services' applications."""

    gateway: CustomerGateway
    store: ConversationStore
    rag: AIAgent
    desk: AgentDesk
    whatsapp: WhatsAppEdge

    def application(self, service: str) -> Consumer:
        """The application behind a service of the flow."""
        apps: dict[str, Consumer] = {
            "ms-whatsapp": self.whatsapp, "ms-gateway": self.gateway,
            "ms-conv-store": self.store, "ms-rag": self.rag, "ms-agents": self.desk}
        return apps[service]

    @property
    def event_sourced(self) -> frozenset[str]:
        """The services whose state is event-sourced (their application is a
        :class:`HelplineApplication`): an outbox relay publishes what they store."""
        return frozenset(s for s in SERVICES
                         if isinstance(self.application(s), HelplineApplication))

    def check(self) -> None:
        """Raise if a service lacks a handler for a message the catalog says it consumes,
        or has one for a message it does not."""
        for service in SERVICES:
            wanted = set(SUBSCRIPTIONS[service])
            if service == "ms-agents":
                wanted.add(ConversationDocument)  # the reply to its Get Conversation
            have = set(self.application(service).handlers)
            if wanted != have:
                raise LookupError(
                    f"{service}: the catalog says it consumes "
                    f"{sorted(m.catalog_id for m in wanted)}, its handlers are for "
                    f"{sorted(m.catalog_id for m in have)}")

    def routes(self) -> dict[type[CatalogMessage], Handler]:
        """Which handler consumes each catalog message (the flow's arrows): what each service
        subscribes to, plus the Get Conversation query and its reply."""
        self.check()
        routes: dict[type[CatalogMessage], Handler] = {
            cls: self.application(service).handle
            for service, classes in SUBSCRIPTIONS.items() for cls in classes
        }
        routes[GetConversation] = lambda q: [self.store.get_conversation(q)]  # type: ignore[arg-type]
        routes[ConversationDocument] = self.desk.handle
        return routes


@dataclass
class InProcessRunner:
    """Delivers each message to its consumer and the messages that causes, until quiet.

    ``batched``: deliver everything waiting for a service as one batch (``handle_batch``,
    one unit of work), as the NATS consumers do, instead of one message at a time.
    ``log`` keeps every message delivered, in order: the conversation's catalog trace."""

    services: Services
    batched: bool = False
    log: list[CatalogMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._routes = self.services.routes()
        self._consumer = {cls: service for service, classes in SUBSCRIPTIONS.items()
                          for cls in classes}

    def publish(self, *messages: CatalogMessage) -> list[CatalogMessage]:
        """Deliver ``messages`` and everything they cause; returns what was delivered."""
        queue = deque(messages)
        delivered: list[CatalogMessage] = []
        while queue:
            if self.batched and type(queue[0]) in self._consumer:
                batch = self._take_batch(queue)
                delivered.extend(batch)
                queue.extend(self._deliver_batch(batch))
                continue
            msg = queue.popleft()
            delivered.append(msg)
            queue.extend(self._routes[type(msg)](msg))
        self.log.extend(delivered)
        return delivered

    def _take_batch(self, queue: deque[CatalogMessage]) -> list[CatalogMessage]:
        """Every queued message for the service of the first one, in queue order."""
        service = self._consumer[type(queue[0])]
        batch = [m for m in queue if self._consumer.get(type(m)) == service]
        for m in batch:
            queue.remove(m)
        return batch

    def _deliver_batch(self, batch: Sequence[CatalogMessage]) -> list[CatalogMessage]:
        result = self.services.application(self._consumer[type(batch[0])]).handle_batch(batch)
        if result.errors:
            raise next(iter(result.errors.values()))
        return result.emitted
