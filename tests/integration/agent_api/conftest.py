"""The agent API over HTTP (FastAPI's TestClient) on the in-process services and SQLite
projections; commands' messages go through the in-process runner, as the relay would."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpline.adapters.http.api import create_agent_api_router
from helpline.adapters.media_store import MediaStore
from helpline.application.customer_gateway import InMemoryCustomerDirectory
from helpline.application.runner import InProcessRunner
from helpline.application.whatsapp_edge import RecordingSender
from helpline.bootstrap import Container, Persistence, bootstrap
from helpline.catalog import CatalogMessage, TicketOpened, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings
from helpline.domain.ids import conversation_id_for
from helpline.projections import HelpdeskView, Projections, build_projections

ADMIN = "admin-token-for-tests-0123456789"
PHONE = "34600000001"


@dataclass
class Api:
    """The client, the services behind it and the agents of the scenario."""

    client: TestClient
    container: Container
    runner: InProcessRunner
    sender: RecordingSender
    view: HelpdeskView
    projections: Projections
    directory: InMemoryCustomerDirectory
    lock: threading.Lock

    def publish(self, messages: Sequence[CatalogMessage]) -> None:
        """Deliver messages (the API's commands and the customer's) one batch at a time."""
        with self.lock:
            self.runner.publish(*messages)

    def say(self, phone: str, text: str, sent_at: datetime | None = None) -> None:
        """The customer ``phone`` writes ``text`` (at ``sent_at``, by default now)."""
        at = sent_at or datetime.now(UTC)
        self.publish([WhatsAppBusinessTextMessageReceived(
            message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=at,
            wamid=f"wamid.{uuid4().hex}", phone_number_id="106540352242922",
            sender_phone=phone, profile_name="Cliente", text=text, sent_at=at)])
        self.projections.catch_up()

    def agent(self, name: str, online: bool = True) -> tuple[str, str]:
        """Register an agent (online by default); returns (agent_id, token)."""
        desk = self.container.services.desk
        new = desk.register_agent(name=name, email=f"{name}@example.com", languages=["es"],
                                  max_tickets=3)
        if online:
            self.publish(desk.set_agent_status(new.agent_id, online=True))
        self.projections.catch_up()
        return new.agent_id, new.token

    def escalate(self, phone: str = PHONE) -> str:
        """The customer asks for a person; returns the ticket id."""
        self.say(phone, "quiero hablar con una persona")
        return [m.ticket_id for m in self.runner.log if isinstance(m, TicketOpened)][-1]

    def call(
        self, method: str, path: str, token: str | None = None, *, json: object = None,
        params: dict[str, str] | None = None, headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A request with an optional bearer token; views are caught up before and after."""
        self.projections.catch_up()
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.request(method, path, headers=headers, json=json, params=params)
        self.projections.catch_up()
        return response


def make_api(tmp_path: Path, **router_options: Any) -> Iterator[Api]:
    """An ``Api`` on SQLite files under ``tmp_path`` (``router_options`` go to
    ``create_agent_api_router``)."""
    sender = RecordingSender()
    directory = InMemoryCustomerDirectory()
    container = bootstrap(Settings(helpline_data_dir=tmp_path), sender=sender,
                          directory=directory)
    view = Persistence(Settings(helpline_data_dir=tmp_path)).view()
    projections = build_projections(view, desk=container.services.desk,
                                    store=container.services.store)
    runner = container.runner()
    lock = threading.Lock()
    holder: list[Api] = []
    router = create_agent_api_router(container.services.desk, view, directory, ADMIN,
                                     publish=lambda m: holder[0].publish(m),
                                     media=MediaStore(tmp_path / "media"),
                                     **router_options)
    app = FastAPI()
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, container, runner, sender, view, projections, directory, lock)
        holder.append(api)
        yield api
    projections.close()
    container.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """A fresh API and services per test."""
    yield from make_api(tmp_path)
