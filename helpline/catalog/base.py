"""The envelope every catalog message carries, and its catalog metadata."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime

from helpline.catalog.types import ConversationId, Frozen, Id

MessageKind = Literal["event", "command", "query", "reply"]

#: The five services of the seed flow.
SERVICES: tuple[str, ...] = ("ms-whatsapp", "ms-gateway", "ms-conv-store", "ms-rag", "ms-agents")
#: The catalog's release: the version EventCatalog gives the domain, its channels, services
#: and flows, and each message until its payload changes (its own ``catalog_version``).
CATALOG_VERSION = "0.0.1"
#: The catalog version of each service (EventCatalog's ``version``; the flows name it).
SERVICE_VERSION = CATALOG_VERSION

SUBJECT_PREFIX = "helpline"


@dataclass(frozen=True)
class Route:
    """How a message travels: its kind, the service that produces it and the services that
    consume it (a row of the README's table of messages)."""

    kind: MessageKind
    producer: str
    consumers: tuple[str, ...]


@dataclass(frozen=True)
class About:
    """What the catalog calls a message: its seed id, its title and a one-line summary."""

    catalog_id: str
    title: str
    summary: str


class CatalogMessage(Frozen):
    """Base of every message in the catalog.

    A message states its catalog facts in two values: :attr:`about` (its seed id, title and
    summary) and :attr:`route` (its kind, producer and consumers; a family base usually sets
    it for its members). Each is spread over the class variables callers read
    (``catalog_id``, ``title``, ``summary``; ``kind``, ``producer``, ``consumers``). It also
    sets its :attr:`example`, and ``in_seed = False`` when the seed flow does not draw it.
    The instance fields are the envelope (below) plus the message's own payload.
    """

    about: ClassVar[About]
    route: ClassVar[Route]
    catalog_id: ClassVar[str]
    catalog_version: ClassVar[str] = CATALOG_VERSION
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
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Spread the class's own :attr:`about` and :attr:`route` over its class variables.

        Only a class that names ``about`` itself gets a ``catalog_id`` (so a family base is
        not a message, ``registry.members``)."""
        super().__pydantic_init_subclass__(**kwargs)
        own = vars(cls)
        if "about" in own:
            cls.catalog_id, cls.title, cls.summary = (
                cls.about.catalog_id, cls.about.title, cls.about.summary)
        if "route" in own:
            cls.kind, cls.producer, cls.consumers = (
                cls.route.kind, cls.route.producer, cls.route.consumers)

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


class InReplyToCustomerMessage(CatalogMessage):
    """A family base: a message about one message of the customer's, ``in_reply_to`` (the
    requests to answer it, the AI agent's answer). Not a message itself."""

    conversation_id: ConversationId
    in_reply_to: Id
    """The customer's message it is about (its WhatsApp id, the wamid): the request to answer
    it names it, and so does the answer. ms-conv-store keeps one pending answer per message
    and ms-agents forwards each to the agent once; ms-rag answers every delivery, and its
    answer's derived ``message_id`` makes a repeat a duplicate."""
