"""The media endpoints of the fake Graph API (mounted by ``fake_graph.create_fake_graph_app``).

Like Meta's Cloud API:

- ``GET /{version}/{media-id}`` (bearer token): ``{"url", "mime_type", "sha256", "file_size",
  "id", "messaging_product"}``, or 404 with Meta's error for an unknown id; the ``url``
  answers the bytes only with the same bearer token (401 otherwise);
- ``POST /{version}/{phone-number-id}/media`` (multipart: ``messaging_product=whatsapp``,
  ``type`` and ``file``) keeps an upload within Meta's size limits and answers ``{"id"}``;
- sends of ``type: "image" | "document"`` by ``{"id"}`` must name a media id it holds.

Test hooks: ``POST /_fake/media`` (``{"content_b64", "mime_type", "filename"?, "sha256"?}``,
``sha256`` overriding the true one to test checksums) adds a customer's file and answers its
id; ``GET /_fake/media/uploads`` lists the uploads (without their bytes).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

#: Meta's upload limits per media type (bytes) and the types it accepts for each.
UPLOAD_LIMITS: dict[str, int] = {"image": 5 * 1024 * 1024, "document": 100 * 1024 * 1024,
                                 "audio": 16 * 1024 * 1024, "video": 16 * 1024 * 1024,
                                 "sticker": 500 * 1024}
UPLOAD_TYPES: dict[str, str] = {
    "image/jpeg": "image", "image/png": "image", "image/webp": "sticker",
    "application/pdf": "document", "text/plain": "document", "application/msword": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
    "application/vnd.ms-excel": "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "document",
    "audio/ogg": "audio", "audio/mpeg": "audio", "video/mp4": "video",
}
MEDIA_SEND_TYPES = frozenset({"image", "document"})


class FakeMediaIn(BaseModel):
    """A customer's file for the fake to serve."""

    content_b64: str
    mime_type: str = Field(min_length=3)
    filename: str | None = None
    sha256: str | None = None
    """What the metadata reports (default: the true hex SHA-256)."""


@dataclass
class FakeMedia:
    """The files the fake holds: customers' (added by tests) and businesses' uploads."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    downloads: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(4_000_001))

    def add(self, content: bytes, mime_type: str, filename: str | None = None,
            sha256: str | None = None) -> str:
        """Keep a file and return its new media id."""
        media_id = str(next(self._ids))
        self.files[media_id] = {"content": content, "mime_type": mime_type,
                                "filename": filename,
                                "sha256": sha256 or hashlib.sha256(content).hexdigest()}
        return media_id

    def validate_send(self, body: dict[str, Any]) -> str | None:
        """Why a media send is not of Meta's documented shape, or ``None``."""
        kind = body["type"]
        media = body.get(kind)
        allowed = {"id", "caption"} | ({"filename"} if kind == "document" else set())
        if not isinstance(media, dict) or set(media) - allowed or "id" not in media:
            return f"{kind} must be an object with id and optional {sorted(allowed - {'id'})}"
        if not all(isinstance(v, str) for v in media.values()):
            return f"{kind} fields must be strings"
        if media["id"] not in self.files:
            return f"{kind}.id {media['id']!r} is not a media id of this business"
        if len(media.get("caption", "")) > 1024:
            return f"{kind}.caption must be at most 1024 characters"
        return None


def add_media_routes(app: FastAPI, media: FakeMedia, access_token: str,
                     error: Callable[..., JSONResponse]) -> None:
    """The media routes, on ``app`` (``error(status, code, message, details)`` answers in
    Meta's error shape)."""

    def authorised(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {access_token}"

    @app.post("/_fake/media")
    async def add_customer_media(body: FakeMediaIn) -> dict[str, str]:
        content = base64.b64decode(body.content_b64)
        return {"id": media.add(content, body.mime_type, body.filename, body.sha256)}

    @app.get("/_fake/media/uploads")
    async def list_uploads() -> dict[str, Any]:
        return {"uploads": media.uploads, "downloads": media.downloads}

    @app.get("/_fake/media/{media_id}/download", name="fake_media_download")
    async def download(media_id: str, request: Request) -> Response:
        if not authorised(request):
            return error(401, 190, "Invalid OAuth access token")
        found = media.files.get(media_id)
        if found is None:
            return Response(status_code=404)
        media.downloads += 1
        return Response(found["content"], media_type=found["mime_type"])

    @app.post("/{version}/{phone_number_id}/media")
    async def upload(version: str, phone_number_id: str, request: Request) -> Response:
        if not authorised(request):
            return error(401, 190, "Invalid OAuth access token")
        problem, record = await _read_upload(request)
        if problem is not None:
            return error(400, 100, "Invalid parameter", problem)
        media_id = media.add(record.pop("content"), record["mime_type"], record["filename"])
        media.uploads.append({**record, "id": media_id, "phone_number_id": phone_number_id})
        return JSONResponse({"id": media_id})

    @app.get("/{version}/{media_id}")
    async def metadata(version: str, media_id: str, request: Request) -> Response:
        if not authorised(request):
            return error(401, 190, "Invalid OAuth access token")
        found = media.files.get(media_id)
        if found is None:
            return error(404, 100, "Unsupported get request.",
                         f"Object with ID '{media_id}' does not exist")
        url = str(request.url_for("fake_media_download", media_id=media_id))
        return JSONResponse({"messaging_product": "whatsapp", "url": url,
                             "mime_type": found["mime_type"], "sha256": found["sha256"],
                             "file_size": len(found["content"]), "id": media_id})


async def _read_upload(request: Request) -> tuple[str | None, dict[str, Any]]:
    form = await request.form(max_part_size=101 * 1024 * 1024)
    file = form.get("file")
    if form.get("messaging_product") != "whatsapp":
        return "messaging_product must be 'whatsapp'", {}
    if file is None or isinstance(file, str):
        return "file must be a file part", {}
    mime = str(form.get("type") or file.content_type or "")
    kind = UPLOAD_TYPES.get(mime)
    if kind is None:
        return f"type {mime!r} is not a supported media type", {}
    content = await file.read()
    if not content or len(content) > UPLOAD_LIMITS[kind]:
        return f"a {kind} must be 1 to {UPLOAD_LIMITS[kind]} bytes, got {len(content)}", {}
    return None, {"content": content, "mime_type": mime, "filename": file.filename,
                  "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
