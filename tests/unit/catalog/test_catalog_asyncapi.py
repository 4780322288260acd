"""(d) The AsyncAPI 3.0.0 document: structure, references, operations, payload schemas."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from helpline.catalog import MESSAGES, SERVICES, CatalogMessage
from helpline.catalog.asyncapi import asyncapi_document, operation_id
from helpline.catalog.cli import register

pytestmark = pytest.mark.unit

DOC = asyncapi_document()
KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")  # AsyncAPI's pattern for component keys


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references expected: {ref}"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref!r} at {part!r}"
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        here = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return here + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_required_top_level_keys() -> None:
    assert DOC["asyncapi"] == "3.0.0"
    assert DOC["info"]["title"] and DOC["info"]["version"]
    assert {"channels", "operations", "components"} <= DOC.keys()
    assert DOC["defaultContentType"] == "application/json"
    assert all(s["protocol"] == "nats" for s in DOC["servers"].values())


def test_every_reference_resolves() -> None:
    refs = _refs(DOC)
    assert len(refs) > 100
    for ref in refs:
        _resolve(DOC, ref)


def test_keys_are_valid_identifiers() -> None:
    for section in (DOC["channels"], DOC["operations"], *DOC["components"].values()):
        for key in section:
            assert KEY.match(key), key


def test_channels_are_the_subjects() -> None:
    replies = {m.catalog_id for m in MESSAGES if m.kind == "reply"}
    for cls in MESSAGES:
        channel = DOC["channels"][cls.catalog_id]
        expected = None if cls.catalog_id in replies else cls.subject()
        assert channel["address"] == expected
        (ref,) = [m["$ref"] for m in channel["messages"].values()]
        assert ref == f"#/components/messages/{cls.catalog_id}"


def test_operation_messages_belong_to_the_operation_channel() -> None:
    for key, op in DOC["operations"].items():
        assert op["action"] in ("send", "receive"), key
        channel_ref = op["channel"]["$ref"]
        for msg in op["messages"]:
            assert msg["$ref"].startswith(channel_ref + "/messages/"), key
        if "reply" in op:
            for msg in op["reply"]["messages"]:
                assert msg["$ref"].startswith(op["reply"]["channel"]["$ref"] + "/messages/")


def _expected_operations() -> set[str]:
    ops = set()
    for cls in MESSAGES:
        if cls.kind == "reply":
            continue
        ops.add(operation_id(cls.producer, "send", cls))
        ops |= {operation_id(c, "receive", cls) for c in cls.consumers}
    return ops


def test_operations_follow_producers_and_consumers() -> None:
    assert set(DOC["operations"]) == _expected_operations()
    for service in SERVICES:
        assert any(op["tags"] == [{"name": service}] for op in DOC["operations"].values())


def test_get_conversation_is_request_reply() -> None:
    (query,) = [m for m in MESSAGES if m.kind == "query"]
    (reply,) = [m for m in MESSAGES if m.kind == "reply"]
    for service, action in ((query.producer, "send"), (query.consumers[0], "receive")):
        op = DOC["operations"][operation_id(service, action, query)]
        assert op["reply"]["channel"] == {"$ref": f"#/channels/{reply.catalog_id}"}
        assert _resolve(DOC, op["reply"]["messages"][0]["$ref"]) == {
            "$ref": f"#/components/messages/{reply.catalog_id}"}
    assert not any(reply.catalog_id in key for key in DOC["operations"])


def _payload_validator(cls: type[CatalogMessage]) -> Draft202012Validator:
    payload = DOC["components"]["messages"][cls.catalog_id]["payload"]
    return Draft202012Validator({**payload, "components": DOC["components"]})


@pytest.mark.parametrize("cls", MESSAGES, ids=[m.catalog_id for m in MESSAGES])
def test_payload_schema_is_the_model_and_accepts_its_example(cls: type[CatalogMessage]) -> None:
    message = DOC["components"]["messages"][cls.catalog_id]
    schema = _resolve(DOC, message["payload"]["$ref"])
    assert schema["title"] == cls.__name__
    assert set(schema["properties"]) == set(cls.model_fields)
    assert schema["additionalProperties"] is False
    validator = _payload_validator(cls)
    validator.validate(cls.example)
    assert message["examples"][0]["payload"] == cls.example
    assert list(validator.iter_errors({**cls.example, "unexpected": 1}))


def test_cli_writes_json_and_yaml(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    for name, load in (("a.json", json.loads), ("a.yaml", yaml.safe_load)):
        args = parser.parse_args(["catalog", "asyncapi", "--output", str(tmp_path / name)])
        assert args.func(args) == 0
        assert load((tmp_path / name).read_text("utf-8")) == DOC


def test_module_entry_point_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    from helpline.catalog.cli import main

    assert main(["catalog", "asyncapi"]) == 0
    assert json.loads(capsys.readouterr().out) == DOC


@pytest.mark.parametrize("cls", MESSAGES, ids=[m.catalog_id for m in MESSAGES])
def test_a_field_docstring_is_its_description_in_the_payload_schema(
    cls: type[CatalogMessage],
) -> None:
    """Readers of the exported contract see what the code's readers see: every field that
    has a docstring (the envelope's do) carries it as its JSON Schema description."""
    schema = _resolve(DOC, DOC["components"]["messages"][cls.catalog_id]["payload"]["$ref"])
    documented = {name: f.description for name, f in cls.model_fields.items() if f.description}
    assert {"message_id", "correlation_id", "causation_id", "occurred_at"} <= set(documented)
    for name, description in documented.items():
        assert schema["properties"][name]["description"] == description, name
    assert schema["properties"]["message_id"]["description"].startswith("Unique per emission")
