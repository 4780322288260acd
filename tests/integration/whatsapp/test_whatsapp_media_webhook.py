"""The webhook fetches a customer's media before it publishes the message: the published
message names the stored file, or why it was not stored; a Graph API that is away makes the
webhook answer 503 (Meta delivers the notification again), nothing half-stored."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpline.adapters.http.webhook import create_webhook_router
from helpline.adapters.media_store import MediaStore
from helpline.adapters.whatsapp.builders import build_media_notification
from helpline.adapters.whatsapp.media import MediaFetcher
from helpline.adapters.whatsapp.signature import SIGNATURE_HEADER, sign
from helpline.catalog import CatalogMessage, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings

pytestmark = pytest.mark.integration
TOKEN = "integration-test-access-token"  # the fake Graph API's (conftest.py)
SECRET = "webhook-test-secret"


class Published:
    def __init__(self) -> None:
        self.messages: list[CatalogMessage] = []

    async def __call__(self, messages: Sequence[CatalogMessage]) -> None:
        self.messages.extend(messages)


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def webhook(graph_url: str, store: MediaStore, published: Published) -> Iterator[TestClient]:
    settings = Settings(whatsapp_app_secret=SECRET, whatsapp_verify_token="v")
    http = httpx.AsyncClient(timeout=2)
    fetcher = MediaFetcher(http, graph_url=graph_url, api_version="v23.0", access_token=TOKEN,
                           store=store, max_bytes=1000)
    app = FastAPI()
    app.include_router(create_webhook_router(settings, published, media=fetcher))
    with TestClient(app) as client:
        yield client


def post(client: TestClient, media_id: str, kind: str = "document") -> httpx.Response:
    note = build_media_notification(
        phone_number_id="106540352242922", sender_phone="34600123456", kind=kind,
        media={"id": media_id, "mime_type": "application/pdf", "filename": "a.pdf"},
        wamid=f"wamid.media.{media_id}", timestamp=int(time.time()))
    body = json.dumps(note).encode()
    return client.post("/webhooks/whatsapp", content=body, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: sign(body, SECRET)})


def add(graph_url: str, content: bytes) -> str:
    response = httpx.post(f"{graph_url}/_fake/media", json={
        "content_b64": base64.b64encode(content).decode(), "mime_type": "application/pdf"})
    media_id: str = response.json()["id"]
    return media_id


def test_a_document_is_stored_before_its_message_is_published(
        fake_graph_url: str, store: MediaStore) -> None:
    published = Published()
    media_id = add(fake_graph_url, b"%PDF-1.4 small")
    for client in webhook(fake_graph_url, store, published):
        assert post(client, media_id).status_code == 200
    (message,) = published.messages
    assert isinstance(message, WhatsAppBusinessTextMessageReceived) and message.media
    assert message.media.stored_sha256 == hashlib.sha256(b"%PDF-1.4 small").hexdigest()
    assert store.lookup(message.wamid) is not None


def test_a_document_over_the_limit_is_published_with_its_problem_and_not_stored(
        fake_graph_url: str, store: MediaStore) -> None:
    published = Published()
    media_id = add(fake_graph_url, b"%PDF" + b"x" * 2000)
    for client in webhook(fake_graph_url, store, published):
        assert post(client, media_id).status_code == 200
    (message,) = published.messages
    assert isinstance(message, WhatsAppBusinessTextMessageReceived) and message.media
    assert message.media.problem == "too_large"
    assert store.files() == []


def test_a_graph_api_that_is_away_gets_meta_to_deliver_again(store: MediaStore) -> None:
    published = Published()
    for client in webhook("http://127.0.0.1:9", store, published):
        response = post(client, "123")
    assert response.status_code == 503
    assert published.messages == [] and store.files() == []
