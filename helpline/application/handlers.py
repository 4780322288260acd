"""How handlers are registered: explicitly, by the catalog message they handle.

Two kinds, one per kind of service:

- ``@decides(Message)`` marks a method ``(self, msg, uow) -> None`` of an event-sourced
  application: it loads aggregates through the unit of work and calls their commands; saving,
  retrying on a version clash and turning events into messages happen around it
  (:class:`~helpline.application.base.HelplineApplication`). Called with the message alone,
  ``app.method(msg)`` runs it in a unit of work of its own and returns the messages it
  caused, so the method is also the library's API.
- ``@handles(Message)`` marks a method ``(self, msg) -> list[CatalogMessage]`` of a
  stateless service (the gateway, the AI agent, the WhatsApp edge).

Each class collects its handlers into ``handlers`` (message class → handler) when it is
defined, so routing never depends on names and mypy sees every handler. A handler may be
registered for a message family (a catalog base class without a ``catalog_id``, such as
``TicketActivity``): it is then the handler of each message of the family in the catalog
(``helpline.catalog.registry.members``), unless the class registers one of its own for that
message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from helpline.application.ports import Clock, utc_now
from helpline.catalog import CatalogMessage
from helpline.catalog.registry import members
from helpline.domain.ids import derived_id

if TYPE_CHECKING:
    from helpline.application.unit_of_work import UnitOfWork

M = TypeVar("M", bound=CatalogMessage)
S = TypeVar("S")

Emitted = list[CatalogMessage]


@dataclass
class BatchResult:
    """What handling a batch gave: the messages caused (in order) and, by position in the
    batch, the messages that failed with their error (the others succeeded)."""

    emitted: list[CatalogMessage] = field(default_factory=list)
    errors: dict[int, BaseException] = field(default_factory=dict)


class Decision(Generic[S, M]):
    """A handler of an event-sourced application (see :func:`decides`)."""

    def __init__(self, message: type[M], decide: Callable[[S, M, UnitOfWork], None]) -> None:
        self.message = message
        self.decide = decide
        self.__doc__ = decide.__doc__
        self.__name__ = decide.__name__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Decision[S, M]: ...

    @overload
    def __get__(self, instance: S, owner: type[Any]) -> Callable[[M], Emitted]: ...

    def __get__(self, instance: S | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        run: Callable[[Decision[S, M], M], Emitted] = instance.run_decision  # type: ignore[attr-defined]

        def handle(msg: M) -> Emitted:
            return run(self, msg)

        handle.__doc__ = self.__doc__
        handle.__name__ = self.__name__
        return handle


def decides(message: type[M]) -> Callable[[Callable[[S, M, UnitOfWork], None]], Decision[S, M]]:
    """Register an event-sourced application's handler of ``message``."""

    def register(decide: Callable[[S, M, UnitOfWork], None]) -> Decision[S, M]:
        return Decision(message, decide)

    return register


F = TypeVar("F", bound=Callable[..., Sequence[CatalogMessage]])


def handles(message: type[CatalogMessage]) -> Callable[[F], F]:
    """Register a stateless service's handler of ``message``."""

    def register(fn: F) -> F:
        fn.__helpline_handles__ = message  # type: ignore[attr-defined]
        return fn

    return register


def registered(cls: type[Any], message_of: Callable[[object], type[CatalogMessage] | None],
               ) -> dict[type[CatalogMessage], Any]:
    """The handlers of a class and its bases by message class (``message_of``: the message
    or family an attribute handles, ``None`` for other attributes). A family's handler
    handles each of its messages; a handler of the message itself comes after it, and wins."""
    found: dict[type[CatalogMessage], Any] = {}
    for base in reversed(cls.__mro__):
        marked = [(m, v) for v in vars(base).values() if (m := message_of(v)) is not None]
        for message, handler in sorted(marked, key=lambda mv: "catalog_id" in vars(mv[0])):
            found.update(dict.fromkeys(members(message), handler))
    return found


def decisions_of(cls: type[Any]) -> dict[type[CatalogMessage], Decision[Any, Any]]:
    """The ``@decides`` handlers of a class and its bases, by message class."""
    return registered(cls, lambda v: v.message if isinstance(v, Decision) else None)


@dataclass(eq=False)
class Service:
    """A stateless service: its ``@handles`` methods, by message class, and the clock its
    messages are dated by (keyword-only, for every service)."""

    handlers: ClassVar[dict[type[CatalogMessage], Callable[..., Sequence[CatalogMessage]]]] = {}

    clock: Clock = field(default=utc_now, kw_only=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = registered(cls, lambda v: getattr(v, "__helpline_handles__", None))

    def handle(self, msg: CatalogMessage) -> Emitted:
        """Handle one message; returns the messages it causes."""
        return list(self.handlers[type(msg)](self, msg))

    def handle_batch(self, messages: Sequence[CatalogMessage]) -> BatchResult:
        """Handle messages in order; a failure fails only its own message."""
        return one_by_one(self.handle, messages)


def caused_by(cause: CatalogMessage, label: str, at: datetime) -> dict[str, Any]:
    """The envelope of the message a service answers ``cause`` with, at ``at``: its id is
    derived from the cause's and ``label``, so a redelivered cause gives the same message
    (JetStream drops the copy)."""
    return {"message_id": derived_id(cause.message_id, label),
            "correlation_id": cause.correlation_id, "causation_id": str(cause.message_id),
            "occurred_at": at}


def one_by_one(handle: Callable[[CatalogMessage], Sequence[CatalogMessage]],
               messages: Sequence[CatalogMessage]) -> BatchResult:
    """Handle ``messages`` one at a time, in order; a failure fails only its own message."""
    result = BatchResult()
    for i, msg in enumerate(messages):
        try:
            result.emitted.extend(handle(msg))
        except Exception as e:
            result.errors[i] = e
    return result


__all__ = ["BatchResult", "Decision", "Service", "caused_by", "decides", "decisions_of", "handles",
           "one_by_one", "registered"]
