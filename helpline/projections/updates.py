"""What the projections changed, for whoever listens (the console's live updates).

The projection workers publish a :class:`Change` per ticket or conversation a committed batch
touched; :class:`Updates` hands them to every subscriber. One ``Updates`` belongs to the
``Projections`` the composition root builds (no module state). Subscribers are asyncio
queues (the HTTP server's loop); the workers are threads, so a change is put on each queue
with ``call_soon_threadsafe``. A subscriber that does not keep up loses changes beyond
``maxsize`` and is told with a ``None`` (re-read everything).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass

#: How many changes a subscriber may have waiting.
QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Change:
    """A ticket or a conversation the views changed (either id may be unknown)."""

    ticket_id: str | None
    conversation_id: str | None
    projection: str


class Subscription:
    """One listener's queue of changes; ``None`` means "changes were lost, or the
    projections are closing": re-read, or stop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Change | None] = asyncio.Queue(QUEUE_SIZE)

    def _put(self, change: Change | None) -> None:
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self._overflow()

    def _overflow(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def get(self) -> Change | None:
        """The next change (waits)."""
        return await self.queue.get()


class Updates:
    """An in-process publish/subscribe of :class:`Change`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        self.closed = False

    def subscribe(self) -> Subscription:
        """A new subscription on the running event loop."""
        subscription = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(subscription)
        if self.closed:
            subscription._put(None)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription``."""
        with self._lock:
            self._subscribers.discard(subscription)

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open."""
        with self._lock:
            return len(self._subscribers)

    def publish(self, changes: Iterable[Change | None]) -> None:
        """Hand ``changes`` to every subscriber (from any thread)."""
        batch = list(dict.fromkeys(changes))
        if not batch:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            for change in batch:
                try:
                    subscription.loop.call_soon_threadsafe(subscription._put, change)
                except RuntimeError:  # its loop is closed: it is gone
                    self.unsubscribe(subscription)
                    break

    def close(self) -> None:
        """Tell every subscriber to stop (the projections are closing)."""
        self.closed = True
        self.publish([None])


__all__ = ["Change", "Subscription", "Updates"]
