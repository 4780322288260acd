"""Reusable helpers for WhatsApp edge tests: serve an ASGI app on 127.0.0.1, sign webhooks.

For the lead's end-to-end test of ``helpline up``::

    from whatsapp_servers import signed_webhook, text_notification_body
    body = text_notification_body("34600123456", "hola", wamid="wamid.e2e.1")
    httpx.post(f"{base}/webhooks/whatsapp", content=body, headers=signed_webhook(body, secret))
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from helpline.adapters.whatsapp.builders import build_text_notification
from helpline.adapters.whatsapp.signature import SIGNATURE_HEADER, sign


def signed_webhook(body: bytes, secret: str) -> dict[str, str]:
    """The headers Meta sends with ``body``: JSON content type and ``X-Hub-Signature-256``."""
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}


def text_notification_body(
    sender_phone: str,
    text: str,
    *,
    wamid: str,
    phone_number_id: str = "106540352242922",
    timestamp: int | None = None,
) -> bytes:
    """The raw bytes of a documented-shape notification of one inbound text message."""
    note = build_text_notification(
        phone_number_id=phone_number_id, sender_phone=sender_phone, text=text, wamid=wamid,
        timestamp=int(time.time()) if timestamp is None else timestamp)
    return json.dumps(note).encode()


@contextmanager
def serve(app: Any, *, startup_timeout: float = 15.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free 127.0.0.1 port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
