"""``GET /events`` over real HTTP: uvicorn on a free port, the projections running in the
background, httpx reading the stream; an agent hears of a change to their ticket, another
agent does not."""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from helpline.adapters.http.api import create_agent_api_router
from helpline.application.customer_gateway import InMemoryCustomerDirectory
from helpline.application.whatsapp_edge import RecordingSender
from helpline.bootstrap import Persistence, bootstrap
from helpline.config import Settings

from .conftest import ADMIN, Api

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Api, str]]:
    """The API with live updates, served by uvicorn (the test starts the projections in
    the background once its set-up, which catches them up in its own thread, is done)."""
    from helpline.projections import build_projections

    sender, directory = RecordingSender(), InMemoryCustomerDirectory()
    container = bootstrap(Settings(helpline_data_dir=tmp_path), sender=sender,
                          directory=directory)
    view = Persistence(Settings(helpline_data_dir=tmp_path)).view()
    projections = build_projections(view, desk=container.services.desk,
                                    store=container.services.store, poll_interval=0.05)
    holder: list[Api] = []
    app = FastAPI()
    app.include_router(create_agent_api_router(
        container.services.desk, view, directory, ADMIN, publish=lambda m: holder[0].publish(m),
        updates=projections.updates, ping_seconds=0.2))
    api = Api(None, container, container.runner(), sender, view, projections,  # type: ignore[arg-type]
              directory, threading.Lock())
    holder.append(api)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield api, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    projections.close()
    container.close()


def listen(url: str, token: str, lines: queue.Queue[str]) -> threading.Thread:
    """Read the event stream into ``lines`` in a thread (until the server stops)."""

    def run() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.stream("GET", f"{url}/api/v1/events", headers=headers,
                              timeout=httpx.Timeout(10, read=30)) as response:
                lines.put(f"status {response.status_code} {response.headers['content-type']}")
                for line in response.iter_lines():
                    lines.put(line)
        except httpx.HTTPError:
            pass  # the server stopped

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def until(lines: queue.Queue[str], wanted: str, seen: list[str], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(line)
        if wanted in line:
            return True
    return False


def test_an_agent_hears_of_a_change_to_their_ticket_and_nobody_else_does(
        served: tuple[Api, str]) -> None:
    api, url = served
    _, marta = api.agent("marta")
    ticket = api.escalate()
    _, pablo = api.agent("pablo")
    api.projections.start()
    mine: queue.Queue[str] = queue.Queue()
    others: queue.Queue[str] = queue.Queue()
    seen_mine: list[str] = []
    seen_other: list[str] = []
    listen(url, marta, mine)
    listen(url, pablo, others)
    assert until(mine, ": connected", seen_mine) and until(others, ": connected", seen_other)
    assert seen_mine[0] == "status 200 text/event-stream; charset=utf-8"

    with api.lock:
        api.runner.publish(*api.container.services.desk.answer(
            ticket, agent_id=api.container.services.desk.ticket(ticket).agent_id or "",
            text="Ahora lo miro"))
    assert until(mine, "event: ticket", seen_mine), seen_mine
    assert until(mine, f'"ticket_id": "{ticket}"', seen_mine), seen_mine
    assert until(mine, "event: counts", seen_mine), seen_mine
    assert until(others, ": ping", seen_other)
    time.sleep(0.5)
    while not others.empty():
        seen_other.append(others.get())
    assert not [x for x in seen_other if x.startswith(("event:", "data:"))], seen_other
    assert api.projections.updates.subscribers == 2


def test_events_need_a_token(served: tuple[Api, str]) -> None:
    _, url = served
    response = httpx.get(f"{url}/api/v1/events", timeout=5)
    assert response.status_code == 401
    assert response.json() == {"detail": "bearer token required"}
