"""Ports: what the applications need from the outside world (adapters implement them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from helpline.catalog import (
    CustomerInfo,
    SendWhatsAppBusinessTemplateMessage,
    SendWhatsAppBusinessTextMessage,
    Turn,
)


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


class Clock(Protocol):
    """Where applications read the time (the domain never does)."""

    def __call__(self) -> datetime: ...


@runtime_checkable
class CustomerDirectory(Protocol):
    """The customer registry ms-gateway looks senders up in."""

    def find_by_phone(self, phone: str) -> CustomerInfo | None:
        """The customer registered with the E.164 ``phone``, if any."""
        ...

    def upsert(self, customer: CustomerInfo) -> None:
        """Register or update a customer (keyed by phone)."""
        ...

    def upsert_many(self, customers: Iterable[CustomerInfo]) -> int:
        """Register or update ``customers`` at once (all or none); returns how many."""
        ...

    def ping(self) -> bool:
        """Whether the registry answers (raises or returns ``False`` when it does not)."""
        ...

    def close(self) -> None:
        """Release the registry's connections (nothing to do for one in memory)."""
        ...


@dataclass(frozen=True)
class Answer:
    """What the AI agent answers; ``open_ticket`` hands the conversation to a human."""

    text: str
    open_ticket: bool = False
    reason: str | None = None
    sources: tuple[str, ...] = ()
    confidence: float = 0.0


@runtime_checkable
class Answerer(Protocol):
    """The AI agent (ms-rag): answers a customer's question."""

    def answer(
        self, question: str, history: Sequence[Turn], customer: CustomerInfo | None
    ) -> Answer:
        """Answer ``question`` given the recent ``history`` and who the customer is."""
        ...

    def close(self) -> None:
        """Release what the answerer holds (an LLM client); nothing to do for most."""
        ...


@runtime_checkable
class Reloadable(Protocol):
    """An adapter that picks up edits of its source while it runs (the knowledge base)."""

    def reload_if_changed(self) -> bool:
        """Reload if the source changed since the last load; ``True`` if it did."""
        ...


@dataclass(frozen=True)
class SendResult:
    """Meta's ids (wamids) for the message(s) a send produced."""

    wamids: tuple[str, ...]


class PermanentSendError(Exception):
    """The Graph API refused a message for good (no retry can help)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"{code}: {reason}" if code is not None else reason)
        self.code = code
        self.reason = reason


@runtime_checkable
@runtime_checkable
class TemplateSender(Protocol):
    """Sends an approved template through WhatsApp (a sender that can, in process)."""

    def send_template(self, command: SendWhatsAppBusinessTemplateMessage) -> SendResult:
        """Send the command's template; raise ``PermanentSendError`` when Meta refuses it."""
        ...


class WhatsAppSender(Protocol):
    """Sends a text through WhatsApp (ms-whatsapp's Graph API client)."""

    def send(self, command: SendWhatsAppBusinessTextMessage) -> SendResult:
        """Send the command's text; raise ``PermanentSendError`` when Meta refuses it."""
        ...

