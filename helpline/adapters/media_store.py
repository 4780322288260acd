"""Media files on disk, content-addressed: ``blobs/<ab>/<sha256>`` holds the bytes, and
``index/<key>.json`` what a customer's message or an agent's upload says about them (type,
file name, conversation). Files are written to a temporary name and renamed, so a reader
never sees half a file, and the same bytes are kept once however often they arrive.

Every process of a deployment must see the same directory (``HELPLINE_MEDIA_DIR``): ms-whatsapp
writes customers' files and reads agents' uploads; the agent API does the opposite.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

_HEX = frozenset("0123456789abcdef")


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data`` (its address in the store)."""
    return hashlib.sha256(data).hexdigest()


def is_sha256(value: str) -> bool:
    """Whether ``value`` is a hex SHA-256 (so it is safe as a file name)."""
    return len(value) == 64 and set(value) <= _HEX


class MediaStore:
    """Content-addressed files under ``root`` with a small JSON index by key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        """Keep ``data`` (once) and return its hex SHA-256."""
        digest = sha256_hex(data)
        path = self._blob(digest)
        if not path.exists():
            _write_atomically(path, data)
        return digest

    def blob(self, digest: str) -> Path | None:
        """The file holding the bytes of ``digest``, if kept."""
        if not is_sha256(digest):
            return None
        path = self._blob(digest)
        return path if path.is_file() else None

    def read(self, digest: str) -> bytes | None:
        """The bytes of ``digest``, if kept."""
        path = self.blob(digest)
        return path.read_bytes() if path is not None else None

    def record(self, key: str, entry: dict[str, Any]) -> None:
        """Index ``entry`` (JSON) under ``key`` (any string: a wamid, an upload id)."""
        _write_atomically(self._entry(key), json.dumps(entry, sort_keys=True).encode())

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The entry indexed under ``key``, if any."""
        return self._read_entry(self._entry(key))

    @staticmethod
    def _read_entry(path: Path) -> dict[str, Any] | None:
        try:
            entry: dict[str, Any] = json.loads(path.read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        return entry

    def lookup_hashed(self, hashed_key: str) -> dict[str, Any] | None:
        """The entry indexed under the key whose hex SHA-256 is ``hashed_key`` (URLs carry
        the hash, never the key itself)."""
        if not is_sha256(hashed_key):
            return None
        return self._read_entry(self.root / "index" / f"{hashed_key}.json")

    def files(self) -> list[Path]:
        """Every file in the store (tests check nothing was stored)."""
        return sorted(p for p in self.root.rglob("*") if p.is_file()) if self.root.exists() else []

    def _blob(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def _entry(self, key: str) -> Path:
        return self.root / "index" / f"{sha256_hex(key.encode())}.json"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
