"""How every service consumes: a batch at a time from a durable pull consumer, acked after
the batch is handled (for event-sourced services: after its one commit), nacked with a
growing delay on transient errors, dead-lettered on permanent errors or after
``max_deliver`` deliveries.

Why not FastStream's subscribers: its batch subscriber waits up to its timeout to *fill* a
batch (latency at low load, or a fetch every few milliseconds when idle), and its
non-batch subscriber runs each message separately. nats-py's ``fetch(n)`` (the library
under FastStream) returns at once with whatever is waiting, up to ``n``, or waits for the
first message: batches grow with the load and cost nothing when idle. FastStream still owns
the connection, the webhook's publish and the request/reply query.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import FetchTimeoutError
from pydantic import ValidationError

from helpline.adapters.backoff import backoff
from helpline.adapters.faults import is_unavailable
from helpline.adapters.nats.topology import MAX_MESSAGE_BYTES, Topology
from helpline.application.errors import ApplicationError
from helpline.application.handlers import BatchResult
from helpline.catalog import CatalogMessage
from helpline.domain.errors import DomainError
from helpline.logs import OutageLog

log = logging.getLogger("helpline.nats")

#: Errors no redelivery can fix: the message goes to the dead-letter subject at once.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (ValidationError, DomainError,
                                                     ApplicationError, ValueError)

#: Handles a batch of messages of one service (see ``helpline.application.handlers``).
BatchHandler = Callable[[Sequence[CatalogMessage]], Awaitable[BatchResult]]
#: What a service reports when it gives up on a message.
GivenUp = Callable[[CatalogMessage, BaseException], Sequence[CatalogMessage]]

#: How long a publish may wait for JetStream's acknowledgement.
PUBLISH_TIMEOUT_S = 10.0


@dataclass
class Metrics:
    """Counters a process exposes (``/metrics``)."""

    processed: dict[str, int] = field(default_factory=dict)
    redelivered: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    batches: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    """Consumers and relays the watchdog restarted, by ``consume:<key>`` / ``relay:<app>``."""
    published: int = 0

    def bump(self, counter: dict[str, int], key: str, n: int = 1) -> None:
        """Add ``n`` to ``counter[key]``."""
        counter[key] = counter.get(key, 0) + n


@dataclass(frozen=True)
class RetryPolicy:
    """Redelivery delays: ``base * 2**(n-1)`` seconds, capped; dead-letter after
    ``max_deliver`` deliveries."""

    max_deliver: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 30.0

    def delay(self, delivered: int) -> float:
        """The delay before delivery number ``delivered + 1``."""
        return backoff(self.base_delay_s, self.max_delay_s, delivered - 1)


def _headers(m: CatalogMessage) -> dict[str, str]:
    return {"Nats-Msg-Id": str(m.message_id), "Content-Type": "application/json"}


class Publisher:
    """Publishes catalog messages into JetStream **in order** and pipelined: every message
    is written before the first acknowledgement is awaited, and JetStream stores them in the
    order written (``Nats-Msg-Id`` = ``message_id``, so a republish is dropped)."""

    def __init__(self, js: JetStreamContext, topology: Topology,
                 metrics: Metrics | None = None) -> None:
        self.js = js
        self.topology = topology
        self.metrics = metrics

    async def publish(self, messages: Sequence[CatalogMessage]) -> None:
        """Publish ``messages`` in order and wait until JetStream stored every one. A message
        over the stream's size limit (none should be: the catalog bounds what can grow) is
        never published: it goes to the dead letters with its size, so the rest flow on."""
        if not messages:
            return
        futures = []
        for m in messages:
            data = m.to_json()
            if len(data) > MAX_MESSAGE_BYTES:
                await self._too_large(m, len(data))
                continue
            futures.append(await self.js.publish_async(
                self.topology.subject(type(m)), data, stream=self.topology.stream,
                headers=_headers(m)))
        try:
            await asyncio.wait_for(asyncio.gather(*futures), PUBLISH_TIMEOUT_S)
        finally:
            for f in futures:
                f.cancel()  # no-op when done; otherwise drop the wait for an ack
        if self.metrics is not None:
            self.metrics.published += len(messages)


    async def _too_large(self, m: CatalogMessage, size: int) -> None:
        log.error("%s %s is %d bytes, over the %d a message may have: dead-lettered",
                  m.catalog_id, m.message_id, size, MAX_MESSAGE_BYTES)
        note = json.dumps({"message_id": str(m.message_id), "catalog_id": m.catalog_id,
                           "correlation_id": m.correlation_id, "bytes": size}).encode()
        await self.js.publish(
            self.topology.dlq_subject(m.producer, type(m)), note,
            stream=self.topology.dlq_stream,
            headers={"Nats-Msg-Id": f"too-large:{m.message_id}",
                     "Helpline-Service": m.producer,
                     "Helpline-Subject": self.topology.subject(type(m)),
                     "Helpline-Deliveries": "0",
                     "Helpline-Error": f"not published: {size} bytes is over the "
                                       f"{MAX_MESSAGE_BYTES} a message may have"})


async def publish_all(broker: Any, topology: Topology, messages: Sequence[CatalogMessage],
                      metrics: Metrics | None = None) -> None:
    """Publish into JetStream one after the other, each after the previous one's ack (the
    webhook's durable publish, tests); ``broker`` is a FastStream ``NatsBroker``."""
    for m in messages:
        await broker.publish(m.to_json(), topology.subject(type(m)), stream=topology.stream,
                             headers=_headers(m))
    if metrics is not None:
        metrics.published += len(messages)


