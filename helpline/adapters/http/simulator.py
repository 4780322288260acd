"""The customer simulator: be a WhatsApp customer without a phone or a Meta account.

``GET /simulator`` serves a page. When a person types as a customer, the page's backend
(``POST /simulator/send``) builds a notification of Meta's documented shape, signs it with
``WHATSAPP_APP_SECRET`` exactly as Meta does and POSTs it to the real webhook endpoint, so the
whole real path runs. ``GET /simulator/replies`` reads what the fake Graph API received for
that phone number; the page polls it to show the replies. Bad input (a long message, a
phone number that is not one) is refused with one readable sentence.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from helpline.adapters.http.pages import Page, add_page
from helpline.adapters.whatsapp.builders import build_text_notification
from helpline.adapters.whatsapp.signature import SIGNATURE_HEADER, sign
from helpline.catalog import MAX_TEXT_LENGTH, normalise_phone
from helpline.config import Settings

#: Its links are relative: the page works under any prefix (simulator.js does the same).
SIMULATOR = Page(
    path="/simulator", title="helpline · customer simulator", body="simulator-body.html",
    folder="", stylesheets=("simulator.css",), scripts=("simulator.js",), relative_links=True)

#: Longer inputs are refused before they are looked at (the page never sends them).
_MAX_INPUT = 100_000


class SimulatedMessage(BaseModel):
    """What the person typed, as whom (checked in :func:`problem`, to answer in words)."""

    phone: str = Field(max_length=_MAX_INPUT)
    text: str = Field(max_length=_MAX_INPUT)
    name: str = Field(default="Simulated customer", max_length=_MAX_INPUT)


def problem(message: SimulatedMessage) -> str | None:
    """What is wrong with ``message``, in one sentence (``None``: nothing)."""
    if not message.text.strip():
        return "Write a message first."
    if len(message.text) > MAX_TEXT_LENGTH:
        return (f"The message is {len(message.text):,} characters; WhatsApp allows "
                f"{MAX_TEXT_LENGTH:,}.")
    if len(message.name) > 100:
        return "The name is too long: use at most 100 characters."
    try:
        normalise_phone(message.phone)
    except ValueError:
        return ("That is not a phone number: use 8 to 15 digits with the country code, "
                "like +34 600 123 456.")
    return None


def create_simulator_router(
    settings: Settings, webhook_url: str, fake_graph_url: str, *, timeout: float = 30.0
) -> APIRouter:
    """The simulator's routes; ``webhook_url`` is the full URL of ``POST /webhooks/whatsapp``
    and ``fake_graph_url`` the base URL of the fake Graph API."""
    router = APIRouter(tags=["simulator"])
    graph = fake_graph_url.rstrip("/")

    add_page(router, SIMULATOR)

    @router.post("/simulator/send")
    async def simulator_send(message: SimulatedMessage) -> JSONResponse:
        """Sign a Meta-shaped notification of ``message`` and deliver it to the webhook."""
        return await deliver(settings, webhook_url, message, timeout)

    @router.get("/simulator/replies")
    async def simulator_replies(phone: str, after: int = 0) -> JSONResponse:
        """What the fake Graph API was asked to send to ``phone`` (after sequence ``after``)."""
        return await replies_for(graph, phone, after, timeout)

    return router


async def deliver(settings: Settings, webhook_url: str, message: SimulatedMessage,
                  wait_s: float) -> JSONResponse:
    """Sign a notification of ``message`` as Meta does and POST it to ``webhook_url``; a
    readable 422 for bad input, 502 when the webhook does not take it."""
    wrong = problem(message)
    if wrong is not None:
        return JSONResponse({"detail": wrong}, status_code=422)
    phone = normalise_phone(message.phone)
    wamid = "wamid.sim." + uuid.uuid4().hex
    notification = build_text_notification(
        phone_number_id=settings.whatsapp_phone_number_id, sender_phone=phone,
        text=message.text, wamid=wamid, timestamp=int(time.time()), profile_name=message.name)
    body = json.dumps(notification, ensure_ascii=False).encode()
    secret = settings.whatsapp_app_secret.get_secret_value()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}
    try:
        async with httpx.AsyncClient(timeout=wait_s) as client:
            response = await client.post(webhook_url, content=body, headers=headers)
    except httpx.HTTPError:
        return JSONResponse({"detail": "The help desk cannot be reached; try again."},
                            status_code=502)
    if response.status_code != 200:
        return JSONResponse({"detail": "The help desk did not take the message (HTTP "
                                       f"{response.status_code}); try again.",
                             "webhook_status": response.status_code}, status_code=502)
    return JSONResponse({"wamid": wamid, "phone": phone,
                         "webhook_status": response.status_code})


async def replies_for(graph: str, phone: str, after: int, wait_s: float) -> JSONResponse:
    """The replies the fake Graph API at ``graph`` was asked to send to ``phone``."""
    try:
        to = normalise_phone(phone)
    except ValueError:
        return JSONResponse({"detail": "That is not a phone number."}, status_code=422)
    try:
        async with httpx.AsyncClient(timeout=wait_s) as client:
            response = await client.get(f"{graph}/_fake/messages",
                                        params={"to": to, "after": after})
        data: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError):
        return JSONResponse({"detail": "The replies cannot be read now."}, status_code=502)
    replies = [{"seq": m["seq"], "text": m["body"], "wamid": m["id"],
                "at": m.get("received_at"), "in_reply_to": m.get("context_message_id")}
               for m in data.get("messages", [])]
    return JSONResponse({"replies": replies})
