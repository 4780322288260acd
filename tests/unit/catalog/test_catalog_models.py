"""(c) The message models: examples, unknown fields, phones, texts and ids.

Fields are found from the models' type hints (``Phone``, ``Text``, ``Id``), not from a list kept
by hand, so a new message is checked as soon as its class is defined in a message module
(``MESSAGES`` collects it). A documented alias counts as the type it documents
(``ConversationId`` is an ``Id``).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from helpline.catalog import MAX_TEXT_LENGTH, MESSAGES, CatalogMessage, normalise_phone
from helpline.catalog.types import Id, Phone, Text

pytestmark = pytest.mark.unit

IDS = [m.catalog_id for m in MESSAGES]


def _undocumented(hint: Any) -> Any:
    """``hint`` without the ``Field(description=...)`` a documented alias adds to it."""
    if get_origin(hint) is not Annotated:
        return hint
    kept = [m for m in hint.__metadata__ if not isinstance(m, FieldInfo)]
    return Annotated[hint.__origin__, *kept] if kept else hint.__origin__


def _fields(model: type[BaseModel], alias: Any) -> list[str]:
    """Fields of ``model`` typed ``alias`` or ``alias | None`` (or a documented alias of it)."""
    found = []
    for name, hint in get_type_hints(model, include_extras=True).items():
        if name not in model.model_fields:
            continue
        hint = _undocumented(hint)
        options = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
        if alias in options:
            found.append(name)
    return found


def _cases(alias: Any) -> list[tuple[type[CatalogMessage], str]]:
    return [(m, f) for m in MESSAGES for f in _fields(m, alias)]


def _errors(cls: type[BaseModel], data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as info:
        cls.model_validate(data)
    return [dict(e) for e in info.value.errors()]


@pytest.mark.parametrize("cls", MESSAGES, ids=IDS)
def test_example_validates_and_round_trips(cls: type[CatalogMessage]) -> None:
    msg = cls.from_example()
    assert cls.model_validate_json(msg.to_json()) == msg
    assert msg.model_dump(mode="json", exclude_unset=True).keys() <= cls.example.keys()


@pytest.mark.parametrize("cls", MESSAGES, ids=IDS)
def test_unknown_field_is_rejected_with_its_name(cls: type[CatalogMessage]) -> None:
    errors = _errors(cls, {**cls.example, "unexpected_field": 1})
    assert [(e["type"], e["loc"]) for e in errors] == [("extra_forbidden", ("unexpected_field",))]


@pytest.mark.parametrize("cls", MESSAGES, ids=IDS)
def test_examples_share_the_envelope(cls: type[CatalogMessage]) -> None:
    msg = cls.from_example()
    assert msg.occurred_at.tzinfo is not None
    assert msg.causation_id != str(msg.message_id)


def test_the_hint_scan_finds_the_fields_it_should() -> None:
    # Guards the scan itself: if it found nothing, the tests below would pass vacuously.
    assert len(_cases(Phone)) >= 8
    assert len(_cases(Text)) >= 4
    assert len(_cases(Id)) >= 30


@pytest.mark.parametrize(("cls", "field"), _cases(Phone), ids=lambda v: getattr(v, "catalog_id", v))
def test_phone_fields_normalise_to_e164_digits(cls: type[CatalogMessage], field: str) -> None:
    for written in ("+34 600 12-34-56", "0034 600 123 456", "(34) 600.123.456"):
        msg = cls.model_validate({**cls.example, field: written})
        assert getattr(msg, field) == "34600123456"
    errors = _errors(cls, {**cls.example, field: "600 12"})
    assert errors[0]["loc"] == (field,)
    assert "8 to 15 digits" in errors[0]["msg"]


def test_nested_phones_are_normalised_too() -> None:
    with_customer = [m for m in MESSAGES if m.example.get("customer")]
    assert with_customer
    for cls in with_customer:
        customer = {**cls.example["customer"], "phone": "+34 600-123-456"}
        msg = cls.model_validate({**cls.example, "customer": customer})
        assert msg.model_dump()["customer"]["phone"] == "34600123456"
        errors = _errors(cls, {**cls.example, "customer": {**customer, "phone": "12"}})
        assert errors[0]["loc"] == ("customer", "phone")


@pytest.mark.parametrize(
    ("written", "problem"),
    [("0600123456", "country code"), ("+34 600 ABC 456", "only digits"), ("123", "8 to 15"),
     ("1234567890123456", "8 to 15")],
)
def test_normalise_phone_rejects_with_a_clear_reason(written: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        normalise_phone(written)


@pytest.mark.parametrize(("cls", "field"), _cases(Text), ids=lambda v: getattr(v, "catalog_id", v))
def test_texts_are_1_to_4096_characters(cls: type[CatalogMessage], field: str) -> None:
    assert getattr(cls.model_validate({**cls.example, field: "x" * MAX_TEXT_LENGTH}), field)
    assert getattr(cls.model_validate({**cls.example, field: "ok"}), field) == "ok"
    for bad, kind in (("", "string_too_short"), ("   ", "string_too_short"),
                      ("x" * (MAX_TEXT_LENGTH + 1), "string_too_long")):
        errors = _errors(cls, {**cls.example, field: bad})
        assert [(e["type"], e["loc"]) for e in errors] == [(kind, (field,))]


@pytest.mark.parametrize(("cls", "field"), _cases(Id), ids=lambda v: getattr(v, "catalog_id", v))
def test_ids_are_not_empty(cls: type[CatalogMessage], field: str) -> None:
    for bad in ("", "  "):
        errors = _errors(cls, {**cls.example, field: bad})
        assert [(e["type"], e["loc"]) for e in errors] == [("string_too_short", (field,))]
        assert "at least 1 character" in errors[0]["msg"]


@pytest.mark.parametrize("cls", MESSAGES, ids=IDS)
def test_required_fields_are_named_when_missing(cls: type[CatalogMessage]) -> None:
    errors = _errors(cls, {})
    missing = {e["loc"][0] for e in errors if e["type"] == "missing"}
    assert missing == {n for n, f in cls.model_fields.items() if f.is_required()}


def test_examples_tell_one_causal_story() -> None:
    by_id = {str(m.from_example().message_id): m for m in MESSAGES}
    assert len(by_id) == len(MESSAGES), "two examples share a message_id"
    assert len({m.example["correlation_id"] for m in MESSAGES}) == 1
    for cls in MESSAGES:
        cause = cls.example["causation_id"]
        assert cause is None or cause in by_id, f"{cls.catalog_id}: unknown cause {cause}"
