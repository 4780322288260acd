"""What each service consumes from the stream: the routing table the in-process runner and
the NATS runtime both follow, derived from the catalog (each message's ``consumers``)."""

from __future__ import annotations

from helpline.catalog import CatalogMessage
from helpline.catalog.base import SERVICES
from helpline.catalog.registry import MESSAGES


def subscriptions(service: str) -> tuple[type[CatalogMessage], ...]:
    """The events and commands ``service`` consumes from the stream, in the catalog's
    order (queries and their replies travel by request/reply instead)."""
    return tuple(m for m in MESSAGES
                 if service in m.consumers and m.kind in ("event", "command"))


#: What each service consumes from the stream (derived from the catalog).
SUBSCRIPTIONS: dict[str, tuple[type[CatalogMessage], ...]] = {
    service: subscriptions(service) for service in SERVICES}
