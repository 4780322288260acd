"""An agent's document or image through the fake Graph API: uploaded (``POST /media``), then
sent by its media id, each step claimed and completed in the send ledger, so a redelivered
command neither uploads nor sends twice, also when it fails or crashes between the two."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpline.adapters.media_store import MediaStore
from helpline.adapters.whatsapp.graph_client import GraphClient, TransientSendError
from helpline.adapters.whatsapp.ledger import MemorySendLedger, SqliteSendLedger
from helpline.adapters.whatsapp.outbound import OutboundWhatsApp, SendInProgressError
from helpline.catalog import (
    Attachment,
    SendWhatsAppBusinessTextMessage,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
)

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
PDF = b"%PDF-1.4\n% factura 1234\n"


def command(store: MediaStore, text: str = "Aquí tienes tu factura", data: bytes = PDF,
            kind: str = "document", mime: str = "application/pdf"
            ) -> SendWhatsAppBusinessTextMessage:
    digest = store.put(data)
    return SendWhatsAppBusinessTextMessage.model_validate({
        **SendWhatsAppBusinessTextMessage.example, "message_id": str(uuid.uuid4()),
        "text": text, "author": "agent", "customer_last_message_at": NOW - timedelta(minutes=1),
        "attachment": Attachment(kind=kind, sha256=digest, mime_type=mime,  # type: ignore[arg-type]
                                 filename="factura-1234.pdf" if kind == "document" else None,
                                 size=len(data))})


async def seen(fake: httpx.AsyncClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    uploads = (await fake.get("/_fake/media/uploads")).json()["uploads"]
    messages = (await fake.get("/_fake/messages")).json()["messages"]
    return uploads, messages


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


async def test_a_document_is_uploaded_then_sent_by_its_id_once_however_often_redelivered(
        graph: GraphClient, fake: httpx.AsyncClient, store: MediaStore, tmp_path: Path) -> None:
    cmd = command(store)
    ledger = SqliteSendLedger(tmp_path / "ledger.sqlite")
    service = OutboundWhatsApp(graph, ledger, clock=lambda: NOW, media=store)
    outcomes = [await service.send_whatsapp_business_text_message(cmd) for _ in range(3)]
    ledger.close()
    uploads, messages = await seen(fake)
    assert [(u["mime_type"], u["filename"], u["size"]) for u in uploads] == [
        ("application/pdf", "factura-1234.pdf", len(PDF))]
    (sent,) = messages
    assert sent["type"] == "document" and sent["media"] == {
        "id": uploads[0]["id"], "caption": "Aquí tienes tu factura",
        "filename": "factura-1234.pdf"}
    assert sent["callback_data"] == f"{cmd.message_id}:0"
    assert all(isinstance(o[0], WhatsAppBusinessTextMessageSent) for o in outcomes)
    assert outcomes[0] == outcomes[1] == outcomes[2]


async def test_a_send_that_fails_after_the_upload_reuses_the_uploaded_media_id(
        graph: GraphClient, fake: httpx.AsyncClient, store: MediaStore) -> None:
    cmd = command(store, data=b"\x89PNG\r\n\x1a\n tiny", kind="image", mime="image/png")
    service = OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW, media=store)
    await fake.post("/_fake/errors", json={"code": 130429, "times": 3})
    with pytest.raises(TransientSendError):  # throttled: the redelivery comes later
        await service.send_whatsapp_business_text_message(cmd)
    (sent,) = await service.send_whatsapp_business_text_message(cmd)
    uploads, messages = await seen(fake)
    assert len(uploads) == 1
    assert [(m["type"], m["media"]["id"]) for m in messages] == [("image", uploads[0]["id"])]
    assert isinstance(sent, WhatsAppBusinessTextMessageSent)


class CrashAfterUpload(MemorySendLedger):
    """A ledger whose process dies right after the upload, before recording its media id."""

    crashed = False

    async def complete_part(self, command_id: str, part: int, wamid: str) -> None:
        if part < 0 and not self.crashed:
            self.crashed = True
            raise RuntimeError("killed between upload and send")
        await super().complete_part(command_id, part, wamid)


async def test_a_crash_between_upload_and_send_never_sends_twice(
        graph: GraphClient, fake: httpx.AsyncClient, store: MediaStore) -> None:
    cmd = command(store)
    ledger = CrashAfterUpload()
    clock = [NOW]
    service = OutboundWhatsApp(graph, ledger, clock=lambda: clock[0], media=store,
                               lease=timedelta(minutes=2))
    with pytest.raises(RuntimeError):
        await service.send_whatsapp_business_text_message(cmd)
    with pytest.raises(SendInProgressError):  # within the lease: the upload may be running
        await service.send_whatsapp_business_text_message(cmd)
    clock[0] = NOW + timedelta(minutes=3)  # the lease ran out: upload again, then send
    (sent,) = await service.send_whatsapp_business_text_message(cmd)
    uploads, messages = await seen(fake)
    assert len(uploads) == 2  # an unused upload is Meta's to forget; the customer sees one
    assert [m["media"]["id"] for m in messages] == [uploads[1]["id"]]
    assert isinstance(sent, WhatsAppBusinessTextMessageSent)


async def test_a_long_text_goes_after_the_document_and_a_missing_file_fails_plainly(
        graph: GraphClient, fake: httpx.AsyncClient, store: MediaStore, tmp_path: Path) -> None:
    service = OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW, media=store)
    long = "Detalle de la factura. " * 60  # over WhatsApp's 1,024-character caption
    (sent,) = await service.send_whatsapp_business_text_message(command(store, text=long))
    _, messages = await seen(fake)
    assert [m["type"] for m in messages] == ["document", "text"]
    assert "caption" not in messages[0]["media"] and messages[1]["body"] == long.strip()
    assert isinstance(sent, WhatsAppBusinessTextMessageSent) and len(sent.wamids) == 2
    elsewhere = OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW,
                                 media=MediaStore(tmp_path / "empty"))
    (failed,) = await elsewhere.send_whatsapp_business_text_message(command(store))
    assert isinstance(failed, WhatsAppBusinessTextMessageSendFailed)
    assert "not in the media store" in failed.reason
