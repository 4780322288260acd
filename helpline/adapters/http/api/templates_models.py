"""The agent API's models of message templates and of the customer service window."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from helpline.adapters.whatsapp.templates import Template
from helpline.catalog.templates import TEMPLATE_LANGUAGE, TEMPLATE_NAME

#: One parameter value of a template send (an empty one is refused with a sentence naming it).
ParameterText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1024)]


class TemplateOut(BaseModel):
    """An approved template and what it takes: how many header and body parameters, its
    text with ``{{n}}`` placeholders, and the values the console pre-fills."""

    name: str
    language: str
    category: str
    text: str
    header_parameters: int
    body_parameters: int
    examples: list[str]
    """Meta's example values of the body's parameters (hints)."""
    prefill: dict[str, list[str]] = Field(default_factory=dict)
    """Values filled in for this ticket where we know them (the customer's name as the
    body's first parameter); empty strings for the agent to fill."""

    @classmethod
    def of(cls, t: Template, customer_name: str | None = None) -> "TemplateOut":
        """From the synced template; ``customer_name`` pre-fills ``{{1}}`` of the body."""
        body = t.parameters("body")
        prefill = {"header": [""] * t.parameters("header"), "body": [""] * body}
        if body and customer_name:
            prefill["body"][0] = customer_name
        examples = next((list(c.examples) for c in t.components if c.type == "body"), [])
        return cls(name=t.name, language=t.language, category=t.category,
                   text=t.render({}), header_parameters=t.parameters("header"),
                   body_parameters=body, examples=examples, prefill=prefill)


class TemplatesOut(BaseModel):
    """The approved templates and when they were last synced from the Graph API."""

    templates: list[TemplateOut]
    synced_at: datetime | None
    error: str | None = None
    """Why the last sync failed, if it did (the list is the one synced before)."""


class WindowOut(BaseModel):
    """The customer service window of a ticket's conversation: free text may be sent while
    it is open; after it only a template (``templates``, pre-filled for this customer)."""

    open: bool
    last_customer_message_at: datetime | None
    closes_at: datetime | None
    message: str | None
    """What the reply box says when the window is closed."""
    templates: list[TemplateOut]


class TemplateReplyIn(BaseModel):
    """An answer with an approved template: its name and language and the values of its
    parameters (per component)."""

    name: Annotated[str, StringConstraints(pattern=TEMPLATE_NAME)]
    language: Annotated[str, StringConstraints(pattern=TEMPLATE_LANGUAGE)]
    header: list[ParameterText] = Field(default_factory=list, max_length=10)
    body: list[ParameterText] = Field(default_factory=list, max_length=100)
