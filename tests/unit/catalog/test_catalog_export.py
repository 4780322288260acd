"""The exported EventCatalog project: folders, front matter, schemas, examples, references.

Front matter is checked against the rules of the pinned EventCatalog's content config
(``eventcatalog/src/content.config.ts``): required ``id``/``name``/``version`` strings, flow
steps with at most one of message/service/flow/actor/custom and never both ``next_step`` and
``next_steps``. ``tools/catalog-check.sh`` builds the project with the real EventCatalog.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpline.catalog import MESSAGES, SERVICES, CatalogMessage
from helpline.catalog.cli import register
from helpline.catalog.eventcatalog import (
    DOMAIN_ID,
    EVENTCATALOG_VERSION,
    KIND_FOLDERS,
    export_eventcatalog,
    exported_flows,
    message_dir,
)
from tests.unit.catalog.conftest import read_mdx

pytestmark = pytest.mark.unit

Project = tuple[Path, list[Path]]


def _all_mdx(root: Path) -> dict[Path, tuple[dict[str, Any], str]]:
    return {p: read_mdx(p) for p in sorted(root.rglob("index.mdx"))}


def _index(root: Path, folder: str) -> dict[tuple[str, str], dict[str, Any]]:
    """``(id, version) -> front matter`` of every resource in ``*/<folder>/*/index.mdx``."""
    found = {}
    for path, (front, _) in _all_mdx(root).items():
        if path.parent.parent.name == folder:
            found[(front["id"], front["version"])] = front
    return found


def test_reported_files_are_the_files_on_disk(exported: Project) -> None:
    root, written = exported
    assert sorted(written) == sorted(p for p in root.rglob("*") if p.is_file())
    assert len(written) == len(set(written))


def test_package_json_pins_eventcatalog(exported: Project) -> None:
    root, _ = exported
    package = json.loads((root / "package.json").read_text("utf-8"))
    assert package["dependencies"] == {"@eventcatalog/core": EVENTCATALOG_VERSION}
    assert re.fullmatch(r"\d+\.\d+\.\d+", EVENTCATALOG_VERSION)
    assert package["scripts"]["build"] == "eventcatalog build"
    config = (root / "eventcatalog.config.js").read_text("utf-8")
    assert "export default {" in config and '"cId":' in config


def test_front_matter_has_the_required_fields(exported: Project) -> None:
    root, _ = exported
    for path, (front, _) in _all_mdx(root).items():
        for key in ("id", "name", "version"):
            assert isinstance(front.get(key), str) and front[key], f"{path}: {key}"


def test_flow_steps_follow_eventcatalog_rules(exported: Project) -> None:
    root, _ = exported
    for path in (root / "flows").glob("*/index.mdx"):
        front, body = read_mdx(path)
        assert "<NodeGraph" in body
        for step in front["steps"]:
            kinds = [k for k in ("message", "service", "flow", "actor", "custom") if k in step]
            assert len(kinds) <= 1, (path, step["id"])
            assert not ("next_step" in step and "next_steps" in step), (path, step["id"])


@pytest.mark.parametrize("cls", MESSAGES, ids=[m.catalog_id for m in MESSAGES])
def test_message_folder_schema_and_example(exported: Project, cls: type[CatalogMessage]) -> None:
    root, _ = exported
    folder = root / message_dir(cls)
    assert folder.parent.name == KIND_FOLDERS[cls.kind]
    assert folder.parent.parent.name == cls.producer
    front, body = read_mdx(folder / "index.mdx")
    assert (front["id"], front["version"], front["name"]) == (
        cls.catalog_id, cls.catalog_version, cls.title)
    assert front["schemaPath"] == "schema.json"
    assert json.loads((folder / "schema.json").read_text("utf-8")) == cls.model_json_schema()
    example = json.loads((folder / "example.json").read_text("utf-8"))
    assert example == cls.example
    cls.model_validate(example)
    assert f"`{cls.subject()}`" in body


def test_reply_kind_is_documented_as_a_query(exported: Project) -> None:
    root, _ = exported
    for cls in MESSAGES:
        if cls.kind == "reply":
            assert (root / message_dir(cls)).parent.name == "queries"


def test_messages_point_at_channels_named_by_their_subjects(exported: Project) -> None:
    root, _ = exported
    channels = _index(root, "channels")
    assert len(channels) == len(MESSAGES)
    for cls in MESSAGES:
        front, _ = read_mdx(root / message_dir(cls) / "index.mdx")
        (pointer,) = front["channels"]
        channel = channels[(pointer["id"], pointer["version"])]
        assert channel["address"] == cls.subject() == pointer["id"]
        assert channel["protocols"] == ["nats"]


def test_services_send_and_receive_what_the_catalog_says(exported: Project) -> None:
    root, _ = exported
    services = {f["id"]: f for f in _index(root, "services").values()}
    assert set(services) == set(SERVICES)
    messages = {**_index(root, "events"), **_index(root, "commands"), **_index(root, "queries")}
    for service, front in services.items():
        sends = {(p["id"], p["version"]) for p in front.get("sends", [])}
        receives = {(p["id"], p["version"]) for p in front.get("receives", [])}
        assert sends == {(m.catalog_id, m.catalog_version) for m in MESSAGES
                         if m.producer == service}
        assert receives == {(m.catalog_id, m.catalog_version) for m in MESSAGES
                            if service in m.consumers}
        assert (sends | receives) <= messages.keys()


def test_domain_lists_the_five_services(exported: Project) -> None:
    root, _ = exported
    front, _ = read_mdx(root / "domains" / DOMAIN_ID / "index.mdx")
    assert [s["id"] for s in front["services"]] == list(SERVICES)


def test_flow_references_resolve(exported: Project) -> None:
    root, _ = exported
    services = _index(root, "services")
    messages = {**_index(root, "events"), **_index(root, "commands"), **_index(root, "queries")}
    flows = _index(root, "flows")
    assert {f for f, _ in flows} == {f.id for f in exported_flows()}
    for front in flows.values():
        for step in front["steps"]:
            if "service" in step:
                assert (step["service"]["id"], str(step["service"]["version"])) in services
            if "message" in step:
                assert (step["message"]["id"], str(step["message"]["version"])) in messages


_FENCE = re.compile(r"^ *```.*?^ *```", re.S | re.M)


def test_prose_has_no_stray_jsx_braces(exported: Project) -> None:
    root, _ = exported
    for path, (_, body) in _all_mdx(root).items():
        prose = [ln for ln in _FENCE.sub("", body).splitlines() if not ln.lstrip().startswith("<")]
        for line in prose:
            assert not re.search(r"(?<!\\)[{}]", line), f"{path}: {line!r}"


def test_export_replaces_stale_files_and_keeps_node_modules(tmp_path: Path) -> None:
    stale = tmp_path / "domains" / DOMAIN_ID / "services" / "ms-old" / "index.mdx"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    kept = tmp_path / "node_modules" / "x.js"
    kept.parent.mkdir()
    kept.write_text("kept")
    export_eventcatalog(tmp_path)
    assert not stale.exists()
    assert kept.read_text() == "kept"


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["catalog", "export", str(tmp_path / "ec")])
    assert args.func(args) == 0
    assert (tmp_path / "ec" / "flows").is_dir()
    assert "wrote" in capsys.readouterr().out
