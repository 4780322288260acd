"""API models built from a projection row's dataclass fields (``row_fields``): the row's
names, types, defaults and order, less what is hidden, with the API's narrower types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pytest
from pydantic import ValidationError

from helpline.adapters.http.api.row_models import row_fields

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Row:
    key: str
    state: str
    at: str
    secret: str | None
    tags: tuple[str, ...] = field(default_factory=tuple)
    size: int = 3


class Out(row_fields(Row, hide=("secret",),  # type: ignore[misc]  # a run-time base
                     types={"state": Literal["on", "off"], "at": datetime})):
    extra: bool = False


def test_the_fields_are_the_rows_in_its_order_less_the_hidden_then_the_models_own() -> None:
    assert list(Out.model_fields) == ["key", "state", "at", "tags", "size", "extra"]
    required = [name for name, f in Out.model_fields.items() if f.is_required()]
    assert required == ["key", "state", "at"]


def test_defaults_and_default_factories_come_from_the_row() -> None:
    out = Out(key="k", state="on", at="2024-05-01T10:00:00+00:00")
    assert (out.tags, out.size, out.extra) == ((), 3, False)
    assert out.at == datetime.fromisoformat("2024-05-01T10:00:00+00:00")


def test_the_api_type_is_the_one_checked_where_it_narrows_the_rows() -> None:
    with pytest.raises(ValidationError, match="state"):
        Out(key="k", state="maybe", at="2024-05-01T10:00:00+00:00")
    assert Out.model_json_schema()["properties"]["state"]["enum"] == ["on", "off"]


def test_a_hidden_field_is_not_taken_even_when_given() -> None:
    out = Out(key="k", state="on", at="2024-05-01T10:00:00+00:00", secret="s")
    assert "secret" not in out.model_dump()


@pytest.mark.parametrize("options", [{"hide": ("secrets",)}, {"types": {"stat": int}}])
def test_a_name_the_row_lacks_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=r"Row has no field (secrets|stat)"):
        row_fields(Row, **options)
