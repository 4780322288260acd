"""What the event-sourced applications share: units of work, batches, retries, snapshots.

A handler (``@decides``) loads aggregates through a :class:`UnitOfWork` and calls their
commands. This module runs it: one message at a time (``handle``) or a batch as one unit
(``handle_batch``: every aggregate loaded once, the messages decided in order, everything
saved in one transaction). A version clash re-runs the decision on fresh copies; a failed
batch falls back to one message at a time, so one bad message never blocks or loses the
others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from helpline.application.emit import Emission, emissions_of
from helpline.application.handlers import (
    BatchResult,
    Decision,
    Emitted,
    decisions_of,
    one_by_one,
)
from helpline.application.ports import Clock, utc_now
from helpline.application.unit_of_work import AggregateCache, StoreGeneration, UnitOfWork
from helpline.catalog import CatalogMessage

A = TypeVar("A", bound=Aggregate)
P = ParamSpec("P")

#: How often a decision is retried on fresh copies after a version clash (docs/architecture.md,
#: "Concurrency").
CONCURRENCY_RETRIES = 8
#: How many aggregates an application keeps between batches (``HELPLINE_AGGREGATE_CACHE``).
DEFAULT_CACHE_SIZE = 10_000


class HelplineApplication(Application[UUID]):
    """An eventsourcing ``Application`` whose handlers decide in units of work and return
    the catalog messages they cause."""

    handlers: ClassVar[dict[type[CatalogMessage], Decision[Any, Any]]] = {}
    emissions: ClassVar[dict[type[Any], Emission[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = decisions_of(cls)
        cls.emissions = emissions_of(cls)

    @classmethod
    def messages_for(cls, event: object, generation: str | None = None) -> list[CatalogMessage]:
        """The catalog messages a stored event of the store ``generation`` publishes (its
        ``@emits`` translation; most events publish none)."""
        emission = cls.emissions.get(type(event))
        return emission(event, generation) if emission is not None else []

    @classmethod
    def emitting_topics(cls) -> list[str]:
        """The topics of the stored events that publish messages (what an outbox relay
        reads)."""
        return [get_topic(event) for event in cls.emissions]

    def __init__(self, env: dict[str, str] | None = None, clock: Clock = utc_now,
                 cache_size: int | None = None) -> None:
        super().__init__(env)
        self.clock = clock
        size = cache_size if cache_size is not None else int(
            self.env.get("HELPLINE_AGGREGATE_CACHE") or DEFAULT_CACHE_SIZE)
        self.cache = AggregateCache(size)
        self._generation: str | None = None

    @property
    def generation(self) -> str:
        """This event store's generation (made on first use, then read from the store)."""
        if self._generation is None:
            found = self.find(StoreGeneration.ID, StoreGeneration)
            if found is None:
                with contextlib.suppress(IntegrityError):  # another process made it first
                    self.save(StoreGeneration.make(uuid4().hex, self.clock()))
                found = self.find(StoreGeneration.ID, StoreGeneration)
            assert found is not None
            self._generation = found.value
        return self._generation

    def find(self, aggregate_id: UUID | str, cls: type[A]) -> A | None:
        """The stored aggregate ``aggregate_id``, or ``None`` if it does not exist."""
        try:
            agg: object = self.repository.get(UUID(str(aggregate_id)))
        except (AggregateNotFoundError, ValueError):
            return None
        if not isinstance(agg, cls):
            return None
        return agg

    # -- handling messages ----------------------------------------------------------------------

    def handle(self, msg: CatalogMessage) -> Emitted:
        """Handle one message in a unit of work of its own; returns the messages caused."""
        return self.run_decision(self.handlers[type(msg)], msg)

    def run_decision(self, decision: Decision[Any, Any], msg: CatalogMessage) -> Emitted:
        """Run one handler for one message (what ``app.<handler>(msg)`` calls)."""
        return self.run(partial(decision.decide, self, msg))

    def handle_batch(self, messages: Sequence[CatalogMessage]) -> BatchResult:
        """Handle ``messages`` in order as one unit of work, saved in one transaction; if
        anything fails (a version clash, a duplicate, a bad message), handle them one by one
        so that only the bad ones fail."""
        if len(messages) > 1:
            uow = UnitOfWork(self, careful=False, clock=self.clock)
            try:
                for msg in messages:
                    self.handlers[type(msg)].decide(self, msg, uow)
                return BatchResult(emitted=self._commit(uow))
            except Exception:  # each message is handled alone below, where errors are kept
                pass
        return one_by_one(self.handle, messages)

    def run(self, decide: Callable[Concatenate[UnitOfWork, P], object], *args: P.args,
            **kwargs: P.kwargs) -> Emitted:
        """Run ``decide(uow, ...)`` in a unit of work and commit it; a version clash runs it
        again on fresh copies. Commands that are not messages (the agent API's) use this."""
        for attempt in range(CONCURRENCY_RETRIES):
            uow = UnitOfWork(self, careful=True, clock=self.clock)
            decide(uow, *args, **kwargs)
            try:
                return self._commit(uow)
            except IntegrityError:
                if attempt == CONCURRENCY_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _commit(self, uow: UnitOfWork) -> Emitted:
        touched = uow.touched()
        recordings = self.save(*touched) if touched else []
        uow.keep()
        return [m for r in recordings for m in self.messages_for(r.domain_event, self.generation)]

    # -- snapshots ------------------------------------------------------------------------------

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot from the aggregate just saved (eventsourcing's default loads it again
        from the store): when one of its new events reaches a multiple of its interval."""
        if not (self.snapshots and self.snapshotting_intervals):
            return
        due: set[UUID] = set()
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate else None
            if interval and event.originator_version % interval == 0:
                due.add(event.originator_id)
        for aggregate_id in due:
            aggregate = processing_event.aggregates[aggregate_id]
            snapshot_class: Any = getattr(type(aggregate), "Snapshot")  # noqa: B009
            self.snapshots.put([snapshot_class.take(aggregate)])
