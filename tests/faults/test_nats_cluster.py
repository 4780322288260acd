"""``helpline up`` on a three-node NATS cluster with streams replicated three times: one node
is SIGKILLed mid-traffic and started again. Every customer gets exactly one reply; webhooks
refused during the failover (503) get in on Meta's retry."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import nats
import pytest

from helpline.adapters.nats.embedded import nats_server_binary

from .conftest import Customers, assert_exactly_once, free_port, start_up, wait_for_replies

pytestmark = pytest.mark.e2e


class Node:
    """One nats-server of the cluster."""

    def __init__(self, name: str, root: Path, cluster_ports: list[int]) -> None:
        self.name = name
        self.port = free_port()
        self.cluster_port = cluster_ports.pop(0)
        self.store = root / name
        self.routes = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / f"{name}.log"

    @property
    def url(self) -> str:
        """The client URL."""
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (or start again, on the same store)."""
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js",
                 "-sd", str(self.store), "--server_name", self.name, "--cluster_name",
                 "helpline-test", "--cluster", f"nats://127.0.0.1:{self.cluster_port}",
                 "--routes", self.routes], stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()


async def _wait_for_jetstream(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            nc = await nats.connect(url, connect_timeout=1, allow_reconnect=False)
            try:
                await nc.jetstream().account_info()
                return
            finally:
                await nc.close()
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def test_one_node_of_three_dies_mid_traffic(tmp_path: Path) -> None:
    cluster_ports = [free_port() for _ in range(3)]
    routes = ",".join(f"nats://127.0.0.1:{p}" for p in cluster_ports)
    nodes = [Node(f"n{i}", tmp_path, cluster_ports) for i in range(3)]
    for node in nodes:
        node.routes = routes
        node.start()
    url = ",".join(node.url for node in nodes)
    up = None
    try:
        asyncio.run(_wait_for_jetstream(nodes[0].url))
        # A worker stuck on a connection the failover took away is restarted after 30 s.
        up = start_up(tmp_path, url, "helpline", HELPLINE_STREAM_REPLICAS="3",
                      HELPLINE_STALL_SECONDS="30")
        up.wait_healthy(90)
        customers = Customers(up.base, customers=60)
        customers.start(300)
        time.sleep(5)
        nodes[0].kill()
        time.sleep(5)
        nodes[0].start()
        customers.join(240)
        replies = wait_for_replies(up, customers.wamids, timeout_s=240)
        health = up.health().text
    finally:
        if up is not None:
            up.stop()
        for node in nodes:
            if node.process is not None and node.process.poll() is None:
                node.kill()
    if set(customers.wamids) - set(replies):  # say what the process saw, for the diagnosis
        seen = [line for line in up.log.read_text().splitlines()
                if "helpline.nats" in line or "watchdog" in line or "ERROR" in line]
        print("health:", health, "\n" + "\n".join(seen[-60:]))
    assert_exactly_once(replies, customers.wamids)
