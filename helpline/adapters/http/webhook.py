"""The WhatsApp Cloud API webhook: Meta's verification handshake and signed notifications.

``POST /webhooks/whatsapp`` checks, in this order and before anything is parsed: the size
(``Content-Length`` and the bytes actually read, 1 MiB at most → 413), the
``X-Hub-Signature-256`` HMAC of the exact raw bytes (→ 401), then the documented shape
(→ 400). Only a valid notification reaches ``publish``; the answer is 200 once ``publish``
has returned (the NATS adapter returns after the JetStream ack), and 503 if it raised, so
that Meta delivers the notification again later. With a ``media`` fetcher, a customer's
image, document, audio, video or sticker is fetched and stored first (or refused, the message
saying why); a Graph API that is away answers 503 too.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from helpline.adapters.whatsapp.media import MediaFetcher, MediaUnavailableError
from helpline.adapters.whatsapp.payloads import WebhookPayloadError, parse_notification_bytes
from helpline.adapters.whatsapp.signature import SIGNATURE_HEADER, signature_matches
from helpline.catalog import CatalogMessage
from helpline.config import Settings
from helpline.logs import OutageLog

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"
#: The largest body we read (Meta's notifications are a few KiB).
MAX_BODY_BYTES = 1024 * 1024

#: Publishes the messages of one notification; returns once they are durably stored.
Publish = Callable[[Sequence[CatalogMessage]], Awaitable[None]]


class _BodyTooLargeError(Exception):
    pass


def create_webhook_router(
    settings: Settings, publish: Publish, *, max_body_bytes: int = MAX_BODY_BYTES,
    media: MediaFetcher | None = None,
) -> APIRouter:
    """The router of ``GET`` and ``POST /webhooks/whatsapp``.

    ``settings.whatsapp_verify_token`` answers the handshake and ``settings.whatsapp_app_secret``
    checks signatures; ``publish`` receives the catalog messages of each valid notification
    (media messages after ``media`` fetched their files, when given).
    """
    router = APIRouter(tags=["whatsapp"])
    outage = OutageLog("whatsapp webhook: storing notifications in JetStream", log)
    verify_token = settings.whatsapp_verify_token.get_secret_value()
    app_secret = settings.whatsapp_app_secret.get_secret_value()

    @router.get(WEBHOOK_PATH, response_class=PlainTextResponse)
    async def verify_whatsapp_webhook(request: Request) -> Response:
        """Meta's subscription handshake: echo ``hub.challenge`` when the token matches."""
        params = request.query_params
        token = params.get("hub.verify_token", "")
        challenge = params.get("hub.challenge")
        if (params.get("hub.mode") == "subscribe" and verify_token and challenge is not None
                and _same(token, verify_token)):
            return PlainTextResponse(challenge)
        return PlainTextResponse("forbidden", status_code=403)

    @router.post(WEBHOOK_PATH)
    async def receive_whatsapp_notification(request: Request) -> Response:
        """A signed notification from Meta: verify, parse, publish, then answer."""
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return _error(400, "invalid Content-Length")
            if int(declared) > max_body_bytes:
                return _error(413, f"body over {max_body_bytes} bytes")
        try:
            body = await _read_limited(request, max_body_bytes)
        except _BodyTooLargeError:
            return _error(413, f"body over {max_body_bytes} bytes")
        if not signature_matches(body, request.headers.get(SIGNATURE_HEADER), app_secret):
            return _error(401, f"missing or invalid {SIGNATURE_HEADER}")
        try:
            parsed = parse_notification_bytes(body)
        except WebhookPayloadError as e:
            return _error(400, str(e))
        for note in parsed.ignored:
            log.info("whatsapp webhook: ignored %s", note)
        if not parsed.messages:
            return JSONResponse({"accepted": 0})
        return await _hand_on(parsed.messages, publish, media, outage)

    return router


async def _hand_on(messages: Sequence[CatalogMessage], publish: Publish,
                   media: MediaFetcher | None, outage: OutageLog) -> Response:
    """Fetch the messages' media (if any), publish them, and answer Meta."""
    try:
        enriched = await media.enrich(messages) if media is not None else list(messages)
    except MediaUnavailableError as e:
        log.warning("whatsapp webhook: media not fetched, Meta will retry: %s", e)
        return _error(503, "could not fetch the media; retry later")
    try:
        await publish(enriched)
    except Exception as e:  # NATS away: Meta delivers the notification again
        outage.failed(e)
        return _error(503, "could not store the notification; retry later")
    outage.worked()
    return JSONResponse({"accepted": len(enriched)})


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing to buffer more than ``limit`` bytes whatever the headers said."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
