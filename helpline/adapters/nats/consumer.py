"""How every service consumes: ack after the handler commits, nack with growing delay on
transient errors, dead-letter on permanent errors or after ``max_deliver`` deliveries.

FastStream 0.7's default ack policy (``REJECT_ON_ERROR``) would *terminate* a message on any
exception: a lost message for a database hiccup. We use ``AckPolicy.MANUAL`` and decide here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream.nats import NatsBroker, NatsMessage
from pydantic import ValidationError

from helpline.adapters.nats.topology import Topology
from helpline.application.errors import ApplicationError
from helpline.catalog import CatalogMessage
from helpline.domain.errors import DomainError

log = logging.getLogger("helpline.nats")

#: Errors no redelivery can fix: the message goes to the dead-letter subject at once.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (ValidationError, DomainError,
                                                     ApplicationError, ValueError)

Handler = Callable[[Any], Awaitable[Sequence[CatalogMessage]]]


@dataclass
class Metrics:
    """Counters a process exposes (``/metrics``)."""

    processed: dict[str, int] = field(default_factory=dict)
    redelivered: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    published: int = 0

    def bump(self, counter: dict[str, int], key: str) -> None:
        """Add one to ``counter[key]``."""
        counter[key] = counter.get(key, 0) + 1


@dataclass(frozen=True)
class RetryPolicy:
    """Redelivery delays: ``base * 2**(n-1)`` seconds, capped; dead-letter after
    ``max_deliver`` deliveries."""

    max_deliver: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 30.0

    def delay(self, delivered: int) -> float:
        """The delay before delivery number ``delivered + 1``."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** max(0, delivered - 1)))


async def publish_all(
    broker: NatsBroker, topology: Topology, messages: Sequence[CatalogMessage],
    metrics: Metrics | None = None,
) -> None:
    """Publish into JetStream and wait for every ack; ``Nats-Msg-Id`` = ``message_id``."""
    await asyncio.gather(*(
        broker.publish(
            m.to_json(), topology.subject(type(m)), stream=topology.stream,
            headers={"Nats-Msg-Id": str(m.message_id), "Content-Type": "application/json"},
        )
        for m in messages
    ))
    if metrics is not None:
        metrics.published += len(messages)


@dataclass
class Consumption:
    """Runs one handler for one message class with the reliability rules above."""

    service: str
    message_cls: type[CatalogMessage]
    handler: Handler
    broker: NatsBroker
    topology: Topology
    publish_results: bool
    """Stateless services publish what the handler returns (ids are deterministic);
    event-sourced ones leave that to their outbox relay."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    metrics: Metrics = field(default_factory=Metrics)

    async def __call__(self, msg: NatsMessage) -> None:
        """Handle one delivery."""
        key = f"{self.service}:{self.message_cls.catalog_id}"
        delivered = _deliveries(msg)
        try:
            parsed = self.message_cls.model_validate_json(msg.body)
            results = await self.handler(parsed)
            if self.publish_results and results:
                await publish_all(self.broker, self.topology, results, self.metrics)
        except PERMANENT_ERRORS as e:
            await self._dead_letter(msg, delivered, e)
            return
        except Exception as e:
            if delivered >= self.retry.max_deliver:
                await self._dead_letter(msg, delivered, e)
                return
            delay = self.retry.delay(delivered)
            log.warning("%s failed (delivery %d), retrying in %.1fs: %r", key, delivered,
                        delay, e)
            self.metrics.bump(self.metrics.redelivered, key)
            await msg.nack(delay=delay)
            return
        await msg.ack()
        self.metrics.bump(self.metrics.processed, key)

    async def _dead_letter(self, msg: NatsMessage, delivered: int, error: BaseException) -> None:
        key = f"{self.service}:{self.message_cls.catalog_id}"
        log.error("%s dead-lettered after %d deliveries: %r", key, delivered, error)
        self.metrics.bump(self.metrics.dead_lettered, key)
        headers = {
            "Helpline-Service": self.service,
            "Helpline-Subject": msg.raw_message.subject,
            "Helpline-Deliveries": str(delivered),
            "Helpline-Error": f"{type(error).__name__}: {error}"[:1000].replace("\n", " "),
        }
        msg_id = (msg.headers or {}).get("Nats-Msg-Id")
        if msg_id:
            headers["Nats-Msg-Id"] = f"dlq:{self.service}:{msg_id}"
        await self.broker.publish(
            msg.body, self.topology.dlq_subject(self.service, self.message_cls),
            stream=self.topology.dlq_stream, headers=headers)
        await msg.reject()


def _deliveries(msg: NatsMessage) -> int:
    try:
        return int(msg.raw_message.metadata.num_delivered)
    except Exception:  # a core-NATS message (tests) has no JetStream metadata
        return 1
