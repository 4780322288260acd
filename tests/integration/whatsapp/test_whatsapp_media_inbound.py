"""Customers' media through the fake Graph API's media endpoint into the media store: kept
when allowed, within the limit and matching its checksum; otherwise nothing is stored and the
message says why (permanent), or the fetch is retried later (the Graph API away)."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from helpline.adapters.media_store import MediaStore
from helpline.adapters.whatsapp.media import MediaFetcher, MediaUnavailableError
from helpline.catalog import MediaInfo

TOKEN = "integration-test-access-token"  # the fake Graph API's (conftest.py)

pytestmark = pytest.mark.integration


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (red pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@pytest.fixture
async def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
async def fetcher(fake_graph_url: str, store: MediaStore) -> AsyncIterator[MediaFetcher]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield MediaFetcher(http, graph_url=fake_graph_url, api_version="v23.0",
                           access_token=TOKEN, store=store, max_bytes=4096)


async def add(fake: httpx.AsyncClient, content: bytes, mime: str, **extra: str) -> str:
    response = await fake.post("/_fake/media", json={
        "content_b64": base64.b64encode(content).decode(), "mime_type": mime, **extra})
    response.raise_for_status()
    media_id: str = response.json()["id"]
    return media_id


async def test_an_image_is_kept_by_its_sha256_and_indexed_by_its_wamid(
        fake: httpx.AsyncClient, fetcher: MediaFetcher, store: MediaStore) -> None:
    image = png()
    media_id = await add(fake, image, "image/png")
    media = await fetcher.fetch(MediaInfo(kind="image", media_id=media_id),
                                wamid="wamid.img.1", conversation_id="conv-1")
    digest = hashlib.sha256(image).hexdigest()
    assert media.stored_sha256 == digest and media.problem is None
    assert store.read(digest) == image
    entry = store.lookup("wamid.img.1")
    assert entry is not None
    assert (entry["mime_type"], entry["conversation_id"], entry["size"]) == (
        "image/png", "conv-1", len(image))


async def test_a_document_with_meta_s_base64_checksum_is_kept(
        fake: httpx.AsyncClient, fetcher: MediaFetcher, store: MediaStore) -> None:
    pdf = b"%PDF-1.4 invoice"
    b64 = base64.b64encode(hashlib.sha256(pdf).digest()).decode()
    media_id = await add(fake, pdf, "application/pdf", filename="invoice.pdf", sha256=b64)
    media = await fetcher.fetch(MediaInfo(kind="document", media_id=media_id,
                                          filename="invoice.pdf"),
                                wamid="wamid.doc.1", conversation_id="conv-1")
    assert media.stored_sha256 == hashlib.sha256(pdf).hexdigest()


@pytest.mark.parametrize(("content", "mime", "kind", "extra", "problem"), [
    (b"x" * 5000, "application/pdf", "document", {}, "too_large"),
    (b"MZ\x90\x00 a program", "application/x-msdownload", "document", {}, "unsupported_type"),
    (b"<html>not an image</html>", "image/png", "image", {}, "unsupported_type"),
    (b"%PDF-1.4 tampered", "application/pdf", "document", {"sha256": "0" * 64},
     "checksum_mismatch"),
])
async def test_refused_media_is_not_stored_and_says_why(
        fake: httpx.AsyncClient, fetcher: MediaFetcher, store: MediaStore, content: bytes,
        mime: str, kind: str, extra: dict[str, str], problem: str) -> None:
    media_id = await add(fake, content, mime, **extra)
    media = await fetcher.fetch(MediaInfo(kind=kind, media_id=media_id),  # type: ignore[arg-type]
                                wamid="wamid.bad", conversation_id="conv-1")
    assert (media.problem, media.stored_sha256) == (problem, None)
    assert store.files() == []


async def test_a_media_id_the_graph_api_404s_is_not_found_and_nothing_is_stored(
        fake: httpx.AsyncClient, fetcher: MediaFetcher, store: MediaStore) -> None:
    media = await fetcher.fetch(MediaInfo(kind="image", media_id="999"),
                                wamid="wamid.gone", conversation_id="conv-1")
    assert media.problem == "not_found"
    assert store.files() == []


async def test_a_graph_api_that_is_away_is_retried_later_not_recorded(
        store: MediaStore) -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        away = MediaFetcher(http, graph_url="http://127.0.0.1:9", api_version="v23.0",
                            access_token=TOKEN, store=store, max_bytes=4096)
        with pytest.raises(MediaUnavailableError):
            await away.fetch(MediaInfo(kind="image", media_id="1"), wamid="wamid.x",
                             conversation_id="conv-1")
    assert store.files() == []


async def test_a_redelivered_notification_yields_the_same_media_without_a_download(
        fake: httpx.AsyncClient, fetcher: MediaFetcher, store: MediaStore) -> None:
    media_id = await add(fake, png(), "image/png")
    info = MediaInfo(kind="image", media_id=media_id)
    first = await fetcher.fetch(info, wamid="wamid.again", conversation_id="conv-1")
    downloads = (await fake.get("/_fake/media/uploads")).json()["downloads"]
    again = await fetcher.fetch(info, wamid="wamid.again", conversation_id="conv-1")
    assert again == first
    assert (await fake.get("/_fake/media/uploads")).json()["downloads"] == downloads
