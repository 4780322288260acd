"""Upcasters for stored events whose class gained a field in a new ``class_version``.

eventsourcing upcasts an old event by calling its class's ``upcast_v<n>_v<n+1>(state)`` on
the stored state before the event is made; a version that only added a field gives it a
value in the older events (``upcast_v1_v2 = field_added("by")``).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

JSON = dict[str, Any]


def field_added(name: str, value: Any = None) -> staticmethod[[JSON], None]:
    """The upcaster of a version that added the field ``name``: older events get ``value``
    (a copy each, so a list or dict is never shared between events)."""

    def upcast(state: JSON) -> None:
        state[name] = deepcopy(value)

    return staticmethod(upcast)


__all__ = ["field_added"]
