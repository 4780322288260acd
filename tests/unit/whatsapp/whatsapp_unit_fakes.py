"""Fakes and constants shared by the WhatsApp edge's unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from helpline.catalog import CatalogMessage

APP_SECRET = "unit-test-app-secret"
VERIFY_TOKEN = "unit-test-verify-token"


class RecordingPublish:
    """An in-memory ``publish``: keeps every batch; raises when told to fail."""

    def __init__(self) -> None:
        self.batches: list[list[CatalogMessage]] = []
        self.fail = False

    async def __call__(self, messages: Sequence[CatalogMessage]) -> None:
        if self.fail:
            raise ConnectionError("JetStream did not acknowledge")
        self.batches.append(list(messages))

    @property
    def messages(self) -> list[CatalogMessage]:
        return [m for batch in self.batches for m in batch]
