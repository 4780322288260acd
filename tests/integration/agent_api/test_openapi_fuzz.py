"""Hypothesis against the OpenAPI schema: whatever the path, query, body and token, the
API answers without a 5xx."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ADMIN, Api, make_api

pytestmark = [pytest.mark.integration, pytest.mark.property]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6)


@pytest.fixture(scope="module")
def fuzz_api() -> Iterator[tuple[Api, dict[str, str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        for api in make_api(Path(tmp)):
            _, token = api.agent("marta")
            ticket = api.escalate()
            yield api, {"agent": token, "admin": ADMIN, "ticket": ticket}


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in schema["paths"].items()
            for method, op in item.items()]


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_5xx(fuzz_api: tuple[Api, dict[str, str]], data: st.DataObject) -> None:
    api, known = fuzz_api
    method, path, op = data.draw(st.sampled_from(operations(api.client.app.openapi())))
    values = st.text(max_size=20) | st.sampled_from([known["ticket"], "34600000001", "open"])
    params: dict[str, str] = {}
    for param in op.get("parameters", []):
        value = data.draw(values)
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", quote(value, safe="") or "x")
        elif param["in"] == "query" and data.draw(st.booleans()):
            params[param["name"]] = value
    body: Any = None
    if "requestBody" in op and "application/json" not in op["requestBody"]["content"]:
        body = data.draw(JSON)  # a multipart upload given JSON: refused, never a 5xx
    elif "requestBody" in op:
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        fields = list(api.client.app.openapi()["components"]["schemas"][ref.split("/")[-1]]
                      ["properties"])
        body = data.draw(st.one_of(JSON, st.fixed_dictionaries(
            {}, optional={f: JSON | st.text(max_size=40) for f in fields})))
    token = data.draw(st.sampled_from([None, "garbage", known["agent"], known["admin"]]))
    response = api.call(method, path, token, json=body, params=params)
    # No 5xx but the documented ones (the dead letters need NATS, which this app lacks).
    documented = str(response.status_code) in op["responses"]
    assert response.status_code < 500 or documented, (method, path, params, body,
                                                      response.text)
