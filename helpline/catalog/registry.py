"""The catalog as data: every message class, looked up by catalog id or subject.

Nothing here lists messages by hand: :data:`MESSAGES` is every class of the message modules
below that names a ``catalog_id`` of its own, in the order the modules define them. A new
message is a new class in its producer's module (a new producer's module is added to
:data:`MESSAGE_MODULES` and star-imported by ``helpline.catalog``). A base class without a
``catalog_id`` of its own is not a message; a handler registered for it handles each of its
messages (:func:`members`).
"""

from __future__ import annotations

from types import ModuleType

from helpline.catalog import agents, conv_store, delivery, inbound, rag, templates
from helpline.catalog.base import CatalogMessage

#: The modules that define the catalog's messages, one per producer, along the seed flow.
MESSAGE_MODULES: tuple[ModuleType, ...] = (inbound, conv_store, rag, agents, delivery,
                                            templates)


def _defined_in(module: ModuleType) -> list[type[CatalogMessage]]:
    return [value for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, CatalogMessage)
            and value.__module__ == module.__name__ and "catalog_id" in vars(value)]


#: Every message of the catalog: by producer, along the flow.
MESSAGES: tuple[type[CatalogMessage], ...] = tuple(
    cls for module in MESSAGE_MODULES for cls in _defined_in(module))

_BY_ID: dict[str, type[CatalogMessage]] = {m.catalog_id: m for m in MESSAGES}
_BY_SUBJECT: dict[str, type[CatalogMessage]] = {m.subject(): m for m in MESSAGES}


def members(family: type[CatalogMessage]) -> tuple[type[CatalogMessage], ...]:
    """The messages ``family`` stands for: itself, when it is a message (it names a
    ``catalog_id`` of its own); else every message of :data:`MESSAGES` that subclasses it (a
    message family, such as ``TicketActivity``, handled by one handler)."""
    if "catalog_id" in vars(family):
        return (family,)
    return tuple(m for m in MESSAGES if issubclass(m, family))


class UnknownMessageError(LookupError):
    """No catalog message has the given id or subject."""


def message_class(catalog_id: str) -> type[CatalogMessage]:
    """The message class with the given catalog id."""
    try:
        return _BY_ID[catalog_id]
    except KeyError:
        raise UnknownMessageError(f"no catalog message with id {catalog_id!r}") from None


def message_class_for_subject(subject: str) -> type[CatalogMessage]:
    """The message class published on the given NATS subject."""
    try:
        return _BY_SUBJECT[subject]
    except KeyError:
        raise UnknownMessageError(f"no catalog message on subject {subject!r}") from None


def parse_message(subject: str, data: bytes | str) -> CatalogMessage:
    """Validate wire data received on ``subject`` into its catalog message."""
    return message_class_for_subject(subject).model_validate_json(data)
