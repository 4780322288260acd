"""``helpline up`` end to end with its fake Graph API: a customer's image goes through the
media endpoint into the media store and the agent API serves it; the agent's document is
uploaded once and sent once although the send command is redelivered between the upload and
the send (the Graph API throttles the first delivery's send)."""

from __future__ import annotations

import base64
import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpline.adapters.whatsapp.builders import build_media_notification, build_text_notification
from helpline.adapters.whatsapp.signature import sign
from helpline.config import DEMO_SECRET
from tests.e2e.test_console_media import png
from tests.e2e.test_up_webhook import _up, _wait_healthy

pytestmark = pytest.mark.e2e
PHONE = "34600999888"
PNID = "106540352242922"
PDF = b"%PDF-1.4\n% factura 1234 del pedido\n"


def wait_for(check: Callable[[], Any], timeout_s: float = 40) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("timed out")


@pytest.fixture
def up(nats_available: str, tmp_path: Path) -> Iterator[httpx.Client]:
    proc, base = _up(nats_available, tmp_path)
    try:
        _wait_healthy(base, proc)
        with httpx.Client(base_url=base, timeout=10) as client:
            yield client
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def webhook(client: httpx.Client, note: dict[str, Any]) -> None:
    body = json.dumps(note).encode()
    response = client.post("/webhooks/whatsapp", content=body, headers={
        "X-Hub-Signature-256": sign(body, DEMO_SECRET), "Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def sent_to(client: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/fake-graph/_fake/messages",
                                             params={"to": PHONE}).json()["messages"]
    return found


def test_an_image_in_and_a_document_out_exactly_once_under_redelivery(
        up: httpx.Client) -> None:
    auth = {"Authorization": "Bearer demo-agent-token"}  # demo mode's online agent
    now = int(time.time())
    webhook(up, build_text_notification(phone_number_id=PNID, sender_phone=PHONE,
                                        text="quiero hablar con una persona",
                                        wamid="wamid.up.person", timestamp=now))
    ticket = wait_for(lambda: [t for t in up.get("/api/v1/tickets", headers=auth).json()
                               if t["phone"] == PHONE])[0]
    image = png(32, 24)
    media_id = up.post("/fake-graph/_fake/media", json={
        "content_b64": base64.b64encode(image).decode(), "mime_type": "image/png"}).json()["id"]
    webhook(up, build_media_notification(
        phone_number_id=PNID, sender_phone=PHONE, kind="image", wamid="wamid.up.image",
        media={"id": media_id, "mime_type": "image/png", "caption": "así llegó"},
        timestamp=now + 1))

    def image_line() -> dict[str, Any] | None:
        detail = up.get(f"/api/v1/tickets/{ticket['ticket_id']}", headers=auth).json()
        lines = [t for t in detail["transcript"] if t["message_id"] == "wamid.up.image"]
        return lines[0] if lines and lines[0]["media"] else None

    line = wait_for(image_line)
    served = up.get(f"/api/v1{line['media']['url']}", headers=auth)
    assert served.content == image and served.headers["content-type"] == "image/png"

    before = wait_for(lambda: sent_to(up))  # the AI's hand-over reply went out
    time.sleep(1.0)
    before = sent_to(up)
    uploaded = up.post(f"/api/v1/tickets/{ticket['ticket_id']}/attachments", headers=auth,
                       files={"file": ("factura-1234.pdf", PDF, "application/pdf")}).json()
    # The send is throttled beyond the client's own retries: the command comes back later.
    up.post("/fake-graph/_fake/errors", json={"code": 130429, "times": 6})
    assert up.post(f"/api/v1/tickets/{ticket['ticket_id']}/replies", headers=auth, json={
        "text": "Aquí tienes tu factura",
        "attachment_id": uploaded["attachment_id"]}).status_code == 202
    documents = wait_for(lambda: [m for m in sent_to(up) if m["type"] == "document"], 60)
    time.sleep(3.0)  # give a duplicate time to show up
    uploads = up.get("/fake-graph/_fake/media/uploads").json()["uploads"]
    documents = [m for m in sent_to(up) if m["type"] == "document"]
    assert [(u["filename"], u["size"]) for u in uploads] == [("factura-1234.pdf", len(PDF))]
    assert len(documents) == 1
    assert documents[0]["media"] == {"id": uploads[0]["id"], "caption": "Aquí tienes tu factura",
                                     "filename": "factura-1234.pdf"}
    assert len(sent_to(up)) == len(before) + 1
    assert up.get("/fake-graph/_fake/stats").json()["queued_errors"] == 0  # it was throttled
