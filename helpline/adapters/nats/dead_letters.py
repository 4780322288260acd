"""The dead letters: messages a service gave up on, kept in the ``<STREAM>_DLQ`` stream with
headers that say who gave up, after how many deliveries and why. Operators list and inspect
them, fix the cause, and replay them onto the subject they came from (the consumers are
idempotent, so a replay of something that did get through changes nothing).

``helpline dlq …`` and the admin API (``/api/v1/admin/dead-letters``) both use this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from helpline.adapters.nats.topology import Topology


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message."""

    seq: int
    at: str | None
    """When it was dead-lettered (ISO 8601, as NATS reports it)."""
    service: str
    subject: str
    """The subject it came from (where a replay puts it back)."""
    catalog_id: str
    deliveries: int
    error: str
    body: bytes

    def summary(self) -> dict[str, Any]:
        """The dead letter without its body (a listing's line)."""
        return {"seq": self.seq, "at": self.at,
                "service": self.service, "message": self.catalog_id,
                "deliveries": self.deliveries, "error": self.error,
                "conversation_id": self.conversation_id}

    @property
    def conversation_id(self) -> str | None:
        """The conversation the message belongs to, if its body says."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        found = data.get("conversation_id") or data.get("correlation_id") if isinstance(
            data, dict) else None
        return str(found) if found else None

    def detail(self) -> dict[str, Any]:
        """Everything, the body parsed when it is JSON."""
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body.decode("utf-8", "replace")
        return {**self.summary(), "subject": self.subject, "body": body}


class UnknownDeadLetterError(LookupError):
    """No dead letter with that sequence number."""


class DeadLetters:
    """List, inspect and replay the dead letters of one deployment (topology)."""

    def __init__(self, js: JetStreamContext, topology: Topology) -> None:
        self.js = js
        self.topology = topology

    async def counts(self) -> dict[tuple[str, str], int]:
        """How many dead letters each (service, message) has: from the stream itself, so the
        figure survives restarts."""
        try:
            info = await self.js.stream_info(self.topology.dlq_stream, subjects_filter=">")
        except NotFoundError:
            return {}
        out: dict[tuple[str, str], int] = {}
        for subject, n in (info.state.subjects or {}).items():
            service, catalog_id = subject.split(".")[-2:]
            out[(service, catalog_id)] = out.get((service, catalog_id), 0) + n
        return out

    async def oldest(self, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead letters, up to ``limit``."""
        found: list[DeadLetter] = []
        seq = 0
        while len(found) < limit:
            letter = await self._next(seq + 1)
            if letter is None:
                break
            found.append(letter)
            seq = letter.seq
        return found

    async def get(self, seq: int) -> DeadLetter:
        """The dead letter ``seq`` (raises :class:`UnknownDeadLetterError`)."""
        try:
            raw = await self.js.get_msg(self.topology.dlq_stream, seq)
        except NotFoundError:
            raise UnknownDeadLetterError(f"no dead letter {seq}") from None
        return _letter(raw)

    async def replay(self, seq: int) -> DeadLetter:
        """Put the dead letter back on its subject, then remove it from the dead letters.
        A second replay of the same letter is dropped by JetStream's duplicate window."""
        letter = await self.get(seq)
        await self.js.publish(letter.subject, letter.body, stream=self.topology.stream,
                              headers={"Nats-Msg-Id": f"replay:{self.topology.dlq_stream}:"
                                                      f"{seq}",
                                       "Helpline-Replayed-From": str(seq)})
        await self.js.delete_msg(self.topology.dlq_stream, seq)
        return letter

    async def replay_all(self) -> list[DeadLetter]:
        """Replay every dead letter, oldest first."""
        replayed = []
        while letters := await self.oldest(100):
            for letter in letters:
                replayed.append(await self.replay(letter.seq))
        return replayed

    async def _next(self, seq: int) -> DeadLetter | None:
        try:
            raw = await self.js.get_msg(self.topology.dlq_stream, seq, next=True,
                                        subject=f"dlq.{self.topology.prefix}.>")
        except NotFoundError:
            return None
        return _letter(raw)


def _letter(raw: Any) -> DeadLetter:
    headers = raw.headers or {}
    subject = headers.get("Helpline-Subject", "")
    return DeadLetter(
        seq=int(raw.seq), at=getattr(raw, "time", None), service=headers.get(
            "Helpline-Service", raw.subject.split(".")[-2]),
        subject=subject, catalog_id=raw.subject.split(".")[-1],
        deliveries=int(headers.get("Helpline-Deliveries", "0") or 0),
        error=headers.get("Helpline-Error", ""), body=bytes(raw.data or b""))
