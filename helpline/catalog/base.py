"""The envelope every catalog message carries, and its catalog metadata."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime

from helpline.catalog.types import Frozen, Id

MessageKind = Literal["event", "command", "query", "reply"]

#: The five services of the seed flow.
SERVICES: tuple[str, ...] = ("ms-whatsapp", "ms-gateway", "ms-conv-store", "ms-rag", "ms-agents")
#: The catalog version of each service (EventCatalog's ``version``; the flows name it).
SERVICE_VERSION = "0.0.1"

SUBJECT_PREFIX = "helpline"


class CatalogMessage(Frozen):
    """Base of every message in the catalog.

    Subclasses set the class variables that describe the message in the catalog: its seed id
    and version, its kind, the service that produces it and the services that consume it.
    The instance fields are the envelope (below) plus the message's own payload.
    """

    catalog_id: ClassVar[str]
    catalog_version: ClassVar[str] = "0.0.1"
    kind: ClassVar[MessageKind]
    title: ClassVar[str]
    summary: ClassVar[str]
    producer: ClassVar[str]
    consumers: ClassVar[tuple[str, ...]]
    in_seed: ClassVar[bool] = True
    example: ClassVar[dict[str, Any]]

    message_id: UUID
    """Unique per emission; deterministic when derived from a stored event; the `Nats-Msg-Id`."""
    correlation_id: Id
    """The conversation this message belongs to."""
    causation_id: str | None = None
    """The ``message_id`` of the message that caused this one (``None`` for the first)."""
    occurred_at: AwareDatetime
    """When the fact happened (events) or the request was made (commands, queries)."""

    @classmethod
    def subject(cls) -> str:
        """The NATS subject: ``helpline.<owner-service>.<kind>.<catalog-id>``."""
        if cls.kind in ("query", "reply"):
            # A query lives under the service that answers it; its reply goes to the inbox of
            # the request, so this subject only names it in the catalog.
            responder = cls.consumers[0] if cls.kind == "query" else cls.producer
            return f"{SUBJECT_PREFIX}.{responder}.query.{cls.catalog_id}"
        return f"{SUBJECT_PREFIX}.{cls.producer}.{cls.kind}.{cls.catalog_id}"

    @classmethod
    def from_example(cls) -> Self:
        """Build the message from its catalog example (validated like any input)."""
        return cls.model_validate(cls.example)

    def to_json(self) -> bytes:
        """The wire form: JSON bytes."""
        return self.model_dump_json().encode()
