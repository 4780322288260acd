"""Emit the catalog's messages: what each stored domain event publishes (the outbox's content).

The producing application declares the translation of each of its events next to its
handlers, with ``@emits(Aggregate.Event)`` on a function ``(event, out) -> [message, ...]``;
:class:`~helpline.application.base.HelplineApplication` collects them into ``emissions``
when the class is defined, the way ``@decides`` handlers are collected. The outbox relay
follows the application's notification log and publishes ``app.messages_for(event,
generation)`` for each stored event (most publish none).

Message ids are derived from the event's aggregate id and version and the store's
generation, so a republished event carries the same ``message_id`` (the ``Nats-Msg-Id``
JetStream de-duplicates on), while another store (rebuilt, or another deployment on the same
NATS) never repeats one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from helpline.catalog import CatalogMessage
from helpline.domain.ids import derived_id

E = TypeVar("E")


def message_id_for(event: Any, index: int = 0, generation: str | None = None) -> UUID:
    """The id of the ``index``-th message emitted by a stored event of the store
    ``generation`` (``None``: the ids of stores older than generations)."""
    scope = [event.originator_id] if generation is None else [event.originator_id, generation]
    return derived_id(*scope, "message", event.originator_version, index)


@dataclass(frozen=True)
class Outbox:
    """What a translation needs besides its event: the store generation, for the ids."""

    event: Any
    generation: str | None

    def envelope(self, correlation_id: object, cause: str | None,
                 index: int = 0) -> dict[str, Any]:
        """The envelope of the ``index``-th message the event emits."""
        return {
            "message_id": message_id_for(self.event, index, self.generation),
            "correlation_id": str(correlation_id),
            "causation_id": cause,
            "occurred_at": self.event.timestamp,
        }


Translate = Callable[[E, Outbox], list[CatalogMessage]]


class Emission(Generic[E]):
    """The translation of one stored event class into catalog messages (see :func:`emits`)."""

    def __init__(self, event: type[E], translate: Translate[E]) -> None:
        self.event = event
        self.translate = translate

    def __call__(self, event: E, generation: str | None) -> list[CatalogMessage]:
        return self.translate(event, Outbox(event, generation))


def emits(event: type[E]) -> Callable[[Translate[E]], Emission[E]]:
    """Declare, in the producing application's class body, what a stored ``event`` publishes."""

    def register(translate: Translate[E]) -> Emission[E]:
        return Emission(event, translate)

    return register


def emissions_of(cls: type[Any]) -> dict[type[Any], Emission[Any]]:
    """The ``@emits`` translations of a class and its bases, by event class."""
    return {value.event: value for base in reversed(cls.__mro__)
            for value in vars(base).values() if isinstance(value, Emission)}


__all__ = ["Emission", "Outbox", "emissions_of", "emits", "message_id_for"]
