"""A fake WhatsApp Cloud API (Graph API ``messages`` endpoint) for tests, the demo and the
customer simulator.

``POST /{version}/{phone_number_id}/messages`` checks the bearer token (401 with Meta's
``OAuthException`` 190 otherwise) and the documented text-message body (400 with Meta's error
JSON, code 100, otherwise), then answers like Meta and records the message. Given a webhook
URL and the app secret, it also reports each message's statuses (``sent``, ``delivered``) to
that webhook like Meta does: signed, with the send's ``biz_opaque_callback_data``, retried
with a growing delay until the webhook answers 200. Test hooks:

- ``GET /_fake/messages?to=<phone>&after=<seq>``: what was accepted, in order;
- ``GET /_fake/stats``: how many requests reached the endpoint (accepted or not);
- ``POST /_fake/errors``: queue error answers (``{"code": 130429, "times": 2, "skip": 0}``;
  ``status`` defaults to what Meta answers for the code);
- ``GET /_fake/statuses``: status reports delivered to the webhook, and still pending;
- ``DELETE /_fake/messages``: forget messages, counters and queued errors.

Media (``GET /{media-id}``, the download URL, uploads, image and document sends): see
``fake_graph_media``.
It also serves the business's message templates and checks template sends (errors 132001
and 132000 like Meta): see ``fake_graph_templates``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from helpline.adapters.whatsapp.builders import build_status_notification
from helpline.adapters.whatsapp.fake_graph_media import (
    MEDIA_SEND_TYPES,
    FakeMedia,
    add_media_routes,
)
from helpline.adapters.whatsapp.fake_graph_templates import (
    DEFAULT_TEMPLATES,
    add_template_routes,
    check_template_send,
    template_shape_problem,
)
from helpline.adapters.whatsapp.signature import sign
from helpline.catalog import MAX_TEXT_LENGTH

_TOP_KEYS = {"messaging_product", "recipient_type", "to", "type", "text", "context",
             "biz_opaque_callback_data", "template", *MEDIA_SEND_TYPES}

#: What Meta answers for a few well-known errors (HTTP status, message).
KNOWN_ERRORS: dict[int, tuple[int, str]] = {
    130429: (429, "Rate limit hit"),
    131047: (400, "Re-engagement message"),
    131026: (400, "Message Undeliverable"),
    131000: (500, "Something went wrong"),
    100: (400, "Invalid parameter"),
    190: (401, "Invalid OAuth access token - Cannot parse access token"),
}


class FakeError(BaseModel):
    """An error answer to give to the next ``times`` send requests."""

    code: int = 131000
    status: int | None = Field(default=None, ge=400, le=599)
    message: str | None = None
    details: str = "configured error of the fake Graph API"
    times: int = Field(default=1, ge=1, le=10_000)
    skip: int = Field(default=0, ge=0, le=10_000)
    """Answer this many requests normally before the error starts."""


@dataclass
class FakeGraphState:
    """What the fake received and what it was told to answer (one per app)."""

    access_token: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: deque[FakeError] = field(default_factory=deque)
    requests: int = 0
    media: FakeMedia = field(default_factory=FakeMedia)
    templates: list[dict[str, Any]] = field(
        default_factory=lambda: [dict(t) for t in DEFAULT_TEMPLATES])
    """The business's message templates (see ``fake_graph_templates``)."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def accept(self, version: str, phone_number_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Record a valid send like Meta would and return the record (with Meta's ``id``)."""
        seq = next(self._ids)
        wamid = "wamid." + base64.b64encode(f"fake:{phone_number_id}:{seq}".encode()).decode()
        accepted: dict[str, Any] = {
            "seq": seq, "id": wamid, "api_version": version, "phone_number_id": phone_number_id,
            "to": body["to"].lstrip("+"), "type": body["type"],
            "body": (body.get("text") or body.get(body["type"]) or {}).get(
                "body" if body["type"] == "text" else "caption", ""),
            "media": body.get(body["type"]) if body["type"] in MEDIA_SEND_TYPES else None,
            "preview_url": (body.get("text") or {}).get("preview_url", False),
            "template": body.get("template"),
            "context_message_id": (body.get("context") or {}).get("message_id"),
            "callback_data": body.get("biz_opaque_callback_data"),
            "received_at": datetime.now(UTC).isoformat(),
        }
        self.messages.append(accepted)
        return accepted

    def refusal(self, authorization: str | None) -> JSONResponse | None:
        """The error answer a send gets before its body is read (a bad token, a queued
        error), or ``None``."""
        if authorization != f"Bearer {self.access_token}":
            return meta_error(401, 190, KNOWN_ERRORS[190][1])
        error = self.next_error()
        if error is None:
            return None
        status, message = KNOWN_ERRORS.get(error.code, (400, "Error"))
        return meta_error(error.status or status, error.code, error.message or message,
                          error.details)

    def next_error(self) -> FakeError | None:
        """The error to answer with now, if one is queued."""
        if not self.errors:
            return None
        error = self.errors[0]
        if error.skip:
            self.errors[0] = error.model_copy(update={"skip": error.skip - 1})
            return None
        if error.times <= 1:
            self.errors.popleft()
        else:
            self.errors[0] = error.model_copy(update={"times": error.times - 1})
        return error


def meta_error(status: int, code: int, message: str, details: str | None = None) -> JSONResponse:
    """An error answer in the Graph API's shape."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEfFakeTrace"}
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return JSONResponse({"error": error}, status_code=status)


