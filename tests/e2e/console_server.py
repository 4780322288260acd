"""An in-process helpline for the console's and the simulator's browser tests and for
``make screenshots``: the agent API, the console, the webhook and the customer simulator on
one uvicorn server, with the five services run in-process and seeded demo conversations.

The simulator reads replies from ``/fake-graph/_fake/messages``, served here from what the
in-process WhatsApp sender recorded (the real fake Graph API needs the NATS deployment)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import uvicorn
from fastapi import FastAPI

from helpline.adapters.http.api import create_agent_api_router
from helpline.adapters.http.api.deps import question_embedder_of
from helpline.adapters.http.console import create_console_router
from helpline.adapters.http.simulator import create_simulator_router
from helpline.adapters.http.webhook import create_webhook_router
from helpline.adapters.media_store import MediaStore
from helpline.adapters.whatsapp.fake_graph import create_fake_graph_app
from helpline.adapters.whatsapp.graph_client import GraphClient
from helpline.adapters.whatsapp.templates import TemplateCatalog
from helpline.application.customer_gateway import InMemoryCustomerDirectory
from helpline.application.ports import Answerer
from helpline.application.whatsapp_edge import RecordingSender
from helpline.bootstrap import Persistence, bootstrap
from helpline.catalog import (
    CatalogMessage,
    CustomerInfo,
    MediaInfo,
    WhatsAppBusinessTextMessageReceived,
)
from helpline.config import FAKE_WABA_ID, Settings
from helpline.domain.ids import conversation_id_for
from helpline.projections import build_projections

ADMIN_TOKEN = "admin-e2e-token"
LUCIA, TOM, ANA = "34600000077", "447700900123", "34611222333"
CUSTOMERS = [
    CustomerInfo(customer_id="cus_77", name="Lucía Fernández", phone=LUCIA, language="es",
                 email="lucia@example.com"),
    CustomerInfo(customer_id="cus_78", name="Tom Baker", phone=TOM, language="en"),
    CustomerInfo(customer_id="cus_79", name="Ana Ruiz", phone=ANA, language="es"),
]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ConsoleServer:
    """A running server: ``base`` URL, the agents' tokens, and ways to act as a customer."""

    base: str
    token: str
    """Marta's (an online agent with the seeded tickets)."""
    other_token: str
    publish: Callable[[Iterable[CatalogMessage]], None]
    sender: RecordingSender
    admin_token: str = ADMIN_TOKEN
    seq: list[int] = field(default_factory=lambda: [0])
    media: MediaStore | None = None
    """Where ms-whatsapp would keep customers' files (the agent API serves them)."""

    def customer_says(self, phone: str, text: str, name: str = "Lucía",
                      sent_at: datetime | None = None) -> None:
        """A WhatsApp message from ``phone``, processed by the five services at once
        (``sent_at``: when WhatsApp says the customer wrote it, by default now)."""
        self.seq[0] += 1
        at = datetime.now(UTC)
        self.publish([WhatsAppBusinessTextMessageReceived(
            message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=at,
            wamid=f"wamid.e2e.{uuid4().hex}", phone_number_id="106540352242922",
            sender_phone=phone, profile_name=name, text=text, sent_at=sent_at or at)])

    def customer_sends_file(self, phone: str, kind: str, data: bytes, mime_type: str,
                            filename: str | None = None, caption: str | None = None) -> str:
        """A customer's file, stored as ms-whatsapp's webhook stores it, then its message;
        returns the wamid."""
        assert self.media is not None
        wamid = f"wamid.e2e.{uuid4().hex}"
        conversation = str(conversation_id_for(phone))
        digest = self.media.put(data)
        self.media.record(wamid, {"sha256": digest, "mime_type": mime_type, "kind": kind,
                                  "filename": filename, "size": len(data),
                                  "conversation_id": conversation, "wamid": wamid})
        at = datetime.now(UTC)
        text = caption or (f"[document: {filename}]" if filename else f"[{kind}]")
        self.publish([WhatsAppBusinessTextMessageReceived(
            message_id=uuid4(), correlation_id=conversation, occurred_at=at, wamid=wamid,
            phone_number_id="106540352242922", sender_phone=phone, message_type=kind,
            text=text, sent_at=at, media=MediaInfo(
                kind=kind, media_id=f"media-{digest[:12]}", mime_type=mime_type,  # type: ignore[arg-type]
                filename=filename, caption=caption, stored_sha256=digest))])
        return wamid

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        """The agent API as Marta (or ``token``); raises on an error answer."""
        response = httpx.request(method, self.base + "/api/v1" + path, timeout=10,
                                 headers={"Authorization": f"Bearer {token or self.token}"}, **kw)
        response.raise_for_status()
        return response.json()

    def wait_for(self, check: Callable[[], Any], timeout_s: float = 10) -> Any:
        """Poll ``check`` until it answers something true (the projections lag a little)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError("timed out waiting for the projections")

    def ticket_of(self, phone: str, status: str = "open") -> dict[str, Any]:
        """The newest ticket of ``phone`` with that (legacy) status, once the views have it."""
        def find() -> dict[str, Any] | None:
            rows = self.call("GET", f"/tickets?status={status}&limit=200", ADMIN_TOKEN)
            mine = [r for r in rows if r["phone"] == phone]
            return mine[0] if mine else None
        found: dict[str, Any] = self.wait_for(find)
        return found


def _fake_graph(sender: RecordingSender) -> FastAPI:
    """``GET /_fake/messages``: what the in-process sender was asked to send, in order."""
    app = FastAPI()
    received: dict[str, str] = {}

    @app.get("/_fake/messages")
    def messages(to: str | None = None, after: int = 0) -> dict[str, Any]:
        out = []
        for seq, command in enumerate(sender.sent, start=1):
            phone = command.channel.customer_phone
            key = str(command.message_id)
            received.setdefault(key, datetime.now(UTC).isoformat())
            if seq > after and (to is None or phone == to):
                out.append({"seq": seq, "id": f"wamid.fake.{seq}", "to": phone,
                            "body": command.text, "received_at": received[key],
                            "context_message_id": None})
        return {"messages": out}

    return app


def seed(server: ConsoleServer) -> None:
    """Lucía: an AI answer, a ticket Marta answered and closed, and a second open ticket;
    Tom: an open ticket; Ana: a ticket waiting in the queue (Marta is full)."""
    server.customer_says(LUCIA, "hola")
    server.customer_says(LUCIA, "¿cuál es el horario de la tienda?")
    server.customer_says(LUCIA, "quiero hablar con una persona")
    first = server.ticket_of(LUCIA)
    server.call("POST", f"/tickets/{first['ticket_id']}/replies",
                json={"text": "Hola Lucía, soy Marta. Abrimos de 9:00 a 20:00, "
                              "¿te ayudo en algo más?"})
    server.customer_says(LUCIA, "No, gracias, eso era todo")
    server.call("POST", f"/tickets/{first['ticket_id']}/close",
                json={"resolution": "Explained the opening hours"})
    server.wait_for(lambda: server.call("GET", "/tickets?status=closed", ADMIN_TOKEN))
    server.customer_says(LUCIA, "Hola otra vez: mi pedido no ha llegado, "
                                "quiero hablar con una persona")
    server.customer_says(TOM, "I need to talk to a person about my refund", name="Tom")
    server.customer_says(ANA, "necesito hablar con una persona", name="Ana")
    server.ticket_of(LUCIA)
    server.ticket_of(TOM)
    server.ticket_of(ANA, "queued")


@contextmanager
def console_server(data_dir: Path, *, seeded: bool = True,
                   answerer: Answerer | None = None) -> Iterator[ConsoleServer]:
    """Start the server (seeded with :func:`seed` unless told not to; ``answerer`` in place
    of the demo's keyword answerer); stop it on exit."""
    sender = RecordingSender()
    directory = InMemoryCustomerDirectory(CUSTOMERS)
    settings = Settings(helpline_data_dir=data_dir, whatsapp_app_secret="sim-secret")
    container = bootstrap(settings, sender=sender, directory=directory, answerer=answerer)
    runner, lock = container.runner(), threading.Lock()
    desk = container.services.desk
    marta = desk.register_agent(name="Marta", email="marta@example.com", languages=["es", "en"],
                                max_tickets=2)
    desk.set_agent_status(marta.agent_id, online=True)
    jon = desk.register_agent(name="Jon", email="jon@example.com", languages=["en"])
    view = Persistence(settings).view()
    projections = build_projections(view, desk=desk, store=container.services.store,
                                    poll_interval=0.1)

    def publish(messages: Iterable[CatalogMessage]) -> None:
        with lock:
            runner.publish(*messages)

    async def publish_async(messages: Iterable[CatalogMessage]) -> None:
        await asyncio.to_thread(publish, list(messages))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = FastAPI()
    # The business's templates, synced from the real fake Graph API served at /meta.
    templates_http = httpx.AsyncClient(timeout=10)
    templates = TemplateCatalog(GraphClient(templates_http, graph_url=f"{base}/meta",
                                            api_version="v23.0", access_token="sim-token"),
                                FAKE_WABA_ID)
    app.mount("/meta", create_fake_graph_app("sim-token"))
    media = MediaStore(settings.media_dir)
    app.include_router(create_agent_api_router(
        desk, view, directory, ADMIN_TOKEN, publish=publish, updates=projections.updates,
        store=container.services.store, answerer=container.services.rag.answerer,
        media=media, template_catalog=templates,
        question_embedder=question_embedder_of(container.services.rag.answerer)))
    app.include_router(create_console_router())
    app.include_router(create_webhook_router(settings, publish_async))
    app.include_router(create_simulator_router(settings, f"{base}/webhooks/whatsapp",
                                               f"{base}/fake-graph", timeout=10))
    app.mount("/fake-graph", _fake_graph(sender))
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    projections.start()
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    server = ConsoleServer(base=base, token=marta.token, other_token=jon.token,
                           publish=publish, sender=sender, media=media)
    try:
        if seeded:
            seed(server)
        yield server
    finally:
        uv.should_exit = True
        thread.join(10)
        projections.close()
        container.close()
