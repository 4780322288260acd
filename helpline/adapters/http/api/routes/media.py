"""Customers' files: which transcript lines have one, and serving them to agents; agents'
attachments: ``POST /tickets/{ticket_id}/attachments`` keeps one (allow-listed types whose
bytes agree, at most ``HELPLINE_UPLOAD_MAX_BYTES``) for a reply to name by its SHA-256.

``GET /tickets/{ticket_id}/media/{key}`` (``key``: the hex SHA-256 of the message's wamid,
so no wamid characters reach a path) answers the file to an agent who may see the ticket,
if the file belongs to the ticket's conversation: images ``inline``, anything else as an
``attachment`` download, always with the stored (allow-listed) type and ``nosniff``, and a
sandboxing Content-Security-Policy, so a browser never runs or re-types what a customer sent.
The admin token gets 403 (it is nobody's agent).
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, UploadFile, status
from fastapi.responses import FileResponse

from helpline.adapters.http.api.deps import NOT_YOURS, ApiContext, Caller, Ctx, visible_ticket
from helpline.adapters.http.api.models import AttachmentOut, MediaOut, errors
from helpline.adapters.media_store import sha256_hex
from helpline.adapters.whatsapp.media import OUTBOUND_TYPES, base_type, looks_like
from helpline.catalog import Attachment
from helpline.projections.transcript import Line
from helpline.projections.views import TicketRow

router = APIRouter(tags=["media"])

#: Types the console shows inline; every other file is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def media_of(ctx: ApiContext, row: TicketRow, line: Line) -> MediaOut | None:
    """The stored file of a customer's transcript line, if any."""
    if ctx.media is None or line.author != "customer" or not line.message_id:
        return None
    entry = ctx.media.lookup(line.message_id)
    if entry is None or entry.get("conversation_id") != row.conversation_id:
        return None
    key = sha256_hex(line.message_id.encode())
    return MediaOut(kind=entry["kind"], mime_type=entry["mime_type"],
                    filename=entry.get("filename"), size=entry["size"],
                    url=f"/tickets/{row.ticket_id}/media/{key}")


@router.get("/tickets/{ticket_id}/media/{key}", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "the file"},
                       **errors({404: "no such file here"})})
def get_media(ctx: Ctx, caller: Caller, ticket_id: UUID,
              key: str = Path(pattern=r"^[0-9a-f]{64}$")) -> FileResponse:
    """A customer's file on the ticket's conversation (agents who may see the ticket)."""
    caller.agent_id  # noqa: B018 - raises 403 for the admin
    row = visible_ticket(ctx, caller, ticket_id)
    entry = ctx.media.lookup_hashed(key) if ctx.media is not None else None
    path = ctx.media.blob(str(entry.get("sha256"))) if ctx.media and entry else None
    if entry is None or path is None or entry.get("conversation_id") != row.conversation_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    mime = str(entry["mime_type"])
    inline = mime in INLINE_TYPES
    filename = entry.get("filename") or f"{entry.get('kind', 'file')}-{key[:8]}"
    return FileResponse(
        path, media_type=mime, filename=str(filename),
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
                 "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.post("/tickets/{ticket_id}/attachments", response_model=AttachmentOut,
             status_code=status.HTTP_201_CREATED,
             responses=errors({413: "over the upload limit", 415: "not an allowed type"}))
async def upload_attachment(ctx: Ctx, caller: Caller, ticket_id: UUID,
                            file: UploadFile) -> AttachmentOut:
    """Keep an image (JPEG, PNG) or document (PDF, text, Office) the agent holding the
    ticket will attach to a reply; its bytes must agree with its type."""
    agent_id = caller.agent_id
    row = visible_ticket(ctx, caller, ticket_id)
    if row.agent_id != agent_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS)
    if ctx.media is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "attachments are not kept here")
    mime = base_type(file.content_type)
    kind = OUTBOUND_TYPES.get(mime)
    data = await file.read(ctx.upload_max_bytes + 1)
    if len(data) > ctx.upload_max_bytes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"the file is over {ctx.upload_max_bytes} bytes")
    if kind is None or not data or not looks_like(data, mime):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            "attach a JPEG or PNG image, or a PDF, text or Office document")
    filename = _safe_name(file.filename, kind)
    digest = ctx.media.put(data)
    ctx.media.record(f"upload:{digest}", {"sha256": digest, "mime_type": mime, "kind": kind,
                                          "filename": filename, "size": len(data)})
    return AttachmentOut(attachment_id=digest, kind=kind,
                         mime_type=mime, filename=filename, size=len(data))


def uploaded(ctx: ApiContext, attachment_id: str) -> Attachment:
    """The attachment uploaded as ``attachment_id`` (422 if there is none)."""
    entry = ctx.media.lookup(f"upload:{attachment_id}") if ctx.media is not None else None
    if entry is None or ctx.media is None or ctx.media.blob(attachment_id) is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "unknown attachment: upload the file first")
    return Attachment(kind=entry["kind"], sha256=attachment_id, mime_type=entry["mime_type"],
                      filename=entry.get("filename"), size=entry["size"])


def _safe_name(name: str | None, kind: str) -> str:
    """The file's own name without a path or control characters (at most 200 characters)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"<>|:*?').strip(" .")
    return cleaned[:200] or f"{kind}-file"
