"""Export the catalog as an EventCatalog project, generated from the message classes.

The project follows the folder conventions of the pinned ``@eventcatalog/core``
(:data:`EVENTCATALOG_VERSION`; its ``eventcatalog/src/content.config.ts`` is the schema the
front matter is checked against)::

    eventcatalog.config.js  package.json
    domains/helpline/index.mdx
    domains/helpline/services/<service>/index.mdx                      sends / receives
    domains/helpline/services/<producer>/<events|commands|queries>/<id>/
        index.mdx  schema.json  example.json
    channels/<nats subject>/index.mdx
    flows/<flow id>/index.mdx

Each message is written at its current version (``version:`` in its front matter); a later
version moves the old ``index.mdx`` to ``versioned/<old version>/`` as EventCatalog expects.
The "reply" kind (Conversation Document) goes to ``queries/``: it is the answer half of the Get
Conversation request/reply, sent only to the requester's inbox and never stored in a stream,
so it is neither a fact others subscribe to (event) nor an order (command).
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import yaml

from helpline.catalog.added_flows import added_flows
from helpline.catalog.base import CATALOG_VERSION, SERVICE_VERSION, SERVICES, CatalogMessage
from helpline.catalog.conv_store import GenerateAIAgentAnswerWithUserInfo
from helpline.catalog.flow import Flow, seed_flow
from helpline.catalog.inbound import (
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.catalog.registry import MESSAGES

#: The EventCatalog release the export targets: the newest one on the registry that still
#: runs on Node 20 (3.x is built on Astro 6, which needs Node >= 22.12).
EVENTCATALOG_VERSION = "2.64.4"
DOMAIN_ID = "helpline"

#: The EventCatalog folder of each message kind.
KIND_FOLDERS: dict[str, str] = {
    "event": "events",
    "command": "commands",
    "query": "queries",
    "reply": "queries",
}

SERVICE_SUMMARIES: dict[str, str] = {
    "ms-whatsapp": "The WhatsApp Cloud API edge: turns webhooks into events and sends replies.",
    "ms-gateway": "Looks the sender up in the customer registry and adds what it knows.",
    "ms-conv-store": "Event-sourced conversations: decides who answers and on which channel.",
    "ms-rag": "The AI agent: answers from the knowledge base or asks for a human.",
    "ms-agents": "Event-sourced tickets and the human agents who answer them.",
}

#: The folders the export owns: they are emptied before writing, so nothing stale remains.
OWNED_FOLDERS = ("domains", "channels", "flows")


def export_eventcatalog(target_dir: Path) -> list[Path]:
    """Write the EventCatalog project into ``target_dir``; return the files written.

    ``node_modules`` and EventCatalog's own build folders in ``target_dir`` are left alone.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    for folder in OWNED_FOLDERS:
        shutil.rmtree(target_dir / folder, ignore_errors=True)
    out = _Out(target_dir)
    out.text("eventcatalog.config.js", _config_js())
    out.json("package.json", _package_json())
    out.mdx(f"domains/{DOMAIN_ID}/index.mdx", _domain_front(), _DOMAIN_BODY)
    for service in SERVICES:
        out.mdx(f"{_service_dir(service)}/index.mdx", _service_front(service), _SERVICE_BODY)
    for cls in MESSAGES:
        folder = message_dir(cls)
        out.mdx(f"{folder}/index.mdx", _message_front(cls), _message_body(cls))
        out.json(f"{folder}/schema.json", cls.model_json_schema())
        out.json(f"{folder}/example.json", cls.example)
        out.mdx(f"channels/{cls.subject()}/index.mdx", _channel_front(cls), _channel_body(cls))
    for flow in exported_flows():
        out.text(f"flows/{flow.id}/index.mdx", render_flow(flow))
    return out.written


def message_dir(cls: type[CatalogMessage]) -> str:
    """The folder of a message, relative to the project: under the service that sends it."""
    return f"{_service_dir(cls.producer)}/{KIND_FOLDERS[cls.kind]}/{cls.catalog_id}"


def _service_dir(service: str) -> str:
    return f"domains/{DOMAIN_ID}/services/{service}"


