"""``helpline up`` as ``make run`` starts it (the example knowledge base, demo mode) prints no
traceback: not while starting, not while a customer writes through the simulator, not while
stopping (issue 13 saw FastStream's ``Task-… raised an exception, retrying… TimeoutError``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.console_server import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_helpline_up_start_up_log_has_no_traceback(nats_available: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpline.cli", "up"], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT,
        env={**os.environ, "NATS_URL": nats_available, "HELPLINE_DATA_DIR": str(tmp_path),
             "HELPLINE_HTTP_PORT": str(port), "HELPLINE_KB_PATH": str(ROOT / "examples/kb"),
             "HELPLINE_SUBJECT_PREFIX": f"t{uuid.uuid4().hex[:10]}"})
    try:
        deadline = time.monotonic() + 60
        healthy = False
        while time.monotonic() < deadline and not healthy:
            assert proc.poll() is None, "helpline up exited early"
            try:
                healthy = httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.3)
        assert healthy, "helpline up did not become healthy"
        sent = httpx.post(f"{base}/simulator/send", timeout=30,
                          json={"phone": "34600123456", "text": "¿cuál es el horario?"})
        assert sent.status_code == 200, sent.text
        replies: list[object] = []
        while time.monotonic() < deadline and not replies:
            replies = httpx.get(f"{base}/simulator/replies",
                                params={"phone": "34600123456"}).json()["replies"]
            time.sleep(0.3)
        assert replies, "no reply reached the simulator"
        time.sleep(8)  # past the first fetch timeouts of every consumer
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    log = out.decode(errors="replace")
    assert "helpline: running on NATS" in log
    for sign in ("Traceback", "raised an exception", "TimeoutError"):
        assert sign not in log, log[-4000:]
    assert proc.returncode == 0, log[-2000:]
