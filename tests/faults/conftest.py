"""Fixtures for fault tests: a PostgreSQL and a NATS server of the test's own, which the test
may stop and start again (the machine's shared services are never touched), and
``helpline up`` driven through its webhook like Meta drives it."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from helpline.adapters.nats.embedded import EmbeddedNatsServer
from helpline.adapters.whatsapp.builders import build_text_notification
from helpline.adapters.whatsapp.signature import sign
from helpline.config import DEMO_SECRET


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary folder on a free port (``initdb`` + ``pg_ctl``,
    run as the ``postgres`` user as PostgreSQL requires)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found or shutil.which("runuser") is None:
            pytest.fail("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) and runuser "
                        "are needed to run a private PostgreSQL")
        self.bin = Path(found[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="helpline-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.port = free_port()
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync")

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=200")
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                          "-l", str(self.root / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would)."""
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode,
                          "-w", "stop")

    def createdb(self, name: str) -> None:
        """Create a database."""
        import psycopg

        conninfo = f"dbname=postgres host=127.0.0.1 port={self.port} user=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def remove(self) -> None:
        """Stop (if running) and delete the cluster."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL of the test's own, running, with a database ``test``."""
    pg = PrivatePostgres()
    pg.start()
    pg.createdb("test")
    try:
        yield pg
    finally:
        pg.remove()


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[EmbeddedNatsServer]:
    """A nats-server (JetStream, file store) of the test's own, from the wheel."""
    server = EmbeddedNatsServer(f"nats://127.0.0.1:{free_port()}", tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Up:
    """``helpline up`` in a process group of its own."""

    base: str
    proc: subprocess.Popen[bytes]
    log: Path

    def health(self) -> httpx.Response:
        """``GET /healthz``."""
        return httpx.get(f"{self.base}/healthz", timeout=5)

    def wait_healthy(self, timeout_s: float = 60) -> None:
        """Wait until ``/healthz`` answers 200."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if self.health().status_code == 200:
                    return
            time.sleep(0.3)
        raise AssertionError(f"not healthy: {self.log.read_text()[-3000:]}")

    def sent(self) -> list[dict[str, object]]:
        """What the fake Graph API received."""
        messages: list[dict[str, object]] = httpx.get(
            f"{self.base}/fake-graph/_fake/messages", timeout=10).json()["messages"]
        return messages

    def stop(self) -> None:
        """Ctrl-C, and wait."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def start_up(data_dir: Path, nats_url: str, prefix: str, **env: str) -> Up:
    """Start ``helpline up`` (demo mode: the fake Graph API in-process, unless
    ``WHATSAPP_GRAPH_URL`` is given); on ``HELPLINE_HTTP_PORT`` if given, else a free port."""
    port = int(env.pop("HELPLINE_HTTP_PORT", 0)) or free_port()
    log = data_dir / f"up-{port}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "helpline.cli", "up"], stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "NATS_URL": nats_url, "HELPLINE_DATA_DIR": str(data_dir),
                 "HELPLINE_HTTP_PORT": str(port), "HELPLINE_SUBJECT_PREFIX": prefix,
                 "HELPLINE_ACK_WAIT_SECONDS": "5", **env})
    return Up(f"http://127.0.0.1:{port}", proc, log)


@dataclass
class Customers:
    """Customers writing through the webhook, each message retried like Meta does (on any
    answer but 200, and on a refused connection) until it is accepted."""

    base: str
    customers: int
    per_second: float = 20.0
    wamids: list[str] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def phone(self, n: int) -> str:
        """The phone of customer ``n``."""
        return f"3461{n:07d}"

    def post(self, wamid: str, phone: str, text: str) -> None:
        """Deliver one message, retrying until it is accepted."""
        body = json.dumps(build_text_notification(
            phone_number_id="106540352242922", sender_phone=phone, text=text, wamid=wamid,
            timestamp=int(time.time()))).encode()
        headers = {"X-Hub-Signature-256": sign(body, DEMO_SECRET),
                   "Content-Type": "application/json"}
        while not self._stop.is_set():
            try:
                status = httpx.post(f"{self.base}/webhooks/whatsapp", content=body,
                                    headers=headers, timeout=10).status_code
            except httpx.HTTPError:
                status = 0
            if status == 200:
                return
            self.refused[status] += 1
            time.sleep(0.5)

    def write(self, messages: int, tag: str) -> None:
        """``messages`` messages round-robin over the customers, at ``per_second``."""
        for i in range(messages):
            wamid = f"wamid.{tag}.{i}"
            self.post(wamid, self.phone(i % self.customers), f"¿cuál es el horario? ({i})")
            self.wamids.append(wamid)
            time.sleep(1 / self.per_second)

    def start(self, messages: int, tag: str | None = None) -> None:
        """Write in a background thread."""
        tag = tag or uuid.uuid4().hex[:6]
        self._thread = threading.Thread(target=self.write, args=(messages, tag), daemon=True)
        self._thread.start()

    def join(self, timeout_s: float = 300) -> None:
        """Wait until every message was accepted."""
        assert self._thread is not None
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the customers could not deliver their messages"

    def stop(self) -> None:
        """Give up delivering."""
        self._stop.set()


def wait_for_replies(up: Up, wamids: list[str], timeout_s: float = 180) -> Counter[str]:
    """Replies per customer message at the fake Graph API, once every message has one (or
    the time is up); then a few seconds more for any duplicate to show."""
    deadline = time.monotonic() + timeout_s
    replies: Counter[str] = Counter()
    while time.monotonic() < deadline:
        replies = Counter(str(m["context_message_id"]) for m in up.sent())
        if set(wamids) <= set(replies):
            break
        time.sleep(1)
    time.sleep(3)
    return Counter(str(m["context_message_id"]) for m in up.sent())


def assert_exactly_once(replies: Counter[str], wamids: list[str]) -> None:
    """Every message got one reply: none lost, none twice."""
    lost = [w for w in wamids if w not in replies]
    twice = {w: n for w, n in replies.items() if n > 1}
    assert not lost and not twice, f"{len(lost)} lost (e.g. {lost[:3]}), twice: {twice}"