class _Out:
    """Writes files under a root and remembers them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[Path] = []

    def text(self, relative: str, content: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        self.written.append(path)

    def json(self, relative: str, data: Any) -> None:
        self.text(relative, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def mdx(self, relative: str, front: dict[str, Any], body: str) -> None:
        self.text(relative, front_matter(front) + body)


def front_matter(data: dict[str, Any]) -> str:
    """``data`` as a YAML front-matter block."""
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{dumped}---\n"


def _mdx_escape(text: str) -> str:
    """Prose for MDX: braces and ``<`` would otherwise be read as JSX."""
    return text.replace("{", "\\{").replace("}", "\\}").replace("<", "&lt;")


def _doc(cls: type[CatalogMessage]) -> str:
    return " ".join((cls.__doc__ or cls.summary).split())


def _ref(catalog_id: str, version: str) -> dict[str, str]:
    return {"id": catalog_id, "version": version}


# -- project files ----------------------------------------------------------------------------


def _config_js() -> str:
    config = {
        "cId": str(uuid.uuid5(uuid.NAMESPACE_URL, "helpline:eventcatalog")),
        "title": "Helpline",
        "tagline": "Event-sourced WhatsApp help desk: AI first, humans on hand-over. "
        "Generated from helpline.catalog; do not edit by hand.",
        "organizationName": "Helpline", "homepageLink": "https://eventcatalog.dev/",
        "landingPage": "", "trailingSlash": False, "base": "/", "output": "static",
        "docs": {"sidebar": {"type": "TREE_VIEW"}},
        "llmsTxt": {"enabled": False}, "rss": {"enabled": False, "limit": 20},
    }
    return (
        "// Generated by `helpline catalog export`: edit helpline/catalog, not this file.\n"
        "/** @type {import('@eventcatalog/core/bin/eventcatalog.config').Config} */\n"
        f"export default {json.dumps(config, indent=2, ensure_ascii=False)};\n"
    )


def _package_json() -> dict[str, Any]:
    scripts = {c: f"eventcatalog {c}" for c in ("dev", "build", "start", "preview")}
    return {"name": "helpline-eventcatalog", "version": "0.1.0", "private": True,
            "type": "module", "scripts": scripts,
            "dependencies": {"@eventcatalog/core": EVENTCATALOG_VERSION}}


_DOMAIN_BODY = """
## Overview

Customers write to the business on WhatsApp. An AI agent answers first from the knowledge
base; when it cannot (low confidence, the customer asks for a person), a ticket hands the
conversation to a human agent, and the AI takes over again when the ticket is closed.

Every state change is an event in an event store; NATS JetStream only carries the messages
below between the five services.

<NodeGraph />
"""

_SERVICE_BODY = """
## Overview

<NodeGraph />

