"""The unit of work: what a batch of messages touches, loaded once and saved together.

A handler loads aggregates through the unit of work, calls their commands and returns; the
unit of work saves every aggregate with new events in **one transaction** (eventsourcing's
``app.save(a, b, c)``), keeps them in the application's cache for the next batch, and the
application turns the stored events into the catalog messages they publish (its ``@emits``
translations, :mod:`helpline.application.emit`).

**Receipts.** A message that must be handled once however late it is redelivered (a
customer's wamid, an agent's answer) is guarded by a *receipt*: a tiny aggregate whose id is
derived from the message's key, created in the same transaction as the decision it guards.
The event store's uniqueness on (aggregate id, version) refuses a second receipt, so a
redelivery cannot be decided twice; this is eventsourcing's index-aggregate pattern, and it
keeps idempotency out of the aggregates' memory. In a batch, receipts are not looked up
first (a redelivery is rare); the commit then fails and the batch is handled message by
message, where each receipt is looked up before the decision.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from helpline.domain.ids import derived_id

A = TypeVar("A", bound=Aggregate)


class Receipt(Aggregate):
    """Proof that the message with ``key`` was handled (created once, never changed)."""

    class Recorded(Aggregate.Created):
        """The message with ``key`` was handled."""

        key: str

    def __init__(self, key: str) -> None:
        self.key = key

    @staticmethod
    def id_for(key: str) -> UUID:
        """The receipt id of a message key."""
        return derived_id("receipt", key)

    @classmethod
    def record(cls, key: str, at: datetime) -> Receipt:
        """A new receipt for ``key``."""
        return cls._create(cls.Recorded, id=cls.id_for(key), timestamp=at, key=key)


class StoreGeneration(Aggregate):
    """The identity of one event store, made once when the store is first used: ids derived
    from aggregates and their events include it, so a rebuilt store or another deployment
    never repeats the ids this one published (see ``Conversation.derive``)."""

    class Made(Aggregate.Created):
        """The store's generation was chosen."""

        value: str

    def __init__(self, value: str) -> None:
        self.value = value

    ID = derived_id("store-generation")

    @classmethod
    def make(cls, value: str, at: datetime) -> StoreGeneration:
        """The generation ``value`` (a random hex string)."""
        return cls._create(cls.Made, id=cls.ID, timestamp=at, value=value)


class AggregateCache:
    """The aggregates of the last batches, so the next batch need not load them again.

    Owned by one unit of work at a time: a unit of work *takes* what it uses out of the
    cache and puts it back only after its commit succeeded, so a failed or abandoned batch
    never leaves a changed-but-unsaved aggregate behind. A copy that another process
    changed in the meantime is harmless: its save meets the version check, fails, and the
    retry loads a fresh copy.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, aggregate_id: UUID) -> Aggregate | None:
        """Remove and return the cached aggregate, if any."""
        with self._lock:
            return self._items.pop(aggregate_id, None)

    def put(self, aggregate: Aggregate) -> None:
        """Keep ``aggregate`` unless a newer copy is kept already (evicting the least
        recently used beyond ``maxsize``)."""
        if self.maxsize <= 0:
            return
        with self._lock:
            kept = self._items.get(aggregate.id)
            if kept is None or kept.version < aggregate.version:
                self._items[aggregate.id] = aggregate
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class Loader(Protocol):
    """What a unit of work needs from its application (``HelplineApplication``)."""

    cache: AggregateCache

    def find(self, aggregate_id: UUID | str, cls: type[A]) -> A | None:
        """The stored aggregate, or ``None``."""
        ...


class UnitOfWork:
    """The aggregates one batch of messages touches (see the module docstring).

    ``careful``: look receipts up before deciding (one message at a time); otherwise a
    duplicate receipt is found by the commit."""

    def __init__(self, loader: Loader, *, careful: bool, clock: Callable[[], datetime]) -> None:
        self.loader = loader
        self.careful = careful
        self.clock = clock
        self._aggregates: dict[UUID, Aggregate] = {}
        self._receipts: dict[UUID, Receipt] = {}

    def get(self, aggregate_id: UUID | str, cls: type[A]) -> A | None:
        """The aggregate ``aggregate_id`` of type ``cls`` (loaded once per unit of work)."""
        try:
            key = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
        except ValueError:
            return None
        found = self._aggregates.get(key)
        if found is None:
            found = self.loader.cache.take(key) or self.loader.find(key, cls)
            if found is None:
                return None
            self._aggregates[key] = found
        return found if isinstance(found, cls) else None

    def add(self, aggregate: A) -> A:
        """A new aggregate to save with the others."""
        self._aggregates[aggregate.id] = aggregate
        return aggregate

    def first_time(self, key: str) -> bool:
        """Whether the message with ``key`` is handled for the first time; if so its
        receipt is saved with this unit of work."""
        receipt_id = Receipt.id_for(key)
        if receipt_id in self._receipts:
            return False
        if self.careful and self.loader.find(receipt_id, Receipt) is not None:
            return False
        self._receipts[receipt_id] = Receipt.record(key, self.clock())
        return True

    def touched(self) -> list[Aggregate]:
        """The aggregates and receipts with new events (what ``commit`` saves)."""
        changed: list[Aggregate] = [a for a in self._aggregates.values() if a.pending_events]
        return [*changed, *self._receipts.values()]

    def keep(self) -> None:
        """After a successful commit: keep the aggregates in the cache for the next batch."""
        for aggregate in self._aggregates.values():
            self.loader.cache.put(aggregate)


__all__ = ["AggregateCache", "Receipt", "StoreGeneration", "UnitOfWork"]
