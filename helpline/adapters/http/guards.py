"""What every HTTP app of helpline puts in front of its routes: a limit on request bodies
(checked before anything else, authentication included), security headers, and validation
errors that say what is wrong without echoing the input back."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The largest body the agent API takes (a reply is at most 4,096 characters).
API_BODY_BYTES = 64 * 1024
#: The largest body anything else takes (the webhook checks its own 1 MiB too).
DEFAULT_BODY_BYTES = 1024 * 1024
#: What a multipart upload adds to the file it carries (boundaries, part headers).
MULTIPART_OVERHEAD = 64 * 1024
#: Paths that take a file: an agent's attachment, and the fake Graph API's media upload.
_UPLOAD_SUFFIXES = ("/attachments", "/media")

#: A strict policy: our own scripts and styles only, never framed.
#: (``blob:`` images: the console shows customers' images it fetched with the agent's token.)
STRICT_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
              "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
              "form-action 'self'")
#: Pages that start themselves with an inline script (FastAPI's /docs and /redoc).
INLINE_CSP = STRICT_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'")
_INLINE_PATHS = ("/docs", "/redoc", "/simulator")


class BodyLimit:
    """Refuse request bodies over the limit with 413, before the app sees them: by
    ``Content-Length`` at once, and while reading a body sent without one."""

    def __init__(self, app: ASGIApp, *, api_bytes: int = API_BODY_BYTES,
                 default_bytes: int = DEFAULT_BODY_BYTES,
                 upload_bytes: int = 5 * 1024 * 1024) -> None:
        self.app = app
        self.api_bytes = api_bytes
        self.default_bytes = default_bytes
        self.upload_bytes = upload_bytes + MULTIPART_OVERHEAD
        """Uploads (paths ending ``/attachments`` or ``/media``): the file and its framing."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = (self.upload_bytes if path.endswith(_UPLOAD_SUFFIXES) and scope["method"] == "POST"
                 else self.api_bytes if path.startswith("/api/") else self.default_bytes)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _too_large(send, limit)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


async def _too_large(send: Send, limit: int) -> None:
    payload = json.dumps({"detail": f"the request body is over {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def install(app: FastAPI) -> None:
    """Security headers on every response, and readable 422s."""

    @app.middleware("http")
    async def security_headers(request: Request,
                               call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        response = await call_next(request)
        inline = request.url.path.startswith(_INLINE_PATHS)
        response.headers.setdefault("Content-Security-Policy",
                                    INLINE_CSP if inline else STRICT_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=readable(error))


def readable(error: RequestValidationError) -> dict[str, Any]:
    """What was wrong with a request, per field, in words, without the input itself (which
    may be large, or private)."""
    problems = []
    for e in error.errors():
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        problems.append({"field": where, "problem": str(e.get("msg", "invalid"))})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return {"detail": summary or "invalid request", "errors": problems}
