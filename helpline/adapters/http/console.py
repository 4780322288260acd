"""The agent console: one static page and a little vanilla JavaScript over the agent API
(``/api/v1``). No build step; the body and its files live in ``static/console/``, the
document around it is the shared shell (:mod:`helpline.adapters.http.pages`)."""

from __future__ import annotations

from fastapi import APIRouter

from helpline.adapters.http.pages import Page, add_page

#: The scripts load in this order: each uses what the ones before it define.
CONSOLE = Page(
    path="/console", title="helpline · agent console", body="console/body.html",
    folder="console", stylesheets=("app.css",),
    scripts=("api.js", "transcript.js", "inbox.js", "app.js", "templates.js", "actions.js",
             "saved.js", "gaps.js", "media.js"))


def create_console_router() -> APIRouter:
    """``GET /console`` (the page) and its scripts and style sheet."""
    router = APIRouter(tags=["console"], include_in_schema=False)
    add_page(router, CONSOLE)
    return router
