"""An AsyncAPI 3.0.0 document of all five services, generated from the catalog.

One channel per NATS subject (``CatalogMessage.subject()``), one message per catalog message
with its pydantic model as payload schema and its catalog example, and for each service a
``send`` operation per message it produces and a ``receive`` operation per message it consumes.
Get Conversation is request/reply: its operations carry a ``reply`` whose channel has no
address (the requester's ``_INBOX`` subject, known only at run time) and whose message is the
Conversation Document.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from helpline.catalog.base import SERVICES, CatalogMessage
from helpline.catalog.registry import MESSAGES

ASYNCAPI_VERSION = "3.0.0"
SCHEMA_REF = "#/components/schemas/{model}"

_NATS_MSG_ID = {
    "type": "object",
    "properties": {
        "Nats-Msg-Id": {
            "type": "string",
            "format": "uuid",
            "description": "The message's message_id: JetStream drops a copy published twice.",
        }
    },
}


def asyncapi_document(version: str = "0.1.0") -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of the catalog, as a JSON-ready dict."""
    schemas, refs = _schemas()
    requests = {m for m in MESSAGES if m.kind == "query"}
    replies = {_reply_of(q): q for q in requests}
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for cls in MESSAGES:
        messages[cls.catalog_id] = _message(cls, refs[cls])
        if cls in replies:
            channels[cls.catalog_id] = _reply_channel(cls, replies[cls])
        else:
            channels[cls.catalog_id] = _channel(cls)
    operations: dict[str, Any] = {}
    for service in SERVICES:
        for cls in MESSAGES:
            if cls in replies:
                continue  # carried by the query's operations
            if cls.producer == service:
                operations[operation_id(service, "send", cls)] = _operation("send", service, cls)
            if service in cls.consumers:
                operations[operation_id(service, "receive", cls)] = _operation(
                    "receive", service, cls
                )
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Helpline",
            "version": version,
            "description": (
                "Event-sourced WhatsApp help desk: five services on NATS. Events and commands "
                "travel on JetStream; Get Conversation is core NATS request/reply. Generated "
                "from helpline.catalog."
            ),
            "tags": [{"name": s} for s in SERVICES],
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "The embedded nats-server started by `helpline up`.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def operation_id(service: str, action: str, cls: type[CatalogMessage]) -> str:
    """The key of an operation: ``<service>.<send|receive>.<catalog id>``."""
    return f"{service}.{action}.{cls.catalog_id}"


def _reply_of(query: type[CatalogMessage]) -> type[CatalogMessage]:
    """The reply message of a query: the reply-kind message its consumer sends back to it."""
    (reply,) = [
        m for m in MESSAGES
        if m.kind == "reply" and m.producer in query.consumers and query.producer in m.consumers
    ]
    return reply


def _schemas() -> tuple[dict[str, Any], dict[type[CatalogMessage], dict[str, str]]]:
    """Every model's JSON schema under ``components/schemas``, and a ``$ref`` per message."""
    keys, defs = models_json_schema(
        [(m, "validation") for m in MESSAGES], ref_template=SCHEMA_REF
    )
    refs = {m: keys[(m, "validation")] for m in MESSAGES}
    schemas: dict[str, Any] = defs.get("$defs", {})
    return schemas, refs


def _message(cls: type[CatalogMessage], payload_ref: dict[str, str]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": cls.catalog_id,
        "title": cls.title,
        "summary": cls.summary,
        "description": " ".join((cls.__doc__ or cls.summary).split()),
        "contentType": "application/json",
        "payload": payload_ref,
        "examples": [{"name": f"{cls.catalog_id}-example", "payload": cls.example}],
        "tags": [{"name": cls.kind}, {"name": f"version {cls.catalog_version}"}],
    }
    if cls.kind in ("event", "command"):
        message["headers"] = _NATS_MSG_ID
    return message


def _channel(cls: type[CatalogMessage]) -> dict[str, Any]:
    return {
        "address": cls.subject(),
        "title": cls.title,
        "summary": cls.summary,
        "messages": {cls.catalog_id: {"$ref": f"#/components/messages/{cls.catalog_id}"}},
    }


def _reply_channel(cls: type[CatalogMessage], query: type[CatalogMessage]) -> dict[str, Any]:
    return {
        "address": None,
        "title": f"Reply to {query.title}",
        "description": (
            f"The reply subject (NATS `_INBOX`) of each {query.title} request. "
            f"The catalog names this message `{cls.subject()}`, but it is never published there."
        ),
        "messages": {cls.catalog_id: {"$ref": f"#/components/messages/{cls.catalog_id}"}},
    }


def _operation(action: str, service: str, cls: type[CatalogMessage]) -> dict[str, Any]:
    verb = "publishes" if action == "send" else "consumes"
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{cls.catalog_id}"},
        "title": f"{service} {verb} {cls.title}",
        "messages": [{"$ref": f"#/channels/{cls.catalog_id}/messages/{cls.catalog_id}"}],
        "tags": [{"name": service}],
    }
    if cls.kind == "query":
        reply = _reply_of(cls)
        operation["reply"] = {
            "channel": {"$ref": f"#/channels/{reply.catalog_id}"},
            "messages": [{"$ref": f"#/channels/{reply.catalog_id}/messages/{reply.catalog_id}"}],
        }
        if action == "receive":
            operation["bindings"] = {"nats": {"queue": service, "bindingVersion": "0.1.0"}}
    return operation
