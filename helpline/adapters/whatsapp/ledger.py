"""The persistent send ledger of ms-whatsapp: what each send command already did.

Keyed by the command's ``message_id``. Each piece of a split text is *claimed* before its
Graph API call and *completed* with Meta's wamid after it, and the command's final outcome is
recorded, so a redelivered command finds either its outcome, or the pieces already sent, or a
claim that tells it another delivery is (or was) calling Meta right now. Three stores: in
memory (tests), SQLite (the embedded default) and PostgreSQL (psycopg 3).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from helpline.adapters.sql import AsyncDatabase, AsyncPostgresDatabase, SqliteDatabase
from helpline.application.ports import PermanentSendError, SendResult

Outcome = SendResult | PermanentSendError

_PARTS = """CREATE TABLE IF NOT EXISTS whatsapp_send_parts (
  command_id TEXT NOT NULL, part INTEGER NOT NULL, claimed_at DOUBLE PRECISION NOT NULL,
  wamid TEXT, PRIMARY KEY (command_id, part))"""
_OUTCOMES = """CREATE TABLE IF NOT EXISTS whatsapp_send_outcomes (
  command_id TEXT PRIMARY KEY, wamids TEXT, code INTEGER, reason TEXT)"""


class ClaimState(Enum):
    """What :meth:`SendLedgerStore.claim_part` found."""

    CLAIMED = "claimed"  # it is ours: call the Graph API
    DONE = "done"  # sent before: here is its wamid
    BUSY = "busy"  # another delivery claimed it less than a lease ago
    STALE = "stale"  # claimed long ago and never completed: the outcome is unknown


@dataclass(frozen=True)
class Claim:
    """The state of one piece, and its wamid when it was sent."""

    state: ClaimState
    wamid: str | None = None


class SendLedgerStore(Protocol):
    """Where ms-whatsapp remembers sends (implemented in memory, SQLite, PostgreSQL)."""

    async def outcomes(self, command_ids: Sequence[str]) -> dict[str, Outcome]:
        """The recorded outcomes of those of ``command_ids`` that have one."""
        ...

    async def claim_part(self, command_id: str, part: int, now: float, lease: float) -> Claim:
        """Claim piece ``part`` at ``now`` (epoch seconds), or say why it cannot be claimed."""
        ...

    async def complete_part(self, command_id: str, part: int, wamid: str) -> None:
        """Record Meta's wamid for a claimed piece."""
        ...

    async def release_part(self, command_id: str, part: int) -> None:
        """Drop a claim whose call certainly failed, so a redelivery may try again."""
        ...

    async def settle_part(self, command_id: str, part: int, wamid: str) -> bool:
        """A status webhook said piece ``part`` was sent as ``wamid``: complete its claim if
        it is still open. ``True`` if it was."""
        ...

    async def reclaim_part(self, command_id: str, part: int, now: float, lease: float) -> bool:
        """Take over a claim older than ``lease`` that was never completed (no status came
        for it): ``True`` if this caller got it (it may send the piece again)."""
        ...

    async def record_outcomes(self, outcomes: dict[str, Outcome]) -> dict[str, Outcome]:
        """Record final outcomes in one transaction (for each command the first one recorded
        wins); returns the outcomes as recorded."""
        ...

    async def ping(self) -> bool:
        """Whether the ledger's store answers."""
        ...


def _claim_from_row(claimed_at: float, wamid: str | None, now: float, lease: float) -> Claim:
    if wamid is not None:
        return Claim(ClaimState.DONE, wamid)
    return Claim(ClaimState.BUSY if now - claimed_at < lease else ClaimState.STALE)


def _outcome_from_row(wamids: str | None, code: int | None, reason: str | None) -> Outcome:
    if wamids is not None:
        return SendResult(tuple(json.loads(wamids)))
    return PermanentSendError(code, reason or "")


def _outcome_to_row(outcome: Outcome) -> tuple[str | None, int | None, str | None]:
    if isinstance(outcome, SendResult):
        return json.dumps(list(outcome.wamids)), None, None
    return None, outcome.code, outcome.reason


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) else None


class MemorySendLedger:
    """A :class:`SendLedgerStore` in a dict (tests, in-process runs)."""

    def __init__(self) -> None:
        self.parts: dict[tuple[str, int], tuple[float, str | None]] = {}
        self.recorded: dict[str, Outcome] = {}

    async def outcomes(self, command_ids: Sequence[str]) -> dict[str, Outcome]:
        """See :class:`SendLedgerStore`."""
        return {k: self.recorded[k] for k in command_ids if k in self.recorded}

    async def claim_part(self, command_id: str, part: int, now: float, lease: float) -> Claim:
        """See :class:`SendLedgerStore`."""
        row = self.parts.get((command_id, part))
        if row is None:
            self.parts[(command_id, part)] = (now, None)
            return Claim(ClaimState.CLAIMED)
        return _claim_from_row(row[0], row[1], now, lease)

    async def complete_part(self, command_id: str, part: int, wamid: str) -> None:
        """See :class:`SendLedgerStore`."""
        self.parts[(command_id, part)] = (self.parts[(command_id, part)][0], wamid)

    async def release_part(self, command_id: str, part: int) -> None:
        """See :class:`SendLedgerStore`."""
        row = self.parts.get((command_id, part))
        if row is not None and row[1] is None:
            del self.parts[(command_id, part)]

    async def settle_part(self, command_id: str, part: int, wamid: str) -> bool:
        """See :class:`SendLedgerStore`."""
        row = self.parts.get((command_id, part))
        if row is None or row[1] is not None:
            return False
        self.parts[(command_id, part)] = (row[0], wamid)
        return True

    async def reclaim_part(self, command_id: str, part: int, now: float, lease: float) -> bool:
        """See :class:`SendLedgerStore`."""
        row = self.parts.get((command_id, part))
        if row is None or row[1] is not None or now - row[0] < lease:
            return False
        self.parts[(command_id, part)] = (now, None)
        return True

    async def record_outcomes(self, outcomes: dict[str, Outcome]) -> dict[str, Outcome]:
        """See :class:`SendLedgerStore`."""
        return {k: self.recorded.setdefault(k, o) for k, o in outcomes.items()}

    async def ping(self) -> bool:
        """Always reachable."""
        return True


