"""The seed flow ("Identified Customer via WhatsApp") as data, read from its EventCatalog file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

SEED_FLOW_ID = "complete-conversation-via-whatsapp"


@dataclass(frozen=True)
class FlowStep:
    """One node of an EventCatalog flow: a service, a message or a plain step."""

    id: str
    title: str
    service: tuple[str, str] | None
    message: tuple[str, str] | None
    next_steps: tuple[tuple[str, str | None], ...]
    """``(step id, label)`` for each arrow leaving this step."""


@dataclass(frozen=True)
class Flow:
    """An EventCatalog flow: front matter and prose."""

    id: str
    name: str
    version: str
    summary: str
    steps: tuple[FlowStep, ...]
    body: str

    def step(self, step_id: str) -> FlowStep:
        """The step with the given id."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def arrows(self) -> list[tuple[str, str, str | None]]:
        """Every ``(from step, to step, label)`` arrow of the flow."""
        return [(s.id, n, label) for s in self.steps for n, label in s.next_steps]


def _ref(node: dict[str, Any] | None) -> tuple[str, str] | None:
    if node is None:
        return None
    return str(node["id"]), str(node["version"])


def parse_flow(text: str) -> Flow:
    """Parse an EventCatalog flow file (YAML front matter between ``---`` lines)."""
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front)
    steps = []
    for raw in meta["steps"]:
        nexts: list[dict[str, Any]] = []
        if raw.get("next_step"):
            nexts.append(raw["next_step"])
        nexts.extend(raw.get("next_steps") or [])
        steps.append(
            FlowStep(
                id=str(raw["id"]),
                title=str(raw["title"]),
                service=_ref(raw.get("service")),
                message=_ref(raw.get("message")),
                next_steps=tuple((str(n["id"]), n.get("label")) for n in nexts),
            )
        )
    return Flow(
        id=str(meta["id"]),
        name=str(meta["name"]),
        version=str(meta["version"]),
        summary=str(meta.get("summary", "")),
        steps=tuple(steps),
        body=body,
    )


@cache
def seed_flow() -> Flow:
    """The seed flow shipped with the package."""
    text = files("helpline.catalog").joinpath("flows", f"{SEED_FLOW_ID}.md").read_text("utf-8")
    return parse_flow(text)
