"""Customers' files: which transcript lines have one, and serving them to agents.

``GET /tickets/{ticket_id}/media/{key}`` (``key``: the hex SHA-256 of the message's wamid,
so no wamid characters reach a path) answers the file to an agent who may see the ticket,
if the file belongs to the ticket's conversation: images ``inline``, anything else as an
``attachment`` download, always with the stored (allow-listed) type and ``nosniff``, and a
sandboxing Content-Security-Policy, so a browser never runs or re-types what a customer sent.
The admin token gets 403 (it is nobody's agent).
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import FileResponse

from helpline.adapters.http.api.deps import ApiContext, Caller, Ctx, visible_ticket
from helpline.adapters.http.api.models import Error, MediaOut
from helpline.adapters.media_store import sha256_hex
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
                       404: {"model": Error, "description": "no such file here"}})
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