def validate_send_body(body: object) -> str | None:
    """Why ``body`` is not a documented text-message send, or ``None`` if it is one."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    unknown = set(body) - _TOP_KEYS
    if unknown:
        return f"unexpected key(s): {sorted(unknown)}"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be 'whatsapp'"
    if body.get("recipient_type", "individual") != "individual":
        return "recipient_type must be 'individual'"
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return "to must be a phone number"
    if body.get("type") in MEDIA_SEND_TYPES:
        return _common_problem(body)
    if body.get("type") == "template":
        return template_shape_problem(body) or _common_problem(body)
    if body.get("type") != "text":
        return "type must be 'text' or 'template' (this fake sends no other messages)"
    text = body.get("text")
    if not isinstance(text, dict) or set(text) - {"body", "preview_url"}:
        return "text must be an object with body and optional preview_url"
    if not isinstance(text.get("body"), str) or not 1 <= len(text["body"]) <= MAX_TEXT_LENGTH:
        return f"text.body must be a string of 1 to {MAX_TEXT_LENGTH} characters"
    if not isinstance(text.get("preview_url", False), bool):
        return "text.preview_url must be a boolean"
    return _common_problem(body)


def _common_problem(body: dict[str, Any]) -> str | None:
    """The checks every message type shares: callback data and context."""
    callback = body.get("biz_opaque_callback_data")
    if callback is not None and (not isinstance(callback, str) or len(callback) > 512):
        return "biz_opaque_callback_data must be a string of at most 512 characters"
    context = body.get("context")
    if context is not None and (not isinstance(context, dict) or set(context) != {"message_id"}
                                or not isinstance(context["message_id"], str)):
        return "context must be {\"message_id\": <wamid>}"
    return None


class StatusReports:
    """Posts status notifications to a webhook like Meta: signed with the app secret, retried
    with a growing delay (0.5 s doubling, at most 10 s apart) until answered with 200, for up
    to ``give_up_s`` seconds."""

    def __init__(self, webhook_url: str, app_secret: str, give_up_s: float = 600.0) -> None:
        self.webhook_url = webhook_url
        self.app_secret = app_secret
        self.give_up_s = give_up_s
        self.delivered = 0
        self.pending = 0
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        """Deliveries in flight (kept referenced until they finish)."""

    def report(self, message: dict[str, Any], callback: str | None) -> None:
        """Report ``sent`` then ``delivered`` for an accepted message (in the background)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=5.0)
        self.pending += 1
        task = asyncio.create_task(self._deliver(message, callback))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, message: dict[str, Any], callback: str | None) -> None:
        try:
            for status in ("sent", "delivered"):
                note = build_status_notification(
                    phone_number_id=message["phone_number_id"], recipient_phone=message["to"],
                    wamid=message["id"], status=status, timestamp=int(time.time()),
                    callback_data=callback)
                if not await self._post(json.dumps(note).encode()):
                    return
            self.delivered += 1
        finally:
            self.pending -= 1

    async def _post(self, body: bytes) -> bool:
        assert self._http is not None
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": sign(body, self.app_secret)}
        delay, deadline = 0.5, time.monotonic() + self.give_up_s
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await self._http.post(self.webhook_url, content=body,
                                          headers=headers)).status_code == 200:
                    return True
            await asyncio.sleep(delay)
            delay = min(10.0, delay * 2)
        return False


