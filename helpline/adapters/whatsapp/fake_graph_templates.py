"""The fake Graph API's message templates: what ``GET /{waba-id}/message_templates`` lists,
and how a ``type: "template"`` send is checked, like Meta does it:

- a template (name and language) the business does not have, or not approved: error
  **132001** ("Template name does not exist in the translation");
- a header or body given another number of parameters than its ``{{n}}`` placeholders:
  error **132000** ("Number of parameters does not match the expected number of params").

Test hooks: ``PUT /_fake/templates`` replaces the templates (a list in Meta's shape), ``GET
/_fake/templates`` shows them.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

#: ``{{1}}``, ``{{2}}``… in a template's text.
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")

#: The templates the fake starts with (Meta's list shape).
DEFAULT_TEMPLATES: tuple[dict[str, Any], ...] = (
    {"id": "1000000000000001", "name": "seguimiento_pedido", "language": "es",
     "category": "UTILITY", "status": "APPROVED", "components": [
         {"type": "BODY", "text": "Hola {{1}}, te escribimos por tu pedido {{2}}. "
                                  "¿Podemos ayudarte?",
          "example": {"body_text": [["Lucía", "1234"]]}}]},
    {"id": "1000000000000002", "name": "retomar_conversacion", "language": "es",
     "category": "UTILITY", "status": "APPROVED", "components": [
         {"type": "HEADER", "format": "TEXT", "text": "Helpline"},
         {"type": "BODY", "text": "Hola {{1}}, ¿seguimos con tu consulta?",
          "example": {"body_text": [["Lucía"]]}},
         {"type": "FOOTER", "text": "Responde a este mensaje para continuar"}]},
    {"id": "1000000000000003", "name": "follow_up", "language": "en_US",
     "category": "UTILITY", "status": "APPROVED", "components": [
         {"type": "BODY", "text": "Hi {{1}}, we are following up on your request.",
          "example": {"body_text": [["Lucy"]]}}]},
    {"id": "1000000000000004", "name": "oferta_navidad", "language": "es",
     "category": "MARKETING", "status": "REJECTED", "components": [
         {"type": "BODY", "text": "¡Ofertas de Navidad!"}]},
)


def placeholders(text: str | None) -> int:
    """How many parameters a template text takes (its highest ``{{n}}``)."""
    return max((int(n) for n in PLACEHOLDER.findall(text or "")), default=0)


def check_template_send(body: dict[str, Any],
                        templates: list[dict[str, Any]]) -> tuple[int, str, str] | None:
    """Why a template send is refused, as (code, message, details), or ``None``. ``body``
    has passed the shape checks of :func:`template_shape_problem`."""
    spec = body["template"]
    name, code = spec["name"], spec["language"]["code"]
    found = next((t for t in templates if t.get("name") == name
                  and t.get("language") == code and t.get("status") == "APPROVED"), None)
    if found is None:
        return (132001, "(#132001) Template name does not exist in the translation",
                f"template name ({name}) does not exist in {code}")
    given = {c["type"]: len(c.get("parameters") or []) for c in spec.get("components") or []}
    for component in found.get("components") or []:
        kind = str(component.get("type", "")).lower()
        if kind not in ("header", "body"):
            continue
        expected = placeholders(component.get("text"))
        if given.get(kind, 0) != expected:
            return (132000, "(#132000) Number of parameters does not match the expected "
                            "number of params",
                    f"{kind}: number of localizable_params ({given.get(kind, 0)}) does not "
                    f"match the expected number of params ({expected})")
    return None


def template_shape_problem(body: dict[str, Any]) -> str | None:
    """Why a ``type: "template"`` body is not the documented shape, or ``None``."""
    spec = body.get("template")
    if not isinstance(spec, dict) or set(spec) - {"name", "language", "components"}:
        return "template must be an object with name, language and optional components"
    if not isinstance(spec.get("name"), str) or not spec["name"]:
        return "template.name must be a string"
    language = spec.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        return "template.language must be {\"code\": <language>}"
    components = spec.get("components", [])
    if not isinstance(components, list):
        return "template.components must be a list"
    for component in components:
        if not isinstance(component, dict) or component.get("type") not in (
                "header", "body", "button"):
            return "each template component has a type: header, body or button"
        for parameter in component.get("parameters") or []:
            if not isinstance(parameter, dict) or parameter.get("type") != "text" or not (
                    isinstance(parameter.get("text"), str) and parameter["text"]):
                return "each template parameter must be {\"type\": \"text\", \"text\": ...}"
    return None


def add_template_routes(app: FastAPI, templates: list[dict[str, Any]], token: str) -> None:
    """``GET /{version}/{waba_id}/message_templates`` (Meta's paging shape, one page unless
    ``limit`` is smaller) and the ``/_fake/templates`` hooks, on ``templates`` (shared with
    the send check)."""

    @app.get("/{version}/{waba_id}/message_templates")
    async def list_templates(version: str, waba_id: str, request: Request,
                             limit: int = 100, after: int = 0) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": {"message": "Invalid OAuth access token",
                                           "type": "OAuthException", "code": 190}}, 401)
        page = templates[after:after + limit]
        body: dict[str, Any] = {"data": page, "paging": {}}
        if after + limit < len(templates):
            body["paging"]["next"] = str(request.url.include_query_params(
                after=after + limit, limit=limit))
        return JSONResponse(body)

    @app.put("/_fake/templates")
    async def replace_templates(request: Request) -> dict[str, int]:
        templates[:] = list(await request.json())
        return {"templates": len(templates)}

    @app.get("/_fake/templates")
    async def show_templates() -> dict[str, Any]:
        return {"data": templates}
