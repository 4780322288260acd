"""Template messages (issue 17): outside WhatsApp's 24-hour customer service window only an
approved template may be sent. The agent's template answer (ms-agents → ms-conv-store) and
the command to send it (ms-conv-store → ms-whatsapp).

This module holds messages of two producers, unlike the others, so that the template feature
is one addition to the catalog; ms-whatsapp reports their outcome with the text message's
*…-sent* / *…-send-failed* events (both name the send command by ``send_message_id``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from helpline.catalog.agents import _TicketEvent
from helpline.catalog.base import About, CatalogMessage, Route
from helpline.catalog.examples import AGENT_EXAMPLE, CHANNEL, CONV, TICKET_EXAMPLE, envelope
from helpline.catalog.types import (
    ActiveChannel,
    ConversationId,
    Frozen,
    HolderId,
    HolderName,
    LongText,
    described,
)

#: The template send's example command id.
TEMPLATE_SEND = "f3a4b5c6-d7e8-5f9a-8b0c-1d2e3f4a5b17"

#: A template name as Meta allows it (lower case, digits, underscores).
TEMPLATE_NAME = r"^[a-z0-9_]{1,512}$"
#: A template language code (``es``, ``en_US``, ``pt_BR``).
TEMPLATE_LANGUAGE = r"^[a-z]{2,3}(_[A-Z]{2})?$"


class TemplateParameter(Frozen):
    """One parameter of a template component (text parameters only)."""

    type: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=1024)


class TemplateComponent(Frozen):
    """The parameters of one component of a template send (header or body)."""

    type: Literal["header", "body"]
    parameters: tuple[TemplateParameter, ...] = ()


class TemplateChoice(Frozen):
    """Which approved template to send and the values of its parameters."""

    name: str = Field(pattern=TEMPLATE_NAME)
    language: str = Field(pattern=TEMPLATE_LANGUAGE)
    components: tuple[TemplateComponent, ...] = ()


#: The template of an answer and of its send (the same value: ms-conv-store passes it on).
ChosenTemplate = Annotated[TemplateChoice, described("""
    The approved template the agent chose, with its parameters' values (ms-whatsapp turns it
    into the Graph API's ``template`` object).""")]


_CHOICE = {
    "name": "seguimiento_pedido",
    "language": "es",
    "components": [{"type": "body", "parameters": [
        {"type": "text", "text": "Lucía"}, {"type": "text", "text": "1234"}]}],
}
_RENDERED = "Hola Lucía, te escribimos por tu pedido 1234. ¿Podemos ayudarte?"


class AgentTemplateAnswerGenerated(_TicketEvent):
    """A human agent answered with an approved template (the customer's window is closed)."""

    about = About("agent-template-answer-generated", "Agent Template Answer Generated",
                  "ms-agents publishes a human agent's answer that is an approved template.")
    in_seed = False

    agent_id: HolderId
    agent_name: HolderName = ""
    template: ChosenTemplate
    text: LongText
    """The template's text with its parameters filled in (the transcript shows it)."""

    example = {
        **envelope("a5b6c7d8-e9f0-5a1b-8c2d-3e4f5a6b7c18", None),
        **TICKET_EXAMPLE,
        **AGENT_EXAMPLE,
        "template": _CHOICE,
        "text": _RENDERED,
    }


class SendWhatsAppBusinessTemplateMessage(CatalogMessage):
    """Command ms-whatsapp to send an approved template to the customer (Graph API body
    ``type: "template"``); allowed outside the customer service window."""

    about = About("send-whatsapp-business-template-message",
                  "Send WhatsApp Business Template Message",
                  "ms-conv-store sends an agent's template answer on the active channel.")
    route = Route("command", "ms-conv-store", ("ms-whatsapp",))
    in_seed = False

    conversation_id: ConversationId
    channel: ActiveChannel
    template: ChosenTemplate
    text: LongText
    """The rendered text, for logs and tools; Meta renders the template itself."""
    author: Literal["agent", "system"] = "agent"
    """Who sends it; ms-conv-store sends agents' template answers only (``agent``)."""

    example = {
        **envelope(TEMPLATE_SEND, "a5b6c7d8-e9f0-5a1b-8c2d-3e4f5a6b7c18"),
        "conversation_id": CONV,
        "channel": CHANNEL,
        "template": _CHOICE,
        "text": _RENDERED,
        "author": "agent",
    }
