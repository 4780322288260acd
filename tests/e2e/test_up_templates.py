"""``helpline up`` with the fake Graph API, end to end: a customer who last wrote 25 hours
ago (not in the registry: shown by their WhatsApp profile name) gets no AI answer; the
agent's free-text reply is refused (outside the 24-hour window); the console's window route
offers the synced templates; the template reaches the fake in the documented shape; a stale
template (its parameters changed at Meta) fails with Meta's 132000 as a sentence; the
customer's answer reopens the window."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpline.adapters.whatsapp.builders import build_text_notification
from helpline.adapters.whatsapp.signature import sign
from helpline.config import DEMO_SECRET
from tests.e2e.test_up_webhook import _up, _wait_healthy

pytestmark = pytest.mark.e2e
PHONE = "34600333222"


def _webhook(base: str, text: str, wamid: str, age_s: float = 0.0) -> None:
    body = json.dumps(build_text_notification(
        phone_number_id="106540352242922", sender_phone=PHONE, text=text, wamid=wamid,
        timestamp=int(time.time() - age_s), profile_name="Lucía")).encode()
    response = httpx.post(f"{base}/webhooks/whatsapp", content=body, headers={
        "X-Hub-Signature-256": sign(body, DEMO_SECRET), "Content-Type": "application/json"})
    assert response.status_code == 200


def _until(check: Callable[[], Any], what: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_late_reply_is_refused_as_text_and_sent_as_a_template(nats_available: str,
                                                                tmp_path: Path) -> None:
    proc, base = _up(nats_available, tmp_path, HELPLINE_UP_PROCESSES="")
    api = f"{base}/api/v1"
    try:
        _wait_healthy(base, proc)
        agent = {"Authorization": "Bearer demo-agent-token"}  # the demo's agent, online
        _webhook(base, "quiero hablar con una persona", "wamid.late.1", age_s=25 * 3600)
        ticket = _until(lambda: httpx.get(f"{api}/tickets?view=mine", headers=agent).json(),
                        "the ticket")[0]
        tid = ticket["ticket_id"]
        # Not in the customer registry: the WhatsApp profile name stands in for the name.
        assert ticket["customer_name"] is None
        detail = _until(lambda: (d := httpx.get(f"{api}/tickets/{tid}", headers=agent).json())
                        ["customer"]["profile_name"] and d, "the profile name")
        assert detail["customer"]["profile_name"] == "Lucía"
        assert detail["profile_name"] == "Lucía"

        def sent() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = httpx.get(
                f"{base}/fake-graph/_fake/messages", params={"to": PHONE}).json()["messages"]
            return found

        def lines() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = httpx.get(f"{api}/tickets/{tid}",
                                                    headers=agent).json()["transcript"]
            return found

        # Free text after 24 h: refused before Meta, shown in the ticket in a sentence.
        httpx.post(f"{api}/tickets/{tid}/replies", headers=agent,
                   json={"text": "Hola, ¿sigues ahí?"}).raise_for_status()
        failed = _until(lambda: [t for t in lines() if t["failure_reason"]], "the refusal")
        assert "only a template message may be sent" in failed[0]["failure_reason"]
        assert sent() == []  # neither the AI's answer nor the agent's text went out

        window = _until(lambda: (w := httpx.get(f"{api}/tickets/{tid}/window",
                                                headers=agent).json())["templates"] and w,
                        "the synced templates")
        assert window["open"] is False and "24 hours" in window["message"]
        offered = {t["name"]: t for t in window["templates"]}
        assert offered["seguimiento_pedido"]["body_parameters"] == 2
        # Not in the registry: the WhatsApp profile name's first word fills in {{1}}.
        assert offered["seguimiento_pedido"]["prefill"] == {"header": [], "body": ["Lucía", ""]}

        reply = httpx.post(f"{api}/tickets/{tid}/template-replies", headers=agent, json={
            "name": "seguimiento_pedido", "language": "es", "body": ["Lucía", "1234"]})
        assert reply.status_code == 202, reply.text
        (message,) = _until(sent, "the template at the fake Graph API")
        assert message["type"] == "template"
        assert message["template"] == {
            "name": "seguimiento_pedido", "language": {"code": "es"},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": "Lucía"}, {"type": "text", "text": "1234"}]}]}
        assert message["callback_data"].endswith(":0")
        _until(lambda: any(t["text"].startswith("Hola Lucía, te escribimos por tu pedido 1234")
                           and t["delivery"] for t in lines()), "the template's line")

        # Meta's template changed since the sync: the send fails with 132000, in words.
        fake_templates = httpx.get(f"{base}/fake-graph/_fake/templates").json()["data"]
        fake_templates[0]["components"][0]["text"] = "Hola {{1}}, pedido {{2}}, día {{3}}"
        httpx.put(f"{base}/fake-graph/_fake/templates", json=fake_templates).raise_for_status()
        httpx.post(f"{api}/tickets/{tid}/template-replies", headers=agent, json={
            "name": "seguimiento_pedido", "language": "es", "body": ["Lucía", "1234"]},
        ).raise_for_status()
        stale = _until(lambda: [t for t in lines() if "132000" in (t["failure_reason"] or "")],
                       "the 132000 refusal")
        reason = stale[0]["failure_reason"]
        assert "Number of parameters does not match the expected number of params" in reason
        assert "{" not in reason

        # The customer answers: the window is open again, free text goes out.
        _webhook(base, "sí, aquí estoy", "wamid.late.2")
        _until(lambda: httpx.get(f"{api}/tickets/{tid}/window", headers=agent).json()["open"],
               "the window to reopen")
        httpx.post(f"{api}/tickets/{tid}/replies", headers=agent,
                   json={"text": "Perfecto, lo miro ahora."}).raise_for_status()
        _until(lambda: any(m["body"] == "Perfecto, lo miro ahora." for m in sent()),
               "the free text after the customer answered")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out.decode()[-3000:]
