"""Fixtures of the WhatsApp edge's unit tests: settings, a recording publish, a webhook app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from whatsapp_unit_fakes import APP_SECRET, VERIFY_TOKEN, RecordingPublish

from helpline.adapters.http.webhook import create_webhook_router
from helpline.config import Settings


@pytest.fixture
def settings() -> Settings:
    return Settings(whatsapp_app_secret=APP_SECRET, whatsapp_verify_token=VERIFY_TOKEN,
                    whatsapp_access_token="unit-test-access-token")


@pytest.fixture
def publish() -> RecordingPublish:
    return RecordingPublish()


@pytest.fixture
def client(settings: Settings, publish: RecordingPublish) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(create_webhook_router(settings, publish))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
