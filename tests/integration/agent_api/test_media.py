"""Customers' media in the agent API: a transcript line names its stored file, and the file
is served to the agents who may see the ticket only, with its own type, never sniffed, and
documents as downloads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from helpline.adapters.media_store import MediaStore
from helpline.catalog import MediaInfo, WhatsAppBusinessTextMessageReceived
from helpline.domain.ids import conversation_id_for

from .conftest import ADMIN, PHONE, Api

PNG = b"\x89PNG\r\n\x1a\n" + b"fake image body"
PDF = b"%PDF-1.4 invoice"


def send_media(api: Api, tmp_path: Path, kind: str, data: bytes, mime: str,
               filename: str | None = None) -> str:
    """The customer sends a file ms-whatsapp stored; returns its wamid."""
    wamid = f"wamid.{uuid4().hex}"
    store = MediaStore(tmp_path / "media")
    digest = store.put(data)
    conversation = str(conversation_id_for(PHONE))
    store.record(wamid, {"sha256": digest, "mime_type": mime, "kind": kind,
                         "filename": filename, "size": len(data),
                         "conversation_id": conversation, "wamid": wamid})
    at = datetime.now(UTC)
    api.publish([WhatsAppBusinessTextMessageReceived(
        message_id=uuid4(), correlation_id=conversation, occurred_at=at, wamid=wamid,
        phone_number_id="106540352242922", sender_phone=PHONE, message_type=kind,  # type: ignore[arg-type]
        text=f"[{kind}]", sent_at=at, media=MediaInfo(
            kind=kind, media_id="1", mime_type=mime, filename=filename,  # type: ignore[arg-type]
            stored_sha256=digest))])
    api.projections.catch_up()
    return wamid


def media_of(api: Api, ticket_id: str, token: str, wamid: str) -> dict[str, object]:
    detail = api.call("GET", f"/api/v1/tickets/{ticket_id}", token).json()
    (line,) = [t for t in detail["transcript"] if t["message_id"] == wamid]
    media: dict[str, object] = line["media"]
    return media


def test_an_image_is_served_inline_to_the_agent_holding_the_ticket(
        api: Api, tmp_path: Path) -> None:
    _, token = api.agent("marta")
    ticket_id = api.escalate()
    wamid = send_media(api, tmp_path, "image", PNG, "image/png")
    media = media_of(api, ticket_id, token, wamid)
    assert (media["kind"], media["mime_type"]) == ("image", "image/png")
    response = api.call("GET", f"/api/v1{media['url']}", token)
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline")


def test_a_document_is_a_download_with_its_file_name(api: Api, tmp_path: Path) -> None:
    _, token = api.agent("marta")
    ticket_id = api.escalate()
    wamid = send_media(api, tmp_path, "document", PDF, "application/pdf", "factura 7.pdf")
    media = media_of(api, ticket_id, token, wamid)
    assert media["filename"] == "factura 7.pdf"
    response = api.call("GET", f"/api/v1{media['url']}", token)
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment")
    assert "factura" in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_only_agents_who_may_see_the_ticket_get_the_file(api: Api, tmp_path: Path) -> None:
    _, token = api.agent("marta")
    ticket_id = api.escalate()
    wamid = send_media(api, tmp_path, "image", PNG, "image/png")
    url = f"/api/v1{media_of(api, ticket_id, token, wamid)['url']}"
    _, stranger = api.agent("pablo")
    # pablo is online too but the ticket is marta's (she took it first).
    assert api.call("GET", url).status_code == 401
    assert api.call("GET", url, ADMIN).status_code == 403
    assert api.call("GET", url, stranger).status_code == 403
    other = url.rsplit("/", 1)[0] + "/" + "0" * 64
    assert api.call("GET", other, token).status_code == 404


def test_an_agent_attaches_a_document_and_it_goes_out_with_the_reply(api: Api) -> None:
    _, token = api.agent("marta")
    ticket_id = api.escalate()
    api.projections.catch_up()
    response = api.client.post(f"/api/v1/tickets/{ticket_id}/attachments",
                               headers={"Authorization": f"Bearer {token}"},
                               files={"file": ("factura.pdf", PDF, "application/pdf")})
    assert response.status_code == 201, response.text
    uploaded = response.json()
    assert (uploaded["kind"], uploaded["mime_type"], uploaded["filename"], uploaded["size"]) == (
        "document", "application/pdf", "factura.pdf", len(PDF))
    reply = api.call("POST", f"/api/v1/tickets/{ticket_id}/replies", token,
                     json={"text": "Tu factura", "attachment_id": uploaded["attachment_id"]})
    assert reply.status_code == 202, reply.text
    send = api.sender.sent[-1]
    assert send.attachment is not None and send.text == "Tu factura"
    assert (send.attachment.kind, send.attachment.sha256, send.attachment.filename) == (
        "document", uploaded["attachment_id"], "factura.pdf")


def test_attachments_outside_the_allow_list_or_the_limit_are_refused(
        api: Api, tmp_path: Path) -> None:
    _, token = api.agent("marta")
    ticket_id = api.escalate()
    url = f"/api/v1/tickets/{ticket_id}/attachments"
    auth = {"Authorization": f"Bearer {token}"}
    for name, data, mime in [("run.exe", b"MZ\x90\x00", "application/x-msdownload"),
                             ("page.html", b"<script>alert(1)</script>", "text/html"),
                             ("fake.png", b"<svg onload=alert(1)>", "image/png")]:
        response = api.client.post(url, headers=auth, files={"file": (name, data, mime)})
        assert response.status_code == 415, (name, response.text)
    big = b"%PDF" + b"x" * (5 * 1024 * 1024)
    response = api.client.post(url, headers=auth,
                               files={"file": ("big.pdf", big, "application/pdf")})
    assert response.status_code == 413
    assert MediaStore(tmp_path / "media").files() == []
    unknown = api.call("POST", f"/api/v1/tickets/{ticket_id}/replies", token,
                       json={"text": "hola", "attachment_id": "0" * 64})
    assert unknown.status_code == 422
    assert api.call("POST", url, ADMIN).status_code in (403, 422)
