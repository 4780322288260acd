"""Templates against the fake Graph API over real HTTP: the sync of the business's templates,
the template send in the documented shape, Meta's 132001 / 132000 refusals as sentences, and
exactly-once through the send ledger (claim/complete, ``biz_opaque_callback_data``)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpline.adapters.whatsapp.graph_client import GraphClient
from helpline.adapters.whatsapp.ledger import MemorySendLedger, SqliteSendLedger
from helpline.adapters.whatsapp.outbound import OutboundWhatsApp, SendInProgressError
from helpline.adapters.whatsapp.templates import TemplateCatalog, refresh_periodically
from helpline.application.handlers import BatchResult
from helpline.catalog import (
    SendWhatsAppBusinessTemplateMessage,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
)
from helpline.catalog import WhatsAppBusinessTextMessageStatusUpdated as StatusUpdated
from helpline.domain.ids import derived_id

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def template_command(name: str = "seguimiento_pedido", body: tuple[str, ...] = ("Lucía", "1234"),
                     ) -> SendWhatsAppBusinessTemplateMessage:
    data: dict[str, Any] = {
        **SendWhatsAppBusinessTemplateMessage.example, "message_id": str(uuid.uuid4()),
        "template": {"name": name, "language": "es", "components": [
            {"type": "body", "parameters": [{"type": "text", "text": v} for v in body]}]}}
    return SendWhatsAppBusinessTemplateMessage.model_validate(data)


async def requests(fake: httpx.AsyncClient) -> int:
    return int((await fake.get("/_fake/stats")).json()["requests"])


async def test_the_sync_reads_every_page_of_the_business_templates(
        graph: GraphClient, fake: httpx.AsyncClient) -> None:
    listed = await graph.list_templates("102290129340398", page_size=1)
    assert [t["name"] for t in listed] == ["seguimiento_pedido", "retomar_conversacion",
                                           "follow_up", "oferta_navidad"]
    catalog = TemplateCatalog(graph, "102290129340398", clock=lambda: NOW)
    assert await catalog.refresh() == 4
    assert catalog.synced_at == NOW
    assert [(t.name, t.language) for t in catalog.approved()] == [
        ("follow_up", "en_US"), ("retomar_conversacion", "es"), ("seguimiento_pedido", "es")]
    order = catalog.find("seguimiento_pedido", "es")
    assert order is not None and order.category == "UTILITY"
    assert order.parameters("body") == 2 and order.parameters("header") == 0
    assert catalog.find("oferta_navidad", "es") not in catalog.approved()  # REJECTED


async def test_a_changed_template_list_is_picked_up_on_refresh(
        graph: GraphClient, fake: httpx.AsyncClient) -> None:
    catalog = TemplateCatalog(graph, "102290129340398")
    await catalog.refresh()
    before = (await fake.get("/_fake/templates")).json()["data"]
    try:
        await fake.put("/_fake/templates", json=before[:1])
        assert await catalog.refresh() == 1
    finally:
        await fake.put("/_fake/templates", json=before)


async def test_the_templates_are_refreshed_periodically(
        graph: GraphClient, fake: httpx.AsyncClient) -> None:
    catalog = TemplateCatalog(graph, "102290129340398")
    before = (await fake.get("/_fake/templates")).json()["data"]
    task = asyncio.create_task(refresh_periodically(catalog, every_s=0.2))
    try:
        for _ in range(50):
            if catalog.synced_at is not None:
                break
            await asyncio.sleep(0.05)
        assert len(catalog.templates) == 4
        await fake.put("/_fake/templates", json=before[2:])
        for _ in range(50):
            if len(catalog.templates) == 2:
                break
            await asyncio.sleep(0.05)
        assert [t.name for t in catalog.templates] == ["follow_up", "oferta_navidad"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await fake.put("/_fake/templates", json=before)


async def test_a_failed_sync_keeps_the_last_list_and_says_why(
        graph: GraphClient, fake: httpx.AsyncClient, fake_graph_url: str) -> None:
    catalog = TemplateCatalog(graph, "102290129340398")
    await catalog.refresh()
    async with httpx.AsyncClient() as http:
        wrong = GraphClient(http, graph_url=fake_graph_url, api_version="v23.0",
                            access_token="wrong")
        catalog.lister = wrong
        with pytest.raises(Exception, match="Invalid OAuth"):
            await catalog.refresh()
    assert len(catalog.templates) == 4 and catalog.error is not None


async def test_a_template_is_sent_in_the_documented_shape_once_per_command(
        graph: GraphClient, fake: httpx.AsyncClient, tmp_path: Path) -> None:
    cmd = template_command()
    ledger = SqliteSendLedger(tmp_path / "ledger.sqlite")
    first = await OutboundWhatsApp(graph, ledger, clock=lambda: NOW) \
        .send_whatsapp_business_template_message(cmd)
    ledger.close()
    restarted = SqliteSendLedger(tmp_path / "ledger.sqlite")
    again = OutboundWhatsApp(graph, restarted, clock=lambda: NOW)
    redelivered = [await again.send_whatsapp_business_template_message(cmd) for _ in range(3)]
    restarted.close()
    assert await requests(fake) == 1
    (sent,) = first
    assert isinstance(sent, WhatsAppBusinessTextMessageSent)
    assert sent.message_id == derived_id(str(cmd.message_id), "sent")
    assert all(batch == first for batch in redelivered)
    (recorded,) = (await fake.get("/_fake/messages")).json()["messages"]
    assert recorded["type"] == "template" and sent.wamids == (recorded["id"],)
    assert recorded["template"] == {
        "name": "seguimiento_pedido", "language": {"code": "es"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "Lucía"}, {"type": "text", "text": "1234"}]}]}
    assert recorded["callback_data"] == f"{cmd.message_id}:0"


async def test_a_template_send_ignores_the_window(graph: GraphClient,
                                                  fake: httpx.AsyncClient) -> None:
    late = OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW + timedelta(days=9))
    (event,) = await late.send_whatsapp_business_template_message(template_command())
    assert isinstance(event, WhatsAppBusinessTextMessageSent)


async def test_a_crashed_template_send_is_settled_by_its_status(
        graph: GraphClient, fake: httpx.AsyncClient) -> None:
    """The claim is left by a crash after Meta accepted the template: a redelivery waits,
    the status webhook (echoing the callback data) settles it, and nothing is sent twice."""
    cmd = template_command()
    ledger = MemorySendLedger()
    key = str(cmd.message_id)
    await ledger.claim_part(key, 0, NOW.timestamp(), 120)
    await graph.send_template("106540352242922", "34600123456",
                              cmd.template.model_dump(mode="json"), callback_data=f"{key}:0")
    busy = OutboundWhatsApp(graph, ledger, clock=lambda: NOW + timedelta(seconds=30))
    with pytest.raises(SendInProgressError):
        await busy.send_whatsapp_business_template_message(cmd)
    (sent,) = (await fake.get("/_fake/messages")).json()["messages"]
    status = StatusUpdated.model_validate({
        **StatusUpdated.example, "message_id": str(uuid.uuid4()), "wamid": sent["id"],
        "status": "sent", "callback_data": sent["callback_data"]})
    assert await busy.handle_batch([status]) == BatchResult()
    (event,) = await busy.send_whatsapp_business_template_message(cmd)
    assert isinstance(event, WhatsAppBusinessTextMessageSent) and event.wamids == (sent["id"],)
    assert await requests(fake) == 1


@pytest.mark.parametrize(("name", "body", "code", "words"), [
    ("no_such_template", ("x",), 132001, "Template name does not exist in the translation"),
    ("seguimiento_pedido", ("Lucía",), 132000,
     "Number of parameters does not match the expected number of params - body: number of "
     "localizable_params (1) does not match the expected number of params (2)"),
])
async def test_meta_refusals_of_a_template_are_sentences(
        graph: GraphClient, fake: httpx.AsyncClient, name: str, body: tuple[str, ...],
        code: int, words: str) -> None:
    (event,) = await OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW) \
        .send_whatsapp_business_template_message(template_command(name, body))
    assert isinstance(event, WhatsAppBusinessTextMessageSendFailed)
    assert event.code == code and words in event.reason
    assert "{" not in event.reason  # a sentence, not JSON
    assert (await fake.get("/_fake/messages")).json()["messages"] == []
