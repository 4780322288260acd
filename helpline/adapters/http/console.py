"""The agent console: one static page and a little vanilla JavaScript over the agent API
(``/api/v1``). No build step; the files live in ``static/console/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static" / "console"

_FILES = {name: "text/javascript"
          for name in ("api.js", "transcript.js", "inbox.js", "app.js", "templates.js",
                       "actions.js", "saved.js", "gaps.js", "media.js")}
_FILES["app.css"] = "text/css"


def create_console_router() -> APIRouter:
    """``GET /console`` (the page) and its script and style sheet."""
    router = APIRouter(tags=["console"], include_in_schema=False)

    @router.get("/console")
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html",
                            headers={"Cache-Control": "no-store"})

    def serve(name: str, media_type: str) -> None:
        @router.get(f"/console/{name}", name=f"console-{name}")
        def asset() -> FileResponse:
            return FileResponse(STATIC / name, media_type=media_type,
                                headers={"Cache-Control": "no-store"})

    for name, media_type in _FILES.items():
        serve(name, media_type)
    return router
