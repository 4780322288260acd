"""The customer simulator over real HTTP: a signed webhook reaches the real endpoint, replies
are read from the fake Graph API."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest
from fastapi import FastAPI
from whatsapp_servers import serve

from helpline.adapters.http.simulator import create_simulator_router
from helpline.adapters.http.webhook import create_webhook_router
from helpline.adapters.whatsapp.graph_client import GraphClient
from helpline.catalog import CatalogMessage, WhatsAppBusinessTextMessageReceived
from helpline.config import Settings

pytestmark = pytest.mark.integration


async def test_simulated_customer_message_goes_through_the_signed_webhook(
    fake_graph_url: str, fake: httpx.AsyncClient, graph: GraphClient
) -> None:
    settings = Settings(whatsapp_app_secret="sim-secret", whatsapp_verify_token="v")
    published: list[CatalogMessage] = []

    async def publish(messages: Sequence[CatalogMessage]) -> None:
        published.extend(messages)

    webhook_app = FastAPI()
    webhook_app.include_router(create_webhook_router(settings, publish))
    with serve(webhook_app) as webhook_base:
        page_app = FastAPI()
        page_app.include_router(create_simulator_router(
            settings, f"{webhook_base}/webhooks/whatsapp", fake_graph_url))
        with serve(page_app) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10) as browser:
                page = await browser.get("/simulator")
                assert page.status_code == 200 and "Customer simulator" in page.text
                sent = await browser.post("/simulator/send",
                                          json={"phone": "+34 600 12 34 56", "text": "hola"})
                assert sent.json()["webhook_status"] == 200
                (message,) = published
                assert isinstance(message, WhatsAppBusinessTextMessageReceived)
                assert (message.sender_phone, message.text) == ("34600123456", "hola")
                # A reply goes out through the Graph API (here: straight to the fake).
                await graph.send_text("106540352242922", "34600123456", "¡Hola!",
                                      reply_to=message.wamid)
                replies = (await browser.get("/simulator/replies",
                                             params={"phone": "34600123456"})).json()["replies"]
                assert [(r["text"], r["in_reply_to"]) for r in replies] == [
                    ("¡Hola!", message.wamid)]
                later = await browser.get("/simulator/replies",
                                          params={"phone": "34600123456",
                                                  "after": replies[0]["seq"]})
                assert later.json()["replies"] == []
