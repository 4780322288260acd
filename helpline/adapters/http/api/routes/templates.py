"""Message templates and the customer service window: the approved templates (synced from
the Graph API, refreshed on demand), a ticket's window, and an answer with a template.

Outside WhatsApp's 24-hour customer service window a free-text reply is refused by Meta (and
by ms-whatsapp before it); ``GET /tickets/{id}/window`` tells the console, which then offers
the templates, and ``POST /tickets/{id}/template-replies`` sends one.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from datetime import datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status

from helpline.adapters.http.api.deps import Caller, Ctx, visible_ticket
from helpline.adapters.http.api.models import ReplyOut, errors
from helpline.adapters.http.api.routes.actions import AssistDep, _refusals
from helpline.adapters.http.api.templates_models import (
    TemplateOut,
    TemplateReplyIn,
    TemplatesOut,
    WindowOut,
)
from helpline.adapters.whatsapp.templates import (
    Template,
    TemplateCatalog,
    template_components,
)
from helpline.catalog import TemplateChoice
from helpline.domain.conversation import CUSTOMER_SERVICE_WINDOW, Conversation
from helpline.domain.ids import derived_id

router = APIRouter(tags=["templates"])
_SYNC = errors({502: "the Graph API did not list the templates",
                503: "no business account to sync from"})


def _catalog(request: Request) -> TemplateCatalog:
    catalog: TemplateCatalog | None = getattr(request.state.api, "templates", None)
    return catalog if catalog is not None else TemplateCatalog(None, "")


Catalog = Annotated[TemplateCatalog, Depends(_catalog)]


@router.get("/templates", response_model=TemplatesOut)
def list_templates(catalog: Catalog, _: Caller) -> TemplatesOut:
    """The approved message templates, as last synced."""
    return TemplatesOut(templates=[TemplateOut.of(t) for t in catalog.approved()],
                        synced_at=catalog.synced_at, error=catalog.error)


@router.post("/templates/refresh", response_model=TemplatesOut, responses=_SYNC)
async def refresh_templates(catalog: Catalog, _: Caller) -> TemplatesOut:
    """Sync the templates from the Graph API now."""
    if not catalog.enabled:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "No WhatsApp business account is configured "
                            "(WHATSAPP_BUSINESS_ACCOUNT_ID), so there are no templates.")
    try:
        await catalog.refresh()
    except Exception as e:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY,
                            f"The templates could not be synced from WhatsApp: {e}") from None
    return list_templates(catalog, _)


@router.get("/tickets/{ticket_id}/window", response_model=WindowOut)
def window(ctx: Ctx, caller: Caller, assist: AssistDep, catalog: Catalog,
           ticket_id: UUID) -> WindowOut:
    """Whether free text can reach the customer now; when not, the templates to send,
    pre-filled with the customer's first name (the registry's, else their WhatsApp name)."""
    row = visible_ticket(ctx, caller, ticket_id)
    conv = (assist.store.find(row.conversation_id, Conversation)
            if assist.store is not None else None)
    last = conv.last_customer_message_at if conv is not None else None
    last_at = datetime.fromisoformat(last) if last else None
    is_open = conv is None or conv.window_open(ctx.now())
    entry = ctx.directory.find_by_phone(row.phone)
    name = (entry.name if entry else row.customer_name or row.profile_name) or None
    first = name.split()[0] if name else None
    return WindowOut(
        open=is_open, last_customer_message_at=last_at,
        closes_at=last_at + CUSTOMER_SERVICE_WINDOW if last_at else None,
        message=None if is_open else (
            "The customer last wrote more than 24 hours ago, so WhatsApp only lets an "
            "approved template reach them. Choose one below; free text is allowed again "
            "once they answer."),
        templates=[TemplateOut.of(t, first) for t in catalog.approved()])


@router.post("/tickets/{ticket_id}/template-replies", response_model=ReplyOut,
             status_code=status.HTTP_202_ACCEPTED,
             responses=errors({409: "the ticket is closed",
                               422: "unknown template or values"}))
def template_reply(
    ctx: Ctx, caller: Caller, catalog: Catalog, ticket_id: UUID, body: TemplateReplyIn,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> ReplyOut:
    """Answer the customer with an approved template (only the agent holding the ticket).
    A retried request with the same ``Idempotency-Key`` answers once."""
    template = catalog.find(body.name, body.language)
    if template is None or not template.approved:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"There is no approved template {body.name} in {body.language}; "
                            "refresh the templates and choose again.")
    values = {"header": body.header, "body": body.body}
    _check_values(template, values)
    agent_id = caller.agent_id
    answer_id = (str(derived_id(ticket_id, "template-reply", agent_id, idempotency_key))
                 if idempotency_key else str(uuid4()))
    choice = TemplateChoice.model_validate({"name": template.name, "language": template.language,
                                            "components": template_components(template, values)})
    with _refusals(caller):
        messages = ctx.desk.answer_with_template(str(ticket_id), agent_id=agent_id,
                                                 template=choice, text=template.render(values),
                                                 answer_id=answer_id)
    ctx.run(messages)
    return ReplyOut(ticket_id=str(ticket_id), answer_id=answer_id, duplicate=not messages)


def _check_values(template: Template, values: dict[str, list[str]]) -> None:
    for kind in ("header", "body"):
        expected, given = template.parameters(kind), len(values[kind])
        if expected != given:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, (
                f"The template {template.name} takes {expected} {kind} "
                f"parameter{'s' if expected != 1 else ''}, and {given} "
                f"{'were' if given != 1 else 'was'} given."))
        empty = next((n for n, v in enumerate(values[kind], start=1) if not v), None)
        if empty is not None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, (
                f"Fill in {{{{{empty}}}}} of the template's {kind} before sending it."))
