"""The outbox relay: publishes what an application's stored events translate to.

It follows the application's notification log, publishes the catalog messages of each stored
event (``app.messages_for``: the application's ``@emits`` translations) with ``Nats-Msg-Id`` =
the message id, and records how far it got with eventsourcing tracking in the application's
own database. A crash between saving and publishing republishes on restart and JetStream's
duplicate window drops the copy; nothing is published before its save commits, because only
committed events are in the notification log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder

from helpline.adapters.nats.consumer import Publisher
from helpline.application.base import HelplineApplication
from helpline.catalog import CatalogMessage, GetConversation
from helpline.logs import OutageLog

log = logging.getLogger("helpline.relay")

#: Handles a query the relay meets (e.g. ms-agents' Get Conversation after an assignment).
QueryHandler = Callable[[CatalogMessage], Awaitable[None]]


@dataclass(eq=False)
class OutboxRelay:
    """Follows one application's notification log and publishes its catalog messages."""

    tracking_name = "outbox"
    """The name the relay's position is tracked under in the application's database."""

    app: HelplineApplication
    """The application whose stored events are relayed."""
    publisher: Publisher
    """Publishes each batch's messages into JetStream, in the order of the log."""
    _: KW_ONLY
    on_query: QueryHandler | None = None
    """Handles the queries among the messages (they are not published): each runs before
    the position moves, so one that raises has its batch relayed again; ``None``: they are
    dropped."""
    batch: int = 500
    """How many notifications one step reads from the log at most."""
    poll_interval_s: float = 0.2
    """How long, in seconds, an idle relay waits for :meth:`wake` before it looks at the log
    again."""
    topics: list[str] = field(init=False)
    """The topics of the stored events that publish messages (the only ones read)."""
    tracking: TrackingRecorder = field(init=False)
    """Where the position is recorded: the application's own database."""
    position: int = field(init=False)
    """The id of the last notification relayed (from tracking, at start)."""
    progress_at: float = field(init=False, default_factory=time.monotonic)
    """``time.monotonic()`` of the relay's last step (its watchdog)."""
    _wake: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _stopped: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.topics = self.app.emitting_topics()
        self.tracking = self.app.factory.tracking_recorder()
        self.position = self.tracking.max_tracking_id(self.tracking_name) or 0

    def wake(self) -> None:
        """Something was saved: look at the log now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current batch and stop."""
        self._stopped.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped."""
        outage = OutageLog(f"{self.app.name} outbox relay", log)
        while not self._stopped.is_set():
            self.progress_at = time.monotonic()
            try:
                moved = await self.relay_once()
                outage.worked()
            except Exception as e:  # a store or NATS away; the next round tries again
                outage.failed(e)
                moved = 0
                await asyncio.sleep(1.0)
            if moved == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)

    async def relay_once(self) -> int:
        """Publish the next batch of stored events' messages; returns how many events."""
        notifications = await asyncio.to_thread(
            self.app.recorder.select_notifications, self.position, self.batch,
            topics=self.topics, inclusive_of_start=False)
        if not notifications:
            return 0
        events: list[CatalogMessage] = []
        queries: list[CatalogMessage] = []
        for notification in notifications:
            for m in self.app.messages_for(self.app.mapper.to_domain_event(notification),
                                           self.app.generation):
                (queries if isinstance(m, GetConversation) else events).append(m)
        # In the order of the log: a conversation's messages reach the stream in the order
        # its events were stored.
        await self.publisher.publish(events)
        # Queries run before the position moves: if one fails (ms-conv-store down), the batch
        # is relayed again (JetStream drops the republished copies) until it succeeds.
        for query in queries:
            await self._query(query)
        last = notifications[-1].id
        await asyncio.to_thread(self._track, last)
        self.position = last
        return len(notifications)

    def _track(self, notification_id: int) -> None:
        # IntegrityError: another replica's relay got further first; its position will do.
        with contextlib.suppress(IntegrityError):
            self.tracking.insert_tracking(Tracking(self.tracking_name, notification_id))

    async def _query(self, query: CatalogMessage) -> None:
        if self.on_query is None:
            return
        self.progress_at = time.monotonic()
        try:
            await self.on_query(query)
        except Exception:
            log.warning("%s: %s %s failed; the batch will be relayed again", self.app.name,
                        query.catalog_id, query.message_id)
            raise


async def drain(relays: Sequence[OutboxRelay]) -> None:
    """Relay everything stored so far (tests, shutdown)."""
    for relay in relays:
        while await relay.relay_once():
            pass
