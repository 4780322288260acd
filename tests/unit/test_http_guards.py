"""The HTTP guards: body limits before anything else, security headers, validation errors
without the input, the API docs with no internet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from helpline.adapters.http.app import create_app
from helpline.adapters.http.guards import API_BODY_BYTES, BodyLimit
from helpline.adapters.nats.consumer import Metrics

pytestmark = pytest.mark.unit


class Reply(BaseModel):
    text: str = Field(max_length=4096)


@pytest.fixture
def client() -> TestClient:
    router = APIRouter()
    seen: list[str] = []

    @router.post("/api/v1/echo")
    def echo(body: Reply) -> dict[str, int]:
        seen.append(body.text)
        return {"length": len(body.text)}

    app = create_app(health_checks={}, metrics=Metrics(), routers=[router])
    app.state.seen = seen
    return TestClient(BodyLimit(app))


def test_a_body_over_the_limit_is_refused_before_the_route(client: TestClient) -> None:
    big = b'{"text": "' + b"x" * (API_BODY_BYTES + 10) + b'"}'
    response = client.post("/api/v1/echo", content=big,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": f"the request body is over {API_BODY_BYTES} bytes"}


def test_a_body_sent_without_a_length_is_counted_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/v1/echo", content=chunks(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_small_body_goes_through(client: TestClient) -> None:
    response = client.post("/api/v1/echo", json={"text": "hola"})
    assert response.status_code == 200 and response.json() == {"length": 4}


def test_validation_errors_say_what_without_echoing_the_input(client: TestClient) -> None:
    text = "secreto " * 600  # 4,800 characters
    response = client.post("/api/v1/echo", json={"text": text})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "text: String should have at most 4096 characters"
    assert "secreto" not in response.text


def test_security_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_need_no_internet(client: TestClient, page: str) -> None:
    html = client.get(page).text
    assets = [part.split('"')[0] for part in html.split('src="')[1:]]
    assets += [part.split('"')[0] for part in html.split('href="')[1:]]
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_an_upload_route_takes_a_file_up_to_the_upload_limit_and_no_more() -> None:
    router = APIRouter()

    @router.post("/api/v1/tickets/t/attachments")
    async def attach(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    app = create_app(health_checks={}, metrics=Metrics(), routers=[router])
    client = TestClient(BodyLimit(app, upload_bytes=200_000))
    url = "/api/v1/tickets/t/attachments"
    assert client.post(url, content=b"x" * 200_000).json() == {"size": 200_000}
    assert client.post(url, content=b"x" * 300_000).status_code == 413
    # Other API routes keep their small limit.
    assert client.post("/api/v1/tickets/t/replies",
                       content=b"x" * (API_BODY_BYTES + 1)).status_code == 413
