"""The upcaster of a version that only added a field."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.domain.upcasting import field_added

pytestmark = pytest.mark.unit


def test_older_events_get_the_value_and_never_share_it() -> None:
    class Event:
        upcast_v1_v2 = field_added("tags", [])

    first: dict[str, Any] = {"text": "hola"}
    second: dict[str, Any] = {}
    Event.upcast_v1_v2(first)
    Event.upcast_v1_v2(second)
    assert first == {"text": "hola", "tags": []} and second == {"tags": []}
    first["tags"].append("vip")
    assert second["tags"] == []  # each event has its own list