class SqlSendLedger:
    """A :class:`SendLedgerStore` in SQL tables, written once for SQLite and PostgreSQL."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db

    async def ping(self) -> bool:
        """Whether the ledger's database answers."""
        await self._db.arun("SELECT 1")
        return True

    async def outcomes(self, command_ids: Sequence[str]) -> dict[str, Outcome]:
        """See :class:`SendLedgerStore`."""
        found: dict[str, Outcome] = {}
        for start in range(0, len(command_ids), 500):
            chunk = tuple(command_ids[start:start + 500])
            _, rows = await self._db.arun(
                "SELECT command_id, wamids, code, reason FROM whatsapp_send_outcomes "
                f"WHERE command_id IN ({', '.join('?' * len(chunk))})", chunk)
            for command_id, wamids, code, reason in rows:
                found[str(command_id)] = _outcome_from_row(_opt_str(wamids), _opt_int(code),
                                                           _opt_str(reason))
        return found

    async def claim_part(self, command_id: str, part: int, now: float, lease: float) -> Claim:
        """See :class:`SendLedgerStore`."""
        inserted, _ = await self._db.arun(
            "INSERT INTO whatsapp_send_parts (command_id, part, claimed_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING", (command_id, part, now))
        if inserted == 1:
            return Claim(ClaimState.CLAIMED)
        _, rows = await self._db.arun("SELECT claimed_at, wamid FROM whatsapp_send_parts "
                                      "WHERE command_id = ? AND part = ?", (command_id, part))
        claimed_at, wamid = rows[0]
        assert isinstance(claimed_at, float | int)
        return _claim_from_row(float(claimed_at), _opt_str(wamid), now, lease)

    async def complete_part(self, command_id: str, part: int, wamid: str) -> None:
        """See :class:`SendLedgerStore`."""
        await self._db.arun("UPDATE whatsapp_send_parts SET wamid = ? WHERE command_id = ? "
                            "AND part = ?", (wamid, command_id, part))

    async def release_part(self, command_id: str, part: int) -> None:
        """See :class:`SendLedgerStore`."""
        await self._db.arun("DELETE FROM whatsapp_send_parts WHERE command_id = ? AND part = ? "
                            "AND wamid IS NULL", (command_id, part))

    async def settle_part(self, command_id: str, part: int, wamid: str) -> bool:
        """See :class:`SendLedgerStore`."""
        changed, _ = await self._db.arun(
            "UPDATE whatsapp_send_parts SET wamid = ? WHERE command_id = ? AND part = ? "
            "AND wamid IS NULL", (wamid, command_id, part))
        return changed == 1

    async def reclaim_part(self, command_id: str, part: int, now: float, lease: float) -> bool:
        """See :class:`SendLedgerStore`."""
        changed, _ = await self._db.arun(
            "UPDATE whatsapp_send_parts SET claimed_at = ? WHERE command_id = ? AND part = ? "
            "AND wamid IS NULL AND claimed_at <= ?", (now, command_id, part, now - lease))
        return changed == 1

    async def record_outcomes(self, outcomes: dict[str, Outcome]) -> dict[str, Outcome]:
        """See :class:`SendLedgerStore`."""
        await self._db.arun_many(
            "INSERT INTO whatsapp_send_outcomes (command_id, wamids, code, reason) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(k, *_outcome_to_row(o)) for k, o in outcomes.items()])
        return await self.outcomes(list(outcomes))


class SqliteSendLedger(SqlSendLedger):
    """A :class:`SendLedgerStore` in a SQLite file (calls run in a worker thread)."""

    def __init__(self, path: Path | str, synchronous: str = "NORMAL") -> None:
        self._file = SqliteDatabase(path, synchronous=synchronous, timeout=10)
        self._file.run(_PARTS)
        self._file.run(_OUTCOMES)
        super().__init__(self._file)

    def close(self) -> None:
        """Close the database connection."""
        self._file.close()


class PostgresSendLedger(SqlSendLedger):
    """A :class:`SendLedgerStore` in PostgreSQL (psycopg 3, async), over a small pool that
    replaces a connection PostgreSQL dropped (a restart) before handing it out, and gives up
    waiting for one after ``wait_s`` seconds (the caller retries the command later)."""

    def __init__(self, db: AsyncPostgresDatabase) -> None:
        super().__init__(db)
        self._postgres = db

    @classmethod
    async def connect(cls, conninfo: str, *, wait_s: float = 5.0) -> PostgresSendLedger:
        """Connect and create the ledger's tables if they are missing."""
        db = await AsyncPostgresDatabase.connect(conninfo, wait_s=wait_s)
        await db.arun(_PARTS)
        await db.arun(_OUTCOMES)
        return cls(db)

    async def aclose(self) -> None:
        """Close the pool."""
        await self._postgres.aclose()
