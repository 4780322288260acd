"""The pages of the HTTP edge (the agent console, the customer simulator): one HTML shell
fills in each page's title, style sheets, body and scripts; the page and exactly the assets
it links are served, never cached."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpline.adapters.http.console import CONSOLE, create_console_router
from helpline.adapters.http.pages import STATIC, Page, render
from helpline.adapters.http.simulator import SIMULATOR, create_simulator_router
from helpline.config import Settings

pytestmark = pytest.mark.unit

#: Elements that have no end tag (HTML's void elements that the pages use and more).
VOID = {"meta", "link", "input", "br", "hr", "img", "source", "wbr", "area", "col"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(create_console_router())
    app.include_router(create_simulator_router(
        Settings(whatsapp_app_secret="s", whatsapp_verify_token="v"),
        "http://127.0.0.1:9/webhooks/whatsapp", "http://127.0.0.1:9"))
    return TestClient(app)


class Nesting(HTMLParser):
    """Checks that every element is closed in the order it was opened."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()


def head(html: str) -> str:
    return html[:html.index("</head>")]


@pytest.mark.parametrize("page", [CONSOLE, SIMULATOR], ids=["console", "simulator"])
def test_each_page_is_a_whole_document_that_nests(client: TestClient, page: Page) -> None:
    response = client.get(page.path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert html.startswith("<!doctype html>\n<html lang=\"en\">\n<head>\n")
    assert html.endswith("</body>\n</html>\n")
    assert '<meta charset="utf-8">' in head(html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in head(html)
    assert re.findall(r"<title>(.*?)</title>", html) == [page.title]
    checker = Nesting()
    checker.feed(html)
    checker.close()
    assert (checker.errors, checker.open) == ([], [])


def test_the_body_is_the_fragment_unchanged_and_the_scripts_follow_it_in_order(
        client: TestClient) -> None:
    console = client.get("/console").text
    fragment = STATIC.joinpath(CONSOLE.body).read_text(encoding="utf-8").rstrip("\n")
    body = console[console.index("<body>\n") + len("<body>\n"):console.index("\n</body>")]
    assert body.startswith(fragment + "\n")
    scripts = body[len(fragment) + 1:]
    # The console's modules use what earlier ones define: api.js first, media.js last.
    assert scripts.splitlines() == [f'<script src="/console/{name}"></script>' for name in (
        "api.js", "transcript.js", "inbox.js", "app.js", "templates.js", "actions.js",
        "saved.js", "gaps.js", "media.js")]
    simulator = client.get("/simulator").text
    assert re.findall(r"<script[^>]*>", simulator) == ['<script src="simulator/simulator.js">']
    assert simulator.endswith('<script src="simulator/simulator.js"></script>\n</body>\n'
                              "</html>\n")


def test_the_title_and_links_are_escaped() -> None:
    page = dataclasses.replace(SIMULATOR, title='<script>alert("x")</script> & co',
                               scripts=('a"b.js',))
    html = render(page)
    assert "<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</title>" in html
    assert "alert(\"x\")" not in html
    assert '<script src="simulator/a&quot;b.js"></script>' in html


@pytest.mark.parametrize("page", [CONSOLE, SIMULATOR], ids=["console", "simulator"])
def test_every_linked_asset_is_served_uncached_with_its_media_type(
        client: TestClient, page: Page) -> None:
    html = client.get(page.path).text
    linked = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(linked) == len(page.assets)
    for name, link in zip(page.assets, linked, strict=True):
        # Fetch what the browser fetches: the link resolved against the page's own URL.
        url = urljoin(f"http://testserver{page.path}", link)
        assert url == f"http://testserver{page.path}/{name}", link
        response = client.get(url)
        assert response.status_code == 200, name
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        assert response.headers["content-type"] == f"{kind}; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"
        assert response.content == STATIC.joinpath(page.folder, name).read_bytes()


def test_only_the_linked_assets_are_served_not_the_fragments(client: TestClient) -> None:
    assert client.get("/console/body.html").status_code == 404
    assert client.get("/simulator/simulator-body.html").status_code == 404
    assert client.get("/simulator/shell.html").status_code == 404


def test_the_routes_keep_their_names(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    assert app.url_path_for("console-app.css") == "/console/app.css"
    assert app.url_path_for("console-media.js") == "/console/media.js"
    assert app.url_path_for("simulator-simulator.js") == "/simulator/simulator.js"
    assert app.url_path_for("simulator-simulator.css") == "/simulator/simulator.css"
    assert app.url_path_for("simulator_page") == "/simulator"
    assert app.url_path_for("console_page") == "/console"
    # The console stays out of the API schema; the simulator's page stays in it, as HTML.
    paths = app.openapi()["paths"]
    assert not [p for p in paths if p.startswith("/console")]
    assert set(paths["/simulator"]["get"]["responses"]["200"]["content"]) == {"text/html"}
    assert not [p for p in paths if p.endswith((".js", ".css"))]


def test_a_page_refuses_an_asset_it_could_not_serve_with_its_media_type() -> None:
    with pytest.raises(ValueError, match=r"/console: assets must be \.css or \.js files"):
        dataclasses.replace(CONSOLE, scripts=("logo.png",))


def test_links_are_absolute_or_relative_to_the_page() -> None:
    assert (CONSOLE.href, SIMULATOR.href) == ("/console/", "simulator/")