<MessageTable format="all" limit={20} showChannels={true} />
"""


def _domain_front() -> dict[str, Any]:
    return {
        "id": DOMAIN_ID,
        "name": "Helpline (customer support)",
        "version": CATALOG_VERSION,
        "summary": "Customer support over WhatsApp: AI agent first, human agents on hand-over.",
        "services": [_ref(s, SERVICE_VERSION) for s in SERVICES],
    }


def _service_front(service: str) -> dict[str, Any]:
    sends = [m for m in MESSAGES if m.producer == service]
    receives = [m for m in MESSAGES if service in m.consumers]
    front: dict[str, Any] = {"id": service, "name": service, "version": SERVICE_VERSION,
                             "summary": SERVICE_SUMMARIES[service]}
    if sends:
        front["sends"] = [_ref(m.catalog_id, m.catalog_version) for m in sends]
    if receives:
        front["receives"] = [_ref(m.catalog_id, m.catalog_version) for m in receives]
    return front


def _message_front(cls: type[CatalogMessage]) -> dict[str, Any]:
    badges = [cls.kind] if cls.in_seed else [cls.kind, "added to the seed"]
    return {
        "id": cls.catalog_id, "name": cls.title, "version": cls.catalog_version,
        "summary": cls.summary, "schemaPath": "schema.json",
        "channels": [_ref(cls.subject(), CATALOG_VERSION)],
        "badges": [{"content": b, "backgroundColor": "blue", "textColor": "blue"} for b in badges],
    }


def _message_body(cls: type[CatalogMessage]) -> str:
    consumers = ", ".join(f"`{c}`" for c in cls.consumers)
    reply = ""
    if cls.kind == "query":
        reply = "\nSent with NATS request/reply (core NATS, never a JetStream stream).\n"
    elif cls.kind == "reply":
        reply = (
            "\nThe reply to a query: it goes to the request's reply inbox; the channel below "
            "only names it.\n"
        )
    example = json.dumps(cls.example, indent=2, ensure_ascii=False)
    return (
        f"\n## Overview\n\n{_mdx_escape(_doc(cls))}\n\n"
        f"- Kind: {cls.kind}\n- Subject: `{cls.subject()}`\n"
        f"- Producer: `{cls.producer}`\n- Consumers: {consumers}\n{reply}\n"
        "<NodeGraph />\n\n## Schema\n\n<SchemaViewer file=\"schema.json\" />\n\n"
        f"## Example\n\n```json title=\"example.json\"\n{example}\n```\n"
    )


def _channel_front(cls: type[CatalogMessage]) -> dict[str, Any]:
    subject = cls.subject()
    return {"id": subject, "name": subject, "version": CATALOG_VERSION,
            "summary": f"NATS subject of {cls.title}.", "address": subject, "protocols": ["nats"]}


def _channel_body(cls: type[CatalogMessage]) -> str:
    transport = (
        "core NATS request/reply, served by a queue group" if cls.kind in ("query", "reply")
        else "JetStream (at-least-once, `Nats-Msg-Id` = `message_id` for de-duplication)"
    )
    return f"\nCarries `{cls.catalog_id}` over {transport}.\n\n<ChannelInformation />\n"


# -- flows ------------------------------------------------------------------------------------

#: Front matter added to plain flow steps (actors and external systems), by step id.
STEP_EXTRAS: dict[str, dict[str, Any]] = {
    "agent_closes_ticket": {"actor": {"name": "Agent"}},
    "customer_writes_again": {"actor": {"name": "Customer"}},
    "customer_reads_reply": {"actor": {"name": "Customer"}},
    "whatsapp_cloud_api": {
        "externalSystem": {
            "name": "WhatsApp Cloud API",
            "summary": "Meta's Graph API: POST /messages, status webhooks.",
            "url": "https://developers.facebook.com/docs/whatsapp/cloud-api",
        }
    },
}


def render_flow(flow: Flow) -> str:
    """An EventCatalog flow file (front matter and MDX body) for ``flow``."""
    steps = []
    for step in flow.steps:
        raw: dict[str, Any] = {"id": step.id, "title": step.title}
        raw.update(STEP_EXTRAS.get(step.id, {}))
        if step.service:
            raw["service"] = _ref(*step.service)
        if step.message:
            raw["message"] = _ref(*step.message)
        nexts = [{"id": n, **({"label": lbl} if lbl else {})} for n, lbl in step.next_steps]
        if len(nexts) == 1:
            raw["next_step"] = nexts[0]
        elif nexts:
            raw["next_steps"] = nexts
        steps.append(raw)
    front = {"id": flow.id, "name": flow.name, "version": flow.version,
             "summary": flow.summary, "steps": steps}
    return front_matter(front) + flow.body


def exported_flows() -> tuple[Flow, ...]:
    """The seed flow (its TODO examples filled) and the flows we added."""
    seed = seed_flow()
    seed = Flow(seed.id, seed.name, seed.version, seed.summary, seed.steps,
                fill_seed_examples(seed.body))
    return (seed, *added_flows())


_TODO = re.compile(r"^(?P<prefix>\s*(?:\d+\.\s+)?)TODO Add example\.?\s*$")


def seed_examples() -> list[tuple[str, dict[str, Any]]]:
    """The examples that fill the seed's four "TODO Add example", in order."""
    unregistered = {**WhatsAppBusinessTextMessageWithUserInfoReceived.example, "customer": None}
    return [
        (WhatsAppBusinessTextMessageReceived.title, WhatsAppBusinessTextMessageReceived.example),
        (WhatsAppBusinessTextMessageWithUserInfoReceived.title,
         WhatsAppBusinessTextMessageWithUserInfoReceived.example),
        (WhatsAppBusinessTextMessageWithUserInfoReceived.title + " (unregistered number)",
         unregistered),
        (GenerateAIAgentAnswerWithUserInfo.title, GenerateAIAgentAnswerWithUserInfo.example),
    ]


def fill_seed_examples(body: str) -> str:
    """Replace each "TODO Add example" line of the seed's prose with a JSON example block."""
    examples = iter(seed_examples())
    lines: list[str] = []
    for line in body.splitlines():
        match = _TODO.match(line)
        if not match:
            lines.append(line)
            continue
        title, example = next(examples)
        prefix = match["prefix"]
        indent = " " * len(prefix)
        block = json.dumps(example, indent=2, ensure_ascii=False).splitlines()
        lines += [f"{prefix}Example: *{title}*", "", f"{indent}```json"]
        lines += [f"{indent}{b}" for b in block] + [f"{indent}```", ""]
    return "\n".join(lines) + "\n"
