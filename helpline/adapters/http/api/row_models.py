"""API models that follow a projection's row: their fields are the row's dataclass fields
(names, types, defaults, order), so the agent API does not restate what a row holds.

The API model subclasses what :func:`row_fields` builds and declares only what the API adds
(a computed field) or shows otherwise. A field added to the row is thereby published too;
``tests/integration/agent_api/test_openapi_schema.py`` pins the published models, so that
is always a deliberate change of the contract.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, Field, create_model

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def row_fields(row: type[DataclassInstance], *, hide: Collection[str] = (),
               types: Mapping[str, Any] | None = None) -> type[BaseModel]:
    """A pydantic model with the dataclass fields of ``row``, to subclass.

    ``hide``: the row's fields the API does not publish (or publishes computed, under a name
    of its own); ``types``: the type the API documents for a field, where it says more than
    the row's (a ``Literal`` for a ``str``, a ``datetime`` for an ISO text). A name ``row``
    does not have raises ``TypeError``: renaming a row's field must not silently publish
    what was hidden or widen what was narrowed.
    """
    types = types or {}
    hints = get_type_hints(row)
    unknown = (set(hide) | set(types)) - {f.name for f in fields(row)}
    if unknown:
        raise TypeError(f"{row.__name__} has no field {', '.join(sorted(unknown))}")
    definitions: dict[str, Any] = {}
    for f in fields(row):
        if f.name in hide:
            continue
        if f.default_factory is not MISSING:
            default: Any = Field(default_factory=f.default_factory)
        else:
            default = ... if f.default is MISSING else f.default
        definitions[f.name] = (types.get(f.name, hints[f.name]), default)
    return create_model(f"{row.__name__}Fields", __module__=__name__,
                        __doc__=f"The fields of {row.__name__}.", **definitions)