def deliveries(msg: Msg) -> int:
    """How many times JetStream delivered ``msg`` (1 the first time)."""
    try:
        return int(msg.metadata.num_delivered)
    except Exception:  # a core-NATS message has no JetStream metadata
        return 1


@dataclass
class BatchConsumer:
    """One durable pull consumer of one message class, handled a batch at a time.

    A batch is fetched, parsed (invalid messages are dead-lettered at once), handed to
    ``handler`` as one unit and, when ``publish`` is given (stateless services), what it
    caused is published; then each message is acked, nacked with a delay, or dead-lettered.
    The next batch is fetched only after that, so one consumer handles its messages in
    stream order."""

    service: str
    message_cls: type[CatalogMessage]
    handler: BatchHandler
    nc: Client
    js: JetStreamContext
    topology: Topology
    publisher: Publisher | None
    """Stateless services publish what the handler returns (its ids are deterministic);
    event-sourced ones leave that to their outbox relay."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    metrics: Metrics = field(default_factory=Metrics)
    given_up: GivenUp | None = None
    """What a service reports when it gives up on a message (ms-whatsapp: the send failed),
    published before the message is dead-lettered."""
    batch_size: int = 64
    ack_wait_s: float = 30.0
    progress_at: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the consumer last fetched or settled (its watchdog)."""
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _outage: OutageLog = field(init=False)
    _fetching: OutageLog = field(init=False)

    def __post_init__(self) -> None:
        self._outage = OutageLog(f"{self.key}: handling", log)
        self._fetching = OutageLog(f"{self.key}: fetching from JetStream", log)

    @property
    def key(self) -> str:
        """``service:catalog-id`` (metrics and logs)."""
        return f"{self.service}:{self.message_cls.catalog_id}"

    async def subscribe(self) -> JetStreamContext.PullSubscription:
        """Create (or bind to) the durable consumer."""
        config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_deliver=-1,
                                ack_wait=self.ack_wait_s)
        return await self.js.pull_subscribe(
            self.topology.subject(self.message_cls),
            durable=self.topology.durable(self.service, self.message_cls),
            stream=self.topology.stream, config=config)

    def stop(self) -> None:
        """Finish the batch in progress, then stop."""
        self._stopping.set()

    async def run(self, subscription: JetStreamContext.PullSubscription) -> None:
        """Consume until stopped."""
        try:
            await self._consume(subscription)
        finally:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await subscription.unsubscribe()

    async def _consume(self, subscription: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            self.progress_at = time.monotonic()
            try:
                batch = await subscription.fetch(self.batch_size, timeout=1.0)
            except (TimeoutError, NatsTimeoutError, FetchTimeoutError):
                continue
            except ConnectionClosedError:
                return
            except Exception as e:  # NATS away: the client reconnects; try again shortly
                self._fetching.failed(e)
                await asyncio.sleep(1.0)
                continue
            self._fetching.worked()
            if not batch:
                continue
            try:
                await self.process(batch)
            except Exception:  # never end the consumer: what was not settled comes back
                log.exception("%s: a batch of %d could not be settled; JetStream redelivers "
                              "what was not acked", self.key, len(batch))
                await asyncio.sleep(1.0)

    async def process(self, batch: Sequence[Msg]) -> None:
        """Handle one fetched batch and settle every message of it."""
        parsed: list[tuple[Msg, CatalogMessage]] = []
        for raw in batch:
            try:
                parsed.append((raw, self.message_cls.model_validate_json(raw.data)))
            except ValidationError as e:
                try:
                    await self.dead_letter(raw, e)
                except Exception as why:
                    await self._retry_later(raw, why)
        if not parsed:
            return
        self.metrics.bump(self.metrics.batches, self.key)
        try:
            result = await self.handler([m for _, m in parsed])
            if self.publisher is not None:
                await self.publisher.publish(result.emitted)
        except Exception as e:  # the whole batch failed (e.g. a store is down): retry it
            result = BatchResult(errors=dict.fromkeys(range(len(parsed)), e))
        if len(result.errors) < len(parsed):
            self._outage.worked()
        self.progress_at = time.monotonic()
        for i, (raw, _) in enumerate(parsed):
            error = result.errors.get(i)
            if error is None:
                await raw.ack()
                self.metrics.bump(self.metrics.processed, self.key)
            else:
                await self.settle_failure(raw, error)

    async def _retry_later(self, raw: Msg, why: BaseException) -> None:
        """A message could not be settled as decided (the dead-letter publish failed, e.g.
        while a NATS node fails over): let it come back and be decided again."""
        log.warning("%s: could not settle a message (%r); it comes back", self.key, why)
        with contextlib.suppress(Exception):  # unsettled, it still comes back after ack_wait
            await raw.nak(delay=self.retry.delay(deliveries(raw)))

    async def settle_failure(self, raw: Msg, error: BaseException) -> None:
        """Dead-letter a message that cannot succeed; otherwise let it come back later. A
        dependency that is away (a database restarting) never dead-letters anything: the
        message comes back every ``max_delay_s`` at most until it is back."""
        delivered = deliveries(raw)
        self.metrics.bump(self.metrics.redelivered, self.key)
        if is_unavailable(error):
            self._outage.failed(error)
            await raw.nak(delay=self.retry.delay(delivered))
            return
        if isinstance(error, PERMANENT_ERRORS) or delivered >= self.retry.max_deliver:
            try:
                await self.dead_letter(raw, error)
            except Exception as e:
                await self._retry_later(raw, e)
            return
        delay = self.retry.delay(delivered)
        log.warning("%s failed (delivery %d), retrying in %.1fs: %r", self.key, delivered,
                    delay, error)
        await raw.nak(delay=delay)

    async def dead_letter(self, raw: Msg, error: BaseException) -> None:
        """Put ``raw`` on the dead-letter subject with headers that say why, and stop its
        redelivery."""
        if self.given_up is not None and self.publisher is not None:
            with contextlib.suppress(ValidationError):
                msg = self.message_cls.model_validate_json(raw.data)
                await self.publisher.publish(self.given_up(msg, error))
        delivered = deliveries(raw)
        log.error("%s dead-lettered after %d deliveries: %r", self.key, delivered, error)
        self.metrics.bump(self.metrics.dead_lettered, self.key)
        headers = {
            "Helpline-Service": self.service,
            "Helpline-Subject": raw.subject,
            "Helpline-Deliveries": str(delivered),
            "Helpline-Error": f"{type(error).__name__}: {error}"[:1000].replace("\n", " "),
        }
        msg_id = (raw.headers or {}).get("Nats-Msg-Id")
        if msg_id:
            headers["Nats-Msg-Id"] = f"dlq:{self.service}:{msg_id}"
        await self.js.publish(self.topology.dlq_subject(self.service, self.message_cls),
                              raw.data, stream=self.topology.dlq_stream, headers=headers)
        await raw.term()


class MergingExecutor:
    """Runs an event-sourced application's batches one at a time in a worker thread,
    merging what its consumers submit meanwhile into the next unit of work.

    One writer per application per process: the consumers of its message classes never
    race each other on a conversation (no version clashes between them), and a batch from
    one consumer and a batch from another share one load of each aggregate and one commit."""

    def __init__(self, handle_batch: Callable[[Sequence[CatalogMessage]], BatchResult],
                 on_committed: Callable[[], None] = lambda: None) -> None:
        self.handle_batch = handle_batch
        self.on_committed = on_committed
        self._queue: list[tuple[Sequence[CatalogMessage], asyncio.Future[BatchResult]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, messages: Sequence[CatalogMessage]) -> BatchResult:
        """Handle ``messages`` (possibly together with other consumers' messages)."""
        future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        self._queue.append((messages, future))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="merging-executor")
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            items, self._queue = self._queue, []
            if not items:
                continue
            combined = [m for messages, _ in items for m in messages]
            try:
                result = await asyncio.to_thread(self.handle_batch, combined)
            except Exception as e:  # every submitter retries its messages
                for _, future in items:
                    if not future.done():
                        future.set_exception(e)
                continue
            self.on_committed()
            offset = 0
            for messages, future in items:
                part = BatchResult(errors={i - offset: e for i, e in result.errors.items()
                                           if offset <= i < offset + len(messages)})
                offset += len(messages)
                if not future.done():
                    future.set_result(part)

    async def stop(self) -> None:
        """Stop after the unit of work in progress."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def in_thread(handle_batch: Callable[[Sequence[CatalogMessage]], BatchResult]) -> BatchHandler:
    """A stateless service's batch handler, run in a worker thread."""

    async def run(messages: Sequence[CatalogMessage]) -> BatchResult:
        return await asyncio.to_thread(handle_batch, messages)

    return run
