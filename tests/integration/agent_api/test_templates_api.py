"""The agent API's templates and window routes over HTTP, on the in-process services and the
fake Graph API's templates (served in process through httpx's ASGI transport)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpline.adapters.http.api import create_agent_api_router
from helpline.adapters.whatsapp.fake_graph import create_fake_graph_app
from helpline.adapters.whatsapp.graph_client import GraphClient
from helpline.adapters.whatsapp.templates import TemplateCatalog
from helpline.application.customer_gateway import InMemoryCustomerDirectory
from helpline.application.whatsapp_edge import RecordingSender
from helpline.bootstrap import Persistence, bootstrap
from helpline.config import FAKE_WABA_ID, Settings
from helpline.projections import build_projections
from tests.integration.agent_api.conftest import ADMIN, Api

pytestmark = pytest.mark.integration


def _api(tmp_path: Path, waba_id: str = FAKE_WABA_ID) -> Iterator[Api]:
    sender, directory = RecordingSender(), InMemoryCustomerDirectory()
    settings = Settings(helpline_data_dir=tmp_path)
    container = bootstrap(settings, sender=sender, directory=directory)
    view = Persistence(settings).view()
    projections = build_projections(view, desk=container.services.desk,
                                    store=container.services.store)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_fake_graph_app("tok")))
    catalog = TemplateCatalog(GraphClient(http, graph_url="http://fake", api_version="v23.0",
                                          access_token="tok"), waba_id)
    holder: list[Api] = []
    app = FastAPI()
    app.include_router(create_agent_api_router(
        container.services.desk, view, directory, ADMIN, publish=lambda m: holder[0].publish(m),
        store=container.services.store, template_catalog=catalog))
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, container, container.runner(), sender, view, projections, directory,
                  threading.Lock())
        holder.append(api)
        yield api
    projections.close()
    container.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from _api(tmp_path)


def test_templates_are_listed_after_a_sync_on_demand(api: Api) -> None:
    _, token = api.agent("marta")
    before = api.call("GET", "/api/v1/templates", token).json()
    assert before == {"templates": [], "synced_at": None, "error": None}
    synced = api.call("POST", "/api/v1/templates/refresh", token)
    assert synced.status_code == 200
    names = [(t["name"], t["language"]) for t in synced.json()["templates"]]
    assert names == [("follow_up", "en_US"), ("retomar_conversacion", "es"),
                     ("seguimiento_pedido", "es")]
    assert synced.json()["synced_at"] is not None


def test_no_business_account_means_no_templates_said_in_a_sentence(tmp_path: Path) -> None:
    for api in _api(tmp_path, waba_id=""):
        _, token = api.agent("marta")
        answer = api.call("POST", "/api/v1/templates/refresh", token)
        assert answer.status_code == 503
        assert "WHATSAPP_BUSINESS_ACCOUNT_ID" in answer.json()["detail"]


def test_a_template_reply_is_checked_then_sent_once(api: Api) -> None:
    _, token = api.agent("marta")
    api.call("POST", "/api/v1/templates/refresh", token).raise_for_status()
    ticket = api.escalate()
    window = api.call("GET", f"/api/v1/tickets/{ticket}/window", token).json()
    assert window["open"] is True and window["message"] is None
    assert window["closes_at"] is not None
    url = f"/api/v1/tickets/{ticket}/template-replies"
    short = api.call("POST", url, token, json={"name": "seguimiento_pedido", "language": "es",
                                               "body": ["Lucía"]})
    assert short.status_code == 422
    assert short.json()["detail"] == ("The template seguimiento_pedido takes 2 body "
                                      "parameters, and 1 was given.")
    unknown = api.call("POST", url, token, json={"name": "nope", "language": "es"})
    assert unknown.status_code == 422 and "no approved template nope" in unknown.json()["detail"]
    body = {"name": "seguimiento_pedido", "language": "es", "body": ["Lucía", "1234"]}
    key = {"Idempotency-Key": "k-1"}
    first = api.call("POST", url, token, json=body, headers=key)
    again = api.call("POST", url, token, json=body, headers=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    (sent,) = api.sender.templates
    assert sent.text == "Hola Lucía, te escribimos por tu pedido 1234. ¿Podemos ayudarte?"
    _, other = api.agent("jon")
    assert api.call("POST", url, other, json=body).status_code == 403
