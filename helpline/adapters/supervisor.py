"""``helpline up`` on every core: some services run in child processes, supervised.

Python runs one thread of Python at a time per process, so the services that do the most
work each get a process of their own (``helpline serve … `` with ``HELPLINE_SUPERVISED=1``:
no public HTTP, only ``/healthz`` and ``/metrics`` on a loopback port). The parent keeps the
HTTP edge (webhook, agent API, console) and the rest. A child that exits is logged and
started again after a growing pause; the parent's ``/healthz`` is 503, naming the child,
until it is back; ``/metrics`` adds the children's counters up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

log = logging.getLogger("helpline.supervisor")

#: The child process groups of ``helpline up`` by default, by the number of cores: as many
#: processes as cores, up to four. The parent keeps the HTTP edge and ms-agents (its API
#: writes to the same store as its consumers); the heaviest writer (ms-conv-store) is the
#: first to get a process of its own. Measured on 2 cores (README): one child beat three,
#: which spent the cores on contention.
DEFAULT_GROUPS: dict[int, tuple[tuple[str, ...], ...]] = {
    1: (),
    2: (("ms-conv-store", "ms-rag", "ms-gateway", "ms-whatsapp"),),
    3: (("ms-conv-store",), ("ms-rag", "ms-gateway", "ms-whatsapp")),
    4: (("ms-conv-store",), ("ms-rag", "ms-gateway"), ("ms-whatsapp",)),
}

#: Environment variable that tells ``helpline serve`` it runs under ``helpline up``.
SUPERVISED = "HELPLINE_SUPERVISED"


def parse_groups(text: str | None, cpus: int | None = None) -> tuple[tuple[str, ...], ...]:
    """``HELPLINE_UP_PROCESSES``: groups separated by ``;``, services in a group by ``,``
    (``"ms-conv-store;ms-rag,ms-gateway"``); empty: everything in one process. Unset: the
    default groups for the number of cores."""
    if text is None:
        return DEFAULT_GROUPS[max(1, min(4, cpus or os.cpu_count() or 1))]
    groups = tuple(tuple(s.strip() for s in g.split(",") if s.strip())
                   for g in text.split(";") if g.strip())
    seen = [s for g in groups for s in g]
    if len(seen) != len(set(seen)):
        raise ValueError(f"HELPLINE_UP_PROCESSES names a service twice: {text!r}")
    return groups


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Child:
    """One supervised ``helpline serve`` process."""

    services: tuple[str, ...]
    port: int = 0
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0

    @property
    def name(self) -> str:
        """The services it runs, as a name."""
        return "+".join(self.services)

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.returncode is None


@dataclass
class Supervisor:
    """Starts the children, restarts the ones that die, and stops them all."""

    groups: tuple[tuple[str, ...], ...]
    env: Mapping[str, str]
    """What the children's environment adds to this process's."""
    max_backoff_s: float = 30.0
    children: list[Child] = field(default_factory=list)
    _stopping: bool = False
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=1.0))

    async def start(self) -> None:
        """Start every child, each with a task that restarts it when it exits."""
        self.children = [Child(services=g) for g in self.groups]
        for child in self.children:
            await self._spawn(child)
        self._tasks = [asyncio.create_task(self._watch(c), name=f"supervise:{c.name}")
                       for c in self.children]

    async def _spawn(self, child: Child) -> None:
        child.port = _free_port()
        env = {**os.environ, **self.env, SUPERVISED: "1", "HELPLINE_HTTP_HOST": "127.0.0.1",
               "HELPLINE_HTTP_PORT": str(child.port)}
        child.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "helpline.cli", "serve", *child.services, env=env)
        child.started_at = time.monotonic()
        log.info("started %s (pid %d)", child.name, child.process.pid)

    async def _watch(self, child: Child) -> None:
        delay = 0.0
        while not self._stopping and child.process is not None:
            code = await child.process.wait()
            if self._stopping:
                return
            # A child that ran a while before dying starts again at once.
            if time.monotonic() - child.started_at > 60:
                delay = 0.0
            log.error("%s (pid %d) exited with code %s; restarting in %.0f s", child.name,
                      child.process.pid, code, delay)
            await asyncio.sleep(delay)
            if self._stopping:
                return
            child.restarts += 1
            await self._spawn(child)
            delay = min(self.max_backoff_s, max(1.0, delay * 2))

    def health(self) -> dict[str, bool]:
        """Each child's ``/healthz`` (a child that is not running is unhealthy)."""
        return {f"process:{c.name}": c.running and self._get(c.port, "/healthz") is not None
                for c in self.children}

    def metrics(self) -> list[str]:
        """The children's ``/metrics`` texts (what answers)."""
        return [text for c in self.children if c.running
                and (text := self._get(c.port, "/metrics")) is not None]

    def _get(self, port: int, path: str) -> str | None:
        try:
            response = self._http.get(f"http://127.0.0.1:{port}{path}")
        except httpx.HTTPError:
            return None
        return response.text if response.status_code == 200 else None

    async def stop(self, timeout_s: float) -> None:
        """SIGTERM every child; SIGKILL those still running after ``timeout_s``."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        running = [c.process for c in self.children if c.running and c.process]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in running)), timeout_s)
        except TimeoutError:
            for process in running:
                if process.returncode is None:
                    log.error("pid %d did not stop within %.0f s: killed", process.pid,
                              timeout_s)
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
            await asyncio.gather(*(p.wait() for p in running))
        self._http.close()


def merge_metrics(texts: list[str]) -> str:
    """Prometheus texts added up series by series (each process counts its own)."""
    totals: dict[str, float] = {}
    for text in texts:
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            series, _, value = line.rpartition(" ")
            totals[series] = totals.get(series, 0.0) + float(value)
    return "".join(f"{series} {value:g}\n" for series, value in sorted(totals.items()))
