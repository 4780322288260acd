"""Every field of the contract says what it is: its description is what the AsyncAPI document
and the EventCatalog pages show a consumer (``Frozen`` makes a field's docstring its
description; a documented alias such as ``ConversationId`` gives it one too)."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from helpline.catalog import MESSAGES, CatalogMessage

pytestmark = pytest.mark.unit

IDS = [m.catalog_id for m in MESSAGES]


def _docstrings(cls: type) -> dict[str, str]:
    """The fields ``cls`` itself declares with a docstring under them, by name."""
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str] = {}
    for field, after in zip(body.body, body.body[1:], strict=False):
        if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            found[field.target.id] = inspect.cleandoc(after.value.value)
    return found


@pytest.mark.parametrize("cls", MESSAGES, ids=IDS)
def test_every_field_has_a_description(cls: type[CatalogMessage]) -> None:
    missing = [name for name, f in cls.model_fields.items()
               if not (f.description and f.description.strip())]
    assert not missing, f"{cls.__name__}: document {missing} (a docstring under the field)"


@pytest.mark.parametrize("cls", MESSAGES, ids=IDS)
def test_no_docstring_is_hidden_by_its_type_s_description(cls: type[CatalogMessage]) -> None:
    # pydantic takes a field's docstring only when its type gave no description, so a
    # docstring under a field typed with a documented alias would silently not be shown.
    for owner in (c for c in cls.__mro__ if issubclass(c, CatalogMessage)):
        for name, doc in _docstrings(owner).items():
            assert cls.model_fields[name].description == doc, (
                f"{owner.__name__}.{name}: its docstring is not its description")


def test_the_docstring_scan_finds_the_docstrings_it_should() -> None:
    # Guards the scan above: if it found nothing, that test would pass vacuously.
    assert set(_docstrings(CatalogMessage)) == {"message_id", "correlation_id", "causation_id",
                                                "occurred_at"}
