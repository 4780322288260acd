"""The agent API (``/api/v1``): agents read their inbox and tickets (and hear of changes on
``/events``), reply and close; admins
register agents, look conversations up, maintain the customer registry and the dead letters.

CQRS: every ``GET`` reads the projections (``HelpdeskView``), never an aggregate;
authentication reads the roster through ``AgentDesk.authenticate``. Commands call the
AgentDesk; the catalog messages they cause are published by the outbox relay from the stored
events. Routes live in ``routes/`` as module-level routers; what they work on comes from the
:class:`~helpline.adapters.http.api.deps.ApiContext` the router binds to each request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Depends

from helpline.adapters.http.api.deps import ApiContext, Publish, QuestionEmbedder
from helpline.adapters.http.api.models import errors
from helpline.adapters.http.api.routes import (
    actions,
    admin,
    agents,
    events,
    kb_gaps,
    templates,
    tickets,
)
from helpline.adapters.http.api.routes import media as media_routes
from helpline.adapters.media_store import MediaStore
from helpline.adapters.nats.dead_letters import DeadLetters
from helpline.adapters.whatsapp.templates import TemplateCatalog
from helpline.application.agent_desk import AgentDesk
from helpline.application.conversation_store import ConversationStore
from helpline.application.ports import Answerer, CustomerDirectory
from helpline.projections.updates import Updates
from helpline.projections.views import HelpdeskView

_ERRORS = errors({401: "no or unknown bearer token",
                  403: "not allowed (or not a ticket of yours)"})


def create_agent_api_router(
    desk: AgentDesk, views: HelpdeskView, directory: CustomerDirectory, admin_token: str,
    *, publish: Publish | None = None, clock: Callable[[], datetime] | None = None,
    dead_letters: DeadLetters | None = None, updates: Updates | None = None,
    ping_seconds: float = 15.0, store: ConversationStore | None = None,
    answerer: Answerer | None = None, media: MediaStore | None = None,
    upload_max_bytes: int = 5 * 1024 * 1024, template_catalog: TemplateCatalog | None = None,
    question_embedder: QuestionEmbedder | None = None,
) -> APIRouter:
    """The ``/api/v1`` router over these services. ``admin_token`` empty disables the admin
    role; ``publish`` (in-process runs and tests only) receives the catalog messages each
    command causes; ``dead_letters`` serves the admin's dead-letter routes; ``updates`` (the
    projections') feeds ``GET /events``, with a ping every ``ping_seconds``; ``store`` (the
    conversations' event store) and ``answerer`` (ms-rag's) serve a ticket's timeline and
    the AI's suggested reply; ``media`` (the media store) serves customers' files and keeps
    agents' attachments of at most ``upload_max_bytes``; ``template_catalog`` the message
    templates; ``question_embedder`` (ms-rag's) groups the handed-over questions by
    meaning."""
    context = ApiContext(desk=desk, views=views, directory=directory, admin_token=admin_token,
                         now=clock or (lambda: datetime.now(UTC)), publish=publish,
                         dead_letters=dead_letters, updates=updates,
                         ping_seconds=ping_seconds, media=media,
                         upload_max_bytes=upload_max_bytes, templates=template_catalog,
                         question_embedder=question_embedder)
    assist = actions.Assist(store=store, answerer=answerer)
    router = APIRouter(prefix="/api/v1", responses=_ERRORS,
                       dependencies=[Depends(context.bind), Depends(assist.bind)])
    for module in (agents, tickets, events, actions, templates, admin, kb_gaps, media_routes):
        router.include_router(module.router)
    return router


__all__ = ["ApiContext", "create_agent_api_router"]
