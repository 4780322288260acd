"""The template payload builder, the parsing and rendering of synced templates, and the fake
Graph API's checks of a template send (Meta's 132001 and 132000)."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.adapters.whatsapp.fake_graph import validate_send_body
from helpline.adapters.whatsapp.fake_graph_templates import DEFAULT_TEMPLATES, check_template_send
from helpline.adapters.whatsapp.graph_client import template_payload
from helpline.adapters.whatsapp.templates import parse_template, template_components
from helpline.catalog import SendWhatsAppBusinessTemplateMessage

pytestmark = pytest.mark.unit

TEMPLATES = [dict(t) for t in DEFAULT_TEMPLATES]


def test_the_payload_is_the_documented_template_body() -> None:
    cmd = SendWhatsAppBusinessTemplateMessage.model_validate(
        SendWhatsAppBusinessTemplateMessage.example)
    payload = template_payload("34600123456", cmd.template.model_dump(mode="json"), "key:0")
    assert payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "34600123456",
        "type": "template", "biz_opaque_callback_data": "key:0",
        "template": {"name": "seguimiento_pedido", "language": {"code": "es"},
                     "components": [{"type": "body", "parameters": [
                         {"type": "text", "text": "Lucía"}, {"type": "text", "text": "1234"}]}]}}
    assert validate_send_body(payload) is None
    assert check_template_send(payload, TEMPLATES) is None


def test_a_template_without_parameters_sends_no_components() -> None:
    payload = template_payload("34600123456", {"name": "hello_world", "language": "en_US",
                                               "components": [{"type": "body",
                                                               "parameters": []}]})
    assert payload["template"] == {"name": "hello_world", "language": {"code": "en_US"}}
    assert "biz_opaque_callback_data" not in payload


def test_a_synced_template_knows_its_parameters_and_renders() -> None:
    template = parse_template(TEMPLATES[1])  # header without parameters, body with one
    assert (template.name, template.language, template.status) == (
        "retomar_conversacion", "es", "APPROVED")
    assert template.parameters("header") == 0 and template.parameters("body") == 1
    assert template.render({"body": ["Lucía"]}) == (
        "Helpline\nHola Lucía, ¿seguimos con tu consulta?\n"
        "Responde a este mensaje para continuar")
    assert "{{1}}" in template.render({})
    assert template_components(template, {"header": [], "body": ["Lucía"]}) == [
        {"type": "body", "parameters": [{"type": "text", "text": "Lucía"}]}]
    body = next(c for c in template.components if c.type == "body")
    assert body.examples == ("Lucía",)


def test_a_media_header_takes_no_text_parameters() -> None:
    template = parse_template({"name": "x", "language": "es", "status": "APPROVED",
                               "components": [{"type": "HEADER", "format": "IMAGE"},
                                              {"type": "BODY", "text": "{{1}} y {{2}}"}]})
    assert template.parameters("header") == 0 and template.parameters("body") == 2


def _send(name: str, code: str, body: list[str]) -> dict[str, Any]:
    return template_payload("34600123456", {"name": name, "language": code, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": v} for v in body]}]})


def test_the_fake_refuses_an_unknown_or_unapproved_template_with_132001() -> None:
    for name, code in (("no_such", "es"), ("seguimiento_pedido", "en_US"),
                       ("oferta_navidad", "es")):
        refused = check_template_send(_send(name, code, []), TEMPLATES)
        assert refused is not None and refused[0] == 132001
        assert f"template name ({name}) does not exist in {code}" == refused[2]


def test_the_fake_refuses_a_wrong_parameter_count_with_132000() -> None:
    for given in ([], ["Lucía"], ["Lucía", "1234", "extra"]):
        refused = check_template_send(_send("seguimiento_pedido", "es", given), TEMPLATES)
        assert refused is not None and refused[0] == 132000
        assert f"localizable_params ({len(given)})" in refused[2]


def test_the_fake_checks_the_template_body_shape() -> None:
    payload = _send("seguimiento_pedido", "es", ["Lucía", "1"])
    payload["template"]["language"] = "es"
    assert validate_send_body(payload) == "template.language must be {\"code\": <language>}"
    payload = _send("seguimiento_pedido", "es", ["Lucía", "1"])
    payload["template"]["components"][0]["parameters"][0] = {"type": "text", "text": ""}
    assert "each template parameter" in (validate_send_body(payload) or "")
