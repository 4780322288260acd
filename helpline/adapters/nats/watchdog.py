"""Keeping a process's consumers and relays running.

A consumer or relay that ends (an error nothing expected) or stops making progress (a call
stuck on a connection a NATS failover took away) would stop replies without a word while the
process looks alive. The watchdog restarts such a worker: its unacked messages come back
(handlers are idempotent), a relay resumes from its tracked position. ``/healthz`` is 503
while a worker is down, and ``helpline_worker_restarts_total`` counts the restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("helpline.watchdog")

#: Starts a worker: subscribes if need be and returns its running task.
Starter = Callable[[], Awaitable["asyncio.Task[None]"]]


class Progressing(Protocol):
    """A worker that says when it last made progress."""

    progress_at: float
    """``time.monotonic()`` of its last step."""


@dataclass
class _Worker:
    name: str
    start: Starter
    worker: Progressing
    task: asyncio.Task[None] | None = None
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class Watchdog:
    """Restarts workers that ended or made no progress for ``stall_s`` seconds."""

    stall_s: float = 120.0
    interval_s: float = 5.0
    restarts: dict[str, int] = field(default_factory=dict)
    _workers: list[_Worker] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def add(self, name: str, start: Starter, worker_: Progressing) -> None:
        """Start a worker and watch it from now on."""
        worker = _Worker(name, start, worker_)
        worker.task = await start()
        self._workers.append(worker)
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="watchdog")

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        """The workers' current tasks."""
        return [w.task for w in self._workers if w.task is not None]

    def healthy(self) -> bool:
        """Whether every worker runs and made progress within ``stall_s``."""
        return all(self._trouble(w) is None for w in self._workers)

    def _trouble(self, worker: _Worker) -> str | None:
        task = worker.task
        if task is None or task.done():
            error = None if task is None or task.cancelled() else task.exception()
            return f"ended ({error!r})" if error is not None else "ended"
        idle = time.monotonic() - max(worker.worker.progress_at, worker.started_at)
        if idle > self.stall_s:
            return f"made no progress for {idle:.0f} s"
        return None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            for worker in self._workers:
                trouble = self._trouble(worker)
                if trouble is not None:
                    await self._restart(worker, trouble)

    async def _restart(self, worker: _Worker, trouble: str) -> None:
        log.error("%s %s: restarting it", worker.name, trouble)
        if worker.task is not None and not worker.task.done():
            worker.task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(worker.task, 5.0)
        try:
            worker.task = await worker.start()
            worker.started_at = time.monotonic()
        except Exception as e:  # NATS away: the next round tries again
            log.error("%s could not be restarted (%r); trying again", worker.name, e)
            return
        self.restarts[worker.name] = self.restarts.get(worker.name, 0) + 1

    async def stop(self) -> None:
        """Stop watching (the workers are stopped by their owner)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
