"""Customers' media: fetched through the Graph API's media endpoint and kept in the media
store, within a size limit and a type allow-list.

``GET /{media-id}`` answers ``url``, ``mime_type``, ``sha256`` and ``file_size``; the ``url``
gives the bytes with the same bearer token. :class:`MediaFetcher` refuses a file whose type
is not allowed, that is over the limit (by its declared size, or while downloading), that
Meta does not give (a 404: unknown or expired id) or whose bytes do not match the checksum:
nothing is stored and the message says why (``MediaInfo.problem``), so the conversation can
tell the customer in plain words. A Graph API that is away (network, 429, 5xx) raises
:class:`MediaUnavailableError`, a ``RetryLaterError``: the webhook answers 503 and Meta
delivers the notification again later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from typing import Any

import httpx

from helpline.adapters.media_store import MediaStore
from helpline.application.errors import RetryLaterError
from helpline.catalog import CatalogMessage, MediaInfo, WhatsAppBusinessTextMessageReceived
from helpline.catalog.types import MediaProblem

#: The types we keep, by media kind (WhatsApp's supported media types).
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "image": frozenset({"image/jpeg", "image/png"}),
    "sticker": frozenset({"image/webp"}),
    "audio": frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
    "video": frozenset({"video/mp4", "video/3gpp"}),
    "document": frozenset({
        "application/pdf", "text/plain", "application/msword", "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"}),
}
#: What an agent may attach (WhatsApp sends these as ``image`` or ``document``).
OUTBOUND_TYPES: dict[str, str] = {
    "image/jpeg": "image", "image/png": "image",
    **{t: "document" for t in ALLOWED_TYPES["document"]}}
#: How files we show inline or that browsers open begin: their bytes must agree with the type.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",), "application/pdf": (b"%PDF",)}


class MediaUnavailableError(RetryLaterError):
    """The Graph API did not answer in a way that settles it (network, 429, 5xx)."""


class _Refused(Exception):
    def __init__(self, problem: MediaProblem) -> None:
        super().__init__(problem)
        self.problem = problem


def base_type(mime_type: str | None) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``."""
    return (mime_type or "").split(";", 1)[0].strip().lower()


class MediaFetcher:
    """Fetches customers' media from the Graph API into a :class:`MediaStore`."""

    def __init__(self, http: httpx.AsyncClient, *, graph_url: str, api_version: str,
                 access_token: str, store: MediaStore, max_bytes: int) -> None:
        self._http = http
        self._base = f"{graph_url.rstrip('/')}/{api_version.strip('/')}"
        self._auth = {"Authorization": f"Bearer {access_token}"}
        self.store = store
        self.max_bytes = max_bytes

    async def enrich(self, messages: Sequence[CatalogMessage]) -> list[CatalogMessage]:
        """The messages, each media message with its file fetched (or the reason not)."""
        out: list[CatalogMessage] = []
        for m in messages:
            if isinstance(m, WhatsAppBusinessTextMessageReceived) and m.media is not None:
                media = await self.fetch(m.media, wamid=m.wamid, conversation_id=m.correlation_id)
                m = m.model_copy(update={"media": media})
            out.append(m)
        return out

    async def fetch(self, media: MediaInfo, *, wamid: str, conversation_id: str) -> MediaInfo:
        """Fetch and keep one file: ``media`` with ``stored_sha256``, or with ``problem``."""
        entry = self.store.lookup(wamid)
        if entry is not None:  # a redelivered notification: the same message as the first time
            return media.model_copy(update={"stored_sha256": entry["sha256"],
                                            "mime_type": entry["mime_type"],
                                            "file_size": entry["size"]})
        try:
            meta = await self._metadata(media.media_id)
            mime = base_type(meta.get("mime_type") or media.mime_type)
            if mime not in ALLOWED_TYPES.get(media.kind, frozenset()):
                raise _Refused("unsupported_type")
            size = meta.get("file_size")
            if isinstance(size, int) and size > self.max_bytes:
                raise _Refused("too_large")
            data = await self._download(str(meta.get("url", "")))
            _check(data, mime, meta.get("sha256") or media.sha256)
        except _Refused as e:
            return media.model_copy(update={"problem": e.problem})
        digest = self.store.put(data)
        self.store.record(wamid, {"sha256": digest, "mime_type": mime, "kind": media.kind,
                                  "filename": media.filename, "size": len(data),
                                  "conversation_id": conversation_id, "wamid": wamid})
        return media.model_copy(update={"stored_sha256": digest, "mime_type": mime,
                                        "file_size": len(data)})

    async def _metadata(self, media_id: str) -> dict[str, Any]:
        response = await self._get(f"{self._base}/{media_id}")
        try:
            meta = response.json()
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or not isinstance(meta.get("url"), str):
            raise _Refused("not_found")
        return meta

    async def _download(self, url: str) -> bytes:
        try:
            async with self._http.stream("GET", url, headers=self._auth) as response:
                _raise_for(response)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _Refused("too_large")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as e:
            raise MediaUnavailableError(f"media download failed: {type(e).__name__}") from e

    async def _get(self, url: str) -> httpx.Response:
        try:
            response = await self._http.get(url, headers=self._auth)
        except httpx.HTTPError as e:
            raise MediaUnavailableError(f"Graph API media lookup failed: {e!r}") from e
        _raise_for(response)
        return response


def _raise_for(response: httpx.Response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise MediaUnavailableError(f"Graph API answered {response.status_code}")
    if not response.is_success:
        raise _Refused("not_found")


def looks_like(data: bytes, mime: str) -> bool:
    """Whether ``data`` begins the way files of ``mime`` do (for the types we check)."""
    magic = _MAGIC.get(mime)
    return magic is None or data.startswith(magic)


def _check(data: bytes, mime: str, expected: object) -> None:
    if isinstance(expected, str) and expected and not _same_digest(data, expected):
        raise _Refused("checksum_mismatch")
    if not looks_like(data, mime):
        raise _Refused("unsupported_type")


def _same_digest(data: bytes, expected: str) -> bool:
    digest = hashlib.sha256(data).digest()
    if expected.lower() == digest.hex():
        return True
    try:
        return base64.b64decode(expected, validate=True) == digest
    except (binascii.Error, ValueError):
        return False
