"""The business's approved message templates, synced from the Graph API.

:class:`TemplateCatalog` is a read model of ``GET /{waba-id}/message_templates`` (name,
language, category, status and the components with their parameters), kept in memory by the
process that serves the agent API: it is refreshed when the process starts, every
``WHATSAPP_TEMPLATES_REFRESH_SECONDS`` and on demand (``POST /api/v1/templates/refresh``).
Meta is its source of truth, so nothing is stored; a failed refresh keeps the last list.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: ``{{1}}``, ``{{2}}``… in a template's text.
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
#: The components whose ``{{n}}`` a text template send fills in.
PARAMETER_COMPONENTS = ("header", "body")


class TemplateLister(Protocol):
    """What lists the templates (``GraphClient.list_templates``)."""

    async def list_templates(self, waba_id: str) -> list[Any]:
        """The templates as Meta returns them."""
        ...


@dataclass(frozen=True)
class TemplateComponent:
    """One component of a template: ``header``, ``body``, ``footer`` or ``buttons``."""

    type: str
    text: str = ""
    format: str | None = None
    examples: tuple[str, ...] = ()
    """Meta's example values of its parameters (shown as hints)."""

    @property
    def parameters(self) -> int:
        """How many parameters it takes (its highest ``{{n}}``; 0 for a media header)."""
        if self.type not in PARAMETER_COMPONENTS or self.format not in (None, "TEXT"):
            return 0
        return max((int(n) for n in PLACEHOLDER.findall(self.text)), default=0)


@dataclass(frozen=True)
class Template:
    """A message template of the business."""

    name: str
    language: str
    category: str
    status: str
    components: tuple[TemplateComponent, ...]

    @property
    def approved(self) -> bool:
        """Whether Meta lets us send it."""
        return self.status == "APPROVED"

    def parameters(self, kind: str) -> int:
        """How many parameters the ``header`` or ``body`` takes."""
        return sum(c.parameters for c in self.components if c.type == kind)

    def render(self, values: Mapping[str, Sequence[str]]) -> str:
        """The text the customer sees with ``values`` (per component type) filled in; a
        missing value stays ``{{n}}``."""
        parts: list[str] = []
        for c in self.components:
            given = list(values.get(c.type, ()))

            def fill(match: re.Match[str], given: list[str] = given) -> str:
                n = int(match.group(1))
                return given[n - 1] if 0 < n <= len(given) else match.group(0)

            if c.text:
                parts.append(PLACEHOLDER.sub(fill, c.text))
        return "\n".join(parts)


def parse_template(data: Mapping[str, Any]) -> Template:
    """A template from one entry of Meta's list."""
    components = []
    for c in data.get("components") or ():
        example = c.get("example") or {}
        values = (example.get("body_text") or [[]])[0] if c.get("type") == "BODY" else \
            example.get("header_text") or []
        components.append(TemplateComponent(
            type=str(c.get("type", "")).lower(), text=str(c.get("text") or ""),
            format=c.get("format"), examples=tuple(str(v) for v in values)))
    return Template(name=str(data["name"]), language=str(data["language"]),
                    category=str(data.get("category") or ""),
                    status=str(data.get("status") or ""), components=tuple(components))


def template_components(template: Template,
                        values: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """The send's ``components`` (catalog shape) for ``values`` per component type."""
    return [{"type": kind, "parameters": [{"type": "text", "text": v} for v in values[kind]]}
            for kind in PARAMETER_COMPONENTS if values.get(kind)]


class TemplateCatalog:
    """The templates of ``waba_id``, refreshed from ``lister`` (see the module docstring)."""

    def __init__(self, lister: TemplateLister | None, waba_id: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.lister = lister
        self.waba_id = waba_id
        self.clock = clock
        self.templates: tuple[Template, ...] = ()
        self.synced_at: datetime | None = None
        self.error: str | None = None
        """Why the last refresh failed (``None`` after a good one)."""
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        """Whether there is a business account to sync from."""
        return self.lister is not None and bool(self.waba_id)

    async def refresh(self) -> int:
        """Sync the templates now; returns how many there are. A failure keeps the last
        list and is raised."""
        if self.lister is None or not self.waba_id:
            raise RuntimeError("no WhatsApp business account (WHATSAPP_BUSINESS_ACCOUNT_ID)")
        async with self._lock:
            try:
                raw = await self.lister.list_templates(self.waba_id)
                self.templates = tuple(parse_template(t) for t in raw)
            except Exception as e:
                self.error = f"{type(e).__name__}: {e}"
                raise
            self.error, self.synced_at = None, self.clock()
            return len(self.templates)

    def approved(self) -> list[Template]:
        """The templates that may be sent, by name and language."""
        return sorted((t for t in self.templates if t.approved),
                      key=lambda t: (t.name, t.language))

    def find(self, name: str, language: str) -> Template | None:
        """The template called ``name`` in ``language``, if synced."""
        return next((t for t in self.templates if t.name == name and t.language == language),
                    None)


async def refresh_periodically(catalog: TemplateCatalog, every_s: float,
                               retry_s: float = 2.0) -> None:
    """Refresh ``catalog`` now and then every ``every_s`` seconds; until the first sync
    succeeds (the Graph API may start after us), every ``retry_s``. Failures are logged and
    the last list kept."""
    while True:
        try:
            await catalog.refresh()
        except Exception as e:
            log.warning("message templates not synced (%s); keeping the last list", e)
        await asyncio.sleep(every_s if catalog.synced_at is not None else min(every_s, retry_s))
