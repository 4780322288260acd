"""What the event-sourced applications share: load-decide-save with concurrency retries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from helpline.application.ports import Clock, utc_now
from helpline.catalog import CatalogMessage
from helpline.domain.emit import messages_for

A = TypeVar("A", bound=Aggregate)

#: How often a command is retried on a fresh copy after a version clash (ARCHITECTURE rule 3).
CONCURRENCY_RETRIES = 8


class HelplineApplication(Application[UUID]):
    """An eventsourcing ``Application`` whose commands return the catalog messages they cause."""

    def __init__(self, env: dict[str, str] | None = None, clock: Clock = utc_now) -> None:
        super().__init__(env)
        self.clock = clock

    def find(self, aggregate_id: UUID | str, cls: type[A]) -> A | None:
        """The aggregate ``aggregate_id``, or ``None`` if it does not exist."""
        try:
            agg: object = self.repository.get(UUID(str(aggregate_id)))
        except (AggregateNotFoundError, ValueError):
            return None
        if not isinstance(agg, cls):
            return None
        return agg

    def decide(self, decision: Callable[[], Sequence[Any]]) -> list[CatalogMessage]:
        """Run ``decision`` (which loads aggregates and calls their commands, returning the
        aggregates it touched), save them in one transaction and return the catalog messages
        of the new events. A version clash re-runs the decision on fresh copies."""
        for attempt in range(CONCURRENCY_RETRIES):
            aggregates = [a for a in decision() if a is not None]
            pending = [e for a in aggregates for e in a.pending_events]
            if not pending:
                return []
            try:
                self.save(*aggregates)
            except IntegrityError:
                if attempt == CONCURRENCY_RETRIES - 1:
                    raise
                continue
            return [m for e in pending for m in messages_for(e)]
        raise AssertionError("unreachable")  # pragma: no cover
