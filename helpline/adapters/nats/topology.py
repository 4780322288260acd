"""Streams, subjects and consumer names: where each catalog message travels on NATS."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from helpline.catalog import CatalogMessage
from helpline.catalog.base import SUBJECT_PREFIX
from helpline.config import Settings

#: The largest message a stream takes (NATS's default max payload is 1 MiB; the catalog's
#: messages are bounded well under it, see ``ConversationDocument``).
MAX_MESSAGE_BYTES = 1024 * 1024

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


@dataclass(frozen=True)
class Topology:
    """Subject prefix and stream names. Tests use their own prefix so that they never share
    streams with a running deployment on the same NATS server."""

    prefix: str = SUBJECT_PREFIX
    duplicate_window_s: float = 600.0
    """How long JetStream remembers a ``Nats-Msg-Id`` (covers a relay restart)."""
    replicas: int = 1
    max_messages: int = 10_000_000
    """The most messages the message stream keeps (the oldest go first)."""
    max_bytes: int = 0
    """The most bytes it keeps (0: no limit; NATS reserves the disk for a limit)."""
    max_age_s: float = 7 * 24 * 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Topology:
        """The deployment's topology (prefix, replicas, limits)."""
        return cls(prefix=settings.helpline_subject_prefix,
                   replicas=settings.helpline_stream_replicas,
                   max_messages=settings.helpline_stream_max_messages,
                   max_bytes=settings.helpline_stream_max_bytes,
                   max_age_s=settings.helpline_stream_max_age_days * 24 * 3600)

    def __post_init__(self) -> None:
        if not _NAME.match(self.prefix):
            raise ValueError(f"subject prefix {self.prefix!r} must match {_NAME.pattern}")

    @property
    def stream(self) -> str:
        """The stream of all commands and events (never queries)."""
        return self.prefix.upper().replace("-", "_")

    @property
    def dlq_stream(self) -> str:
        """The stream of dead-lettered messages."""
        return f"{self.stream}_DLQ"

    def subject(self, cls: type[CatalogMessage]) -> str:
        """The subject of a catalog message under this prefix."""
        return self.prefix + cls.subject().removeprefix(SUBJECT_PREFIX)

    def durable(self, service: str, cls: type[CatalogMessage]) -> str:
        """The durable consumer a service reads a message with (shared by its replicas)."""
        return f"{service}--{cls.catalog_id}"

    def dlq_subject(self, service: str, cls: type[CatalogMessage]) -> str:
        """Where a service puts a message it gave up on."""
        return f"dlq.{self.prefix}.{service}.{cls.catalog_id}"

    def stream_configs(self) -> list[StreamConfig]:
        """The JetStream streams to create (idempotent)."""
        def stream(name: str, subjects: list[str], max_age_s: float) -> StreamConfig:
            return StreamConfig(
                name=name, subjects=subjects, storage=StorageType.FILE,
                num_replicas=self.replicas, retention=RetentionPolicy.LIMITS,
                discard=DiscardPolicy.OLD, duplicate_window=self.duplicate_window_s,
                max_age=max_age_s, max_msgs=self.max_messages,
                max_bytes=self.max_bytes or -1, max_msg_size=MAX_MESSAGE_BYTES)

        return [
            stream(self.stream, [f"{self.prefix}.*.event.>", f"{self.prefix}.*.command.>"],
                   self.max_age_s),
            stream(self.dlq_stream, [f"dlq.{self.prefix}.>"],
                   max(self.max_age_s, 30 * 24 * 3600.0)),
        ]
