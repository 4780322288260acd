"""The webhook endpoint: handshake, signature over the raw bytes, size limit, publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from whatsapp_unit_fakes import APP_SECRET, VERIFY_TOKEN, RecordingPublish

from helpline.adapters.whatsapp.signature import SIGNATURE_HEADER, sign, signature_matches
from helpline.catalog import WhatsAppBusinessTextMessageReceived

pytestmark = pytest.mark.unit
URL = "/webhooks/whatsapp"
TEXT = (Path(__file__).parent / "payloads" / "text.json").read_bytes()


def post(client: TestClient, body: bytes, signature: str | None = None, **headers: str):  # type: ignore[no-untyped-def]
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return client.post(URL, content=body, headers={"Content-Type": "application/json", **headers})


def test_handshake_echoes_the_challenge(client: TestClient) -> None:
    response = client.get(URL, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                       "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.challenge": "1"},
    {},
])
def test_handshake_refuses_anything_else(client: TestClient, params: dict[str, str]) -> None:
    assert client.get(URL, params=params).status_code == 403


def test_signed_notification_is_published_then_acknowledged(
    client: TestClient, publish: RecordingPublish
) -> None:
    response = post(client, TEXT, sign(TEXT, APP_SECRET))
    assert response.status_code == 200
    (message,) = publish.messages
    assert isinstance(message, WhatsAppBusinessTextMessageReceived)
    assert message.text == "Hello, is the shop open on Saturday?"


def test_signature_is_over_the_exact_raw_bytes(
    client: TestClient, publish: RecordingPublish
) -> None:
    # The same JSON, re-serialised: same meaning, other bytes, so the signature must not match.
    reformatted = json.dumps(json.loads(TEXT), separators=(",", ":")).encode()
    assert json.loads(reformatted) == json.loads(TEXT) and reformatted != TEXT
    assert post(client, reformatted, sign(TEXT, APP_SECRET)).status_code == 401
    assert post(client, reformatted, sign(reformatted, APP_SECRET)).status_code == 200
    assert len(publish.batches) == 1


@pytest.mark.parametrize("signature", [
    None, "", "sha256=", "sha1=abc", sign(TEXT, "another-secret"), sign(TEXT, APP_SECRET)[:-1],
    sign(TEXT, APP_SECRET).removeprefix("sha256="), sign(TEXT, APP_SECRET).upper(),
])
def test_missing_or_wrong_signature_is_401_and_nothing_published(
    client: TestClient, publish: RecordingPublish, signature: str | None
) -> None:
    assert post(client, TEXT, signature).status_code == 401
    assert publish.batches == []


def test_signature_is_checked_before_parsing(client: TestClient) -> None:
    assert post(client, b"not json", "sha256=00").status_code == 401
    assert post(client, b"not json", sign(b"not json", APP_SECRET)).status_code == 400


def test_an_empty_app_secret_refuses_everything() -> None:
    assert not signature_matches(TEXT, sign(TEXT, ""), "")


@pytest.mark.parametrize("body", [
    b"{", b"[]", b'{"object": "page", "entry": []}', b'{"object": "whatsapp_business_account"}',
])
def test_malformed_or_foreign_body_is_400(
    client: TestClient, publish: RecordingPublish, body: bytes
) -> None:
    assert post(client, body, sign(body, APP_SECRET)).status_code == 400
    assert publish.batches == []


def test_body_over_one_mib_is_413_by_header_and_by_bytes(
    client: TestClient, publish: RecordingPublish
) -> None:
    big = b'{"object": "whatsapp_business_account", "entry": [], "pad": "%s"}' % (b"x" * (1 << 20))
    assert post(client, big, sign(big, APP_SECRET)).status_code == 413

    def chunks():  # type: ignore[no-untyped-def]  # streamed: no Content-Length header
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    response = client.post(URL, content=chunks(), headers={SIGNATURE_HEADER: sign(big, APP_SECRET)})
    assert response.status_code == 413
    assert publish.batches == []


def test_a_lying_small_content_length_does_not_let_a_big_body_through(
    client: TestClient, publish: RecordingPublish
) -> None:
    big = b" " * ((1 << 20) + 10) + TEXT
    response = post(client, big, sign(big, APP_SECRET), **{"Content-Length": "100"})
    assert response.status_code == 413
    assert publish.batches == []


def test_exactly_one_mib_is_accepted(client: TestClient, publish: RecordingPublish) -> None:
    body = TEXT + b" " * ((1 << 20) - len(TEXT))
    assert len(body) == 1 << 20
    assert post(client, body, sign(body, APP_SECRET)).status_code == 200
    assert len(publish.batches) == 1


def test_publish_failure_is_503_so_meta_retries(
    client: TestClient, publish: RecordingPublish
) -> None:
    publish.fail = True
    assert post(client, TEXT, sign(TEXT, APP_SECRET)).status_code == 503
    publish.fail = False
    assert post(client, TEXT, sign(TEXT, APP_SECRET)).status_code == 200
    assert len(publish.messages) == 1


def test_notification_with_nothing_to_record_is_200_without_publish(
    client: TestClient, publish: RecordingPublish
) -> None:
    body = (Path(__file__).parent / "payloads" / "value_errors.json").read_bytes()
    assert post(client, body, sign(body, APP_SECRET)).status_code == 200
    assert publish.batches == []


def test_multi_entry_notification_is_one_publish(
    client: TestClient, publish: RecordingPublish
) -> None:
    body = (Path(__file__).parent / "payloads" / "multi_entry.json").read_bytes()
    assert post(client, body, sign(body, APP_SECRET)).status_code == 200
    assert len(publish.batches) == 1 and len(publish.messages) == 8
