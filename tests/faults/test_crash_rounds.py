"""Ten crashes of ``helpline up`` under load, each at a random moment (SIGKILL of every
process), restarted on the same data while Meta (the customers' webhooks, the fake Graph API's
status reports) retries what was refused: no customer is left without a reply, and at most
one reply goes out twice (the one way: a status reaching us later than the send's lease)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from helpline.config import DEMO_SECRET
from tests.conftest import NATS_URL, require_service

from .conftest import Customers, free_port, start_up

pytestmark = pytest.mark.e2e

ROUNDS = 10
CUSTOMERS = 40


def _fake_graph(port: int, webhook: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "helpline.cli", "fake-graph", "--port", str(port),
             "--log-level", "warning", "--webhook-url", webhook, "--latency-ms", "2000"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "WHATSAPP_ACCESS_TOKEN": DEMO_SECRET,
                 "WHATSAPP_APP_SECRET": DEMO_SECRET})


def test_ten_crash_rounds_lose_nothing(tmp_path: Path) -> None:
    host, nats_port = NATS_URL.removeprefix("nats://").split(":")
    require_service("NATS", host, int(nats_port))
    graph_port, http_port = free_port(), free_port()
    graph = f"http://127.0.0.1:{graph_port}"
    fake = _fake_graph(graph_port, f"http://127.0.0.1:{http_port}/webhooks/whatsapp",
                       tmp_path / "fake.log")
    prefix = f"t{uuid.uuid4().hex[:10]}"
    env = {"HELPLINE_HTTP_PORT": str(http_port), "WHATSAPP_GRAPH_URL": graph,
           "HELPLINE_SEND_LEASE_SECONDS": "20"}
    rng = random.Random(1126)
    wamids: list[str] = []
    try:
        for round_ in range(ROUNDS):
            up = start_up(tmp_path, NATS_URL, prefix, **env)
            up.wait_healthy()
            customers = Customers(up.base, customers=CUSTOMERS, per_second=40)
            customers.start(CUSTOMERS, tag=f"r{round_}")
            # Kill while this round's replies are being sent: each send takes 2 s, so many
            # are in flight, and some are still queued for a connection.
            seen = len(httpx.get(f"{graph}/_fake/messages", timeout=10).json()["messages"])
            while len(httpx.get(f"{graph}/_fake/messages", timeout=10).json()[
                    "messages"]) == seen:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))
            os.killpg(up.proc.pid, signal.SIGKILL)  # every process of it, no goodbye
            up.proc.wait()
            up = start_up(tmp_path, NATS_URL, prefix, **env)  # Meta keeps retrying meanwhile
            customers.join(120)
            wamids += customers.wamids
            up.stop()
        up = start_up(tmp_path, NATS_URL, prefix, **env)
        up.wait_healthy()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            sent = httpx.get(f"{graph}/_fake/messages", timeout=10).json()["messages"]
            replies = Counter(str(m["context_message_id"]) for m in sent)
            if set(wamids) <= set(replies):
                break
            time.sleep(2)
        time.sleep(25)  # a lease more, for any second send to show
        sent = httpx.get(f"{graph}/_fake/messages", timeout=10).json()["messages"]
        replies = Counter(str(m["context_message_id"]) for m in sent)
        up.stop()
    finally:
        fake.terminate()
        fake.wait(10)
    lost = [w for w in wamids if w not in replies]
    twice = {w: n for w, n in replies.items() if n > 1}
    assert len(wamids) == ROUNDS * CUSTOMERS
    assert lost == [], f"{len(lost)} customers never got a reply, e.g. {lost[:5]}"
    assert sum(n - 1 for n in twice.values()) <= 1, twice
