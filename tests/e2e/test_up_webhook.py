"""``helpline up`` end to end: a signed webhook delivered 4 times → one Graph API call; a
burst of one customer's messages → the replies go out in the customer's order."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpline.adapters.whatsapp.builders import build_text_notification
from helpline.adapters.whatsapp.signature import sign
from helpline.config import DEMO_SECRET

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 40) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "helpline up exited early"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("helpline up did not become healthy")


def _up(nats_url: str, data_dir: Path, out: Any = subprocess.PIPE,
        **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """``helpline up`` on ``nats_url`` with a subject prefix and an HTTP port of its own;
    returns the process (in a session of its own) and its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpline.cli", "up"], stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "NATS_URL": nats_url, "HELPLINE_DATA_DIR": str(data_dir),
             "HELPLINE_HTTP_PORT": str(port),
             "HELPLINE_SUBJECT_PREFIX": f"t{uuid.uuid4().hex[:10]}", **env})
    return proc, f"http://127.0.0.1:{port}"


def test_signed_webhook_four_times_gives_one_graph_call(nats_available: str,
                                                         tmp_path: Path) -> None:
    proc, base = _up(nats_available, tmp_path)
    try:
        _wait_healthy(base, proc)
        body = json.dumps(build_text_notification(
            phone_number_id="106540352242922", sender_phone="34600777666",
            text="¿cuál es el horario?", wamid="wamid.e2e.1",
            timestamp=int(time.time()))).encode()
        headers = {"X-Hub-Signature-256": sign(body, DEMO_SECRET),
                   "Content-Type": "application/json"}
        bad = httpx.post(f"{base}/webhooks/whatsapp", content=body,
                         headers={**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64})
        assert bad.status_code == 401
        for _ in range(4):
            assert httpx.post(f"{base}/webhooks/whatsapp", content=body,
                              headers=headers).status_code == 200
        deadline = time.monotonic() + 30
        sent: list[dict[str, object]] = []
        while time.monotonic() < deadline and not sent:
            sent = httpx.get(f"{base}/fake-graph/_fake/messages").json()["messages"]
            time.sleep(0.3)
        time.sleep(2.0)  # give any duplicate time to show up
        sent = httpx.get(f"{base}/fake-graph/_fake/messages").json()["messages"]
        assert len(sent) == 1, sent
        assert sent[0]["to"] == "34600777666"
        assert sent[0]["context_message_id"] == "wamid.e2e.1"
        assert "9:00" in str(sent[0]["body"])
    finally:
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, _ = proc.communicate(timeout=20)
    assert time.monotonic() - started < 10, "shutdown took 10 s or more"
    assert proc.returncode == 0, out.decode()[-2000:]


def test_a_burst_from_one_customer_is_answered_in_order(nats_available: str,
                                                         tmp_path: Path) -> None:
    """50 messages written in a burst by one customer cross the five services (in their
    processes, in batches) and the 50 replies reach the Graph API in the same order."""
    proc, base = _up(nats_available, tmp_path)
    phone = "34600555444"
    wamids = [f"wamid.burst.{i:02d}" for i in range(50)]
    try:
        _wait_healthy(base, proc)
        with httpx.Client(base_url=base) as client:
            for i, wamid in enumerate(wamids):
                body = json.dumps(build_text_notification(
                    phone_number_id="106540352242922", sender_phone=phone,
                    text=f"¿cuál es el horario? ({i})", wamid=wamid,
                    timestamp=int(time.time()))).encode()
                response = client.post("/webhooks/whatsapp", content=body, headers={
                    "X-Hub-Signature-256": sign(body, DEMO_SECRET),
                    "Content-Type": "application/json"})
                assert response.status_code == 200
            deadline = time.monotonic() + 60
            sent: list[dict[str, object]] = []
            while time.monotonic() < deadline and len(sent) < len(wamids):
                sent = client.get("/fake-graph/_fake/messages", params={"to": phone}).json()[
                    "messages"]
                time.sleep(0.3)
        assert [m["context_message_id"] for m in sent] == wamids
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_up_restarts_a_child_that_dies_and_ctrl_c_stops_all(nats_available: str,
                                                           tmp_path: Path) -> None:
    """``helpline up`` on two child processes: one is SIGKILLed, ``/healthz`` names it until
    it is back, the log says so; Ctrl-C (SIGINT to the process group, as a terminal sends it)
    stops every process within 10 s."""
    log = tmp_path / "up.log"
    with open(log, "wb") as out:
        proc, base = _up(nats_available, tmp_path, out,
                         HELPLINE_UP_PROCESSES="ms-conv-store;ms-rag,ms-gateway,ms-whatsapp")
    try:
        _wait_healthy(base, proc)
        children = _children(proc.pid)
        assert len(children) == 2
        store = next(pid for pid, cmd in children.items() if "ms-conv-store" in cmd)
        os.kill(store, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            health = httpx.get(f"{base}/healthz", timeout=2)
            if health.status_code == 503:
                break
            time.sleep(0.1)
        assert health.status_code == 503
        assert health.json()["checks"]["process:ms-conv-store"] is False
        _wait_healthy(base, proc)
        assert f"ms-conv-store (pid {store}) exited with code -9" in log.read_text()
        assert len(_children(proc.pid)) == 2
    finally:
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)
        stopped = time.monotonic() - started
    assert stopped < 10, f"stopping took {stopped:.1f} s"
    assert _children(proc.pid) == {}
    assert proc.returncode == 0, log.read_text()[-2000:]


def _children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid`` and their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = cmd
    return found


def test_a_huge_unauthenticated_body_is_refused_before_it_is_read(nats_available: str,
                                                                  tmp_path: Path) -> None:
    """50 MB to the agent API with no token: 413 at once (before authentication), and the
    process does not grow by what was sent."""
    proc, base = _up(nats_available, tmp_path, HELPLINE_UP_PROCESSES="")
    try:
        _wait_healthy(base, proc)
        before = _rss_mb(proc.pid)

        def chunks() -> Iterator[bytes]:
            for _ in range(50):
                yield b"x" * (1024 * 1024)

        declared = httpx.post(f"{base}/api/v1/tickets/{uuid.uuid4()}/replies",
                              content=b"x" * (50 * 1024 * 1024), timeout=60)
        streamed = httpx.post(f"{base}/api/v1/tickets/{uuid.uuid4()}/replies",
                              content=chunks(), timeout=60)
        assert declared.status_code == streamed.status_code == 413
        assert declared.json() == {"detail": "the request body is over 65536 bytes"}
        assert _rss_mb(proc.pid) - before < 10
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no process {pid}")