def create_fake_graph_app(access_token: str, *, webhook_url: str | None = None,
                          app_secret: str | None = None, latency_s: float = 0.0) -> FastAPI:
    """The fake Graph API; requests must carry ``Authorization: Bearer <access_token>``.
    With ``webhook_url`` and ``app_secret`` it reports statuses to that webhook; with
    ``latency_s`` it answers a send only after recording it and waiting that long (so a
    crash test can catch sends in flight)."""
    app = FastAPI(title="fake WhatsApp Cloud API", docs_url=None, redoc_url=None)
    state = FakeGraphState(access_token=access_token)
    app.state.fake_graph = state
    reports = StatusReports(webhook_url, app_secret) if webhook_url and app_secret else None

    @app.post("/{version}/{phone_number_id}/messages")
    async def send_message(version: str, phone_number_id: str, request: Request) -> JSONResponse:
        state.requests += 1
        refusal = state.refusal(request.headers.get("authorization"))
        if refusal is not None:
            return refusal
        try:
            body = await request.json()
        except ValueError:
            return meta_error(400, 100, "Invalid parameter", "the body is not JSON")
        problem = validate_send_body(body)
        if problem is None and body["type"] in MEDIA_SEND_TYPES:
            problem = state.media.validate_send(body)
        if problem is not None:
            return meta_error(400, 100, "Invalid parameter", problem)
        refused = check_template_send(body, state.templates) if body["type"] == "template" \
            else None
        if refused is not None:
            return meta_error(400, *refused)
        accepted = state.accept(version, phone_number_id, body)
        if reports is not None:
            reports.report(accepted, body.get("biz_opaque_callback_data"))
        if latency_s:
            await asyncio.sleep(latency_s)
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": body["to"], "wa_id": accepted["to"]}],
                             "messages": [{"id": accepted["id"]}]})

    _add_test_hooks(app, state, reports)
    add_template_routes(app, state.templates, access_token)
    # Last: ``GET /{version}/{media-id}`` would also match ``/_fake/templates`` and the
    # other two-segment paths above.
    add_media_routes(app, state.media, access_token, meta_error)
    return app


def _add_test_hooks(app: FastAPI, state: FakeGraphState, reports: StatusReports | None) -> None:
    """The ``/_fake/...`` routes tests use to look inside and to queue errors."""

    @app.get("/_fake/messages")
    async def list_messages(to: str | None = None, after: int = 0) -> dict[str, Any]:
        chosen = [m for m in state.messages
                  if m["seq"] > after and (to is None or m["to"] == to.lstrip("+"))]
        return {"messages": chosen}

    @app.get("/_fake/stats")
    async def stats() -> dict[str, int]:
        return {"requests": state.requests, "messages": len(state.messages),
                "queued_errors": sum(e.times for e in state.errors)}

    @app.get("/_fake/statuses")
    async def status_reports() -> dict[str, int]:
        if reports is None:
            return {"delivered": 0, "pending": 0}
        return {"delivered": reports.delivered, "pending": reports.pending}

    @app.post("/_fake/errors")
    async def queue_errors(errors: FakeError | list[FakeError]) -> dict[str, int]:
        state.errors.extend(errors if isinstance(errors, list) else [errors])
        return {"queued_errors": sum(e.times for e in state.errors)}

    @app.delete("/_fake/messages")
    async def reset() -> dict[str, bool]:
        state.messages.clear()
        state.media.uploads.clear()
        state.errors.clear()
        state.requests = 0
        return {"reset": True}
