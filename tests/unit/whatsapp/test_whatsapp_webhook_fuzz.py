"""hypothesis fuzzing of ``POST /webhooks/whatsapp``: random JSON shapes, mutated documented
notifications and random bytes, signed and unsigned. Never a 5xx; never a publish for an
invalid body; a 200 publishes exactly what the parser finds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from whatsapp_unit_fakes import APP_SECRET, RecordingPublish

from helpline.adapters.http.webhook import create_webhook_router
from helpline.adapters.whatsapp.payloads import WebhookPayloadError, parse_notification_bytes
from helpline.adapters.whatsapp.signature import SIGNATURE_HEADER, sign
from helpline.config import Settings

pytestmark = [pytest.mark.unit, pytest.mark.property]
PAYLOADS = sorted((Path(__file__).parent / "payloads").glob("*.json"))
FUZZ = hsettings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _paths(child, (*prefix, i))


@st.composite
def mutated_notifications(draw: st.DrawFn) -> Any:
    """A documented notification with one node replaced by random JSON (or removed)."""
    note = json.loads(draw(st.sampled_from(PAYLOADS)).read_text(encoding="utf-8"))
    path = draw(st.sampled_from(list(_paths(note))))
    if not path:
        return draw(json_values)
    parent = note
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return note


json_bodies = (json_values | mutated_notifications()).map(lambda v: json.dumps(v).encode())
bodies = json_bodies | st.binary(max_size=300)


@pytest.fixture(scope="module")
def fuzz_app() -> Iterator[tuple[TestClient, RecordingPublish]]:
    publish = RecordingPublish()
    app = FastAPI()
    app.include_router(create_webhook_router(
        Settings(whatsapp_app_secret=APP_SECRET, whatsapp_verify_token="t"), publish))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, publish


def _post(client: TestClient, body: bytes, signature: str | None) -> int:
    headers = {SIGNATURE_HEADER: signature} if signature is not None else {}
    return client.post("/webhooks/whatsapp", content=body, headers=headers).status_code


@FUZZ
@given(body=bodies, signature=st.none() | st.text(max_size=80).filter(lambda s: s.isascii()))
def test_unsigned_or_badly_signed_bodies_are_401(
    fuzz_app: tuple[TestClient, RecordingPublish], body: bytes, signature: str | None
) -> None:
    client, publish = fuzz_app
    publish.batches.clear()
    assert _post(client, body, signature) == 401
    assert publish.batches == []


@FUZZ
@given(body=bodies)
def test_signed_random_bodies_never_5xx_and_publish_only_when_valid(
    fuzz_app: tuple[TestClient, RecordingPublish], body: bytes
) -> None:
    client, publish = fuzz_app
    publish.batches.clear()
    status = _post(client, body, sign(body, APP_SECRET))
    assert status in (200, 400)
    try:
        expected = parse_notification_bytes(body).messages
    except WebhookPayloadError:
        assert status == 400
        assert publish.batches == []
        return
    assert status == 200
    assert publish.batches == ([list(expected)] if expected else [])
