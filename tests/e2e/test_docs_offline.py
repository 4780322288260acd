"""``/docs`` (Swagger UI) and ``/redoc`` render in real headless Chromium with every request
that leaves this server refused, as on a machine with no internet."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from helpline.adapters.http.app import create_app
from helpline.adapters.nats.consumer import Metrics
from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import free_port

pytestmark = pytest.mark.e2e

TITLE = "helpline docs offline"

DOCS = r"""
run(async (browser) => {
  const page = await browser.newPage();
  results.outside = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(base)) return route.continue();
    results.outside.push(url);
    return route.abort();
  });
  await page.goto(base + "/docs");
  await page.waitForSelector(".swagger-ui .info .title", { timeout: 15000 });
  results.swagger = await page.textContent(".swagger-ui .info .title");
  results.operations = await page.locator(".opblock").count();
  await page.goto(base + "/redoc");
  await page.waitForSelector("h1", { timeout: 15000 });
  results.redoc = await page.textContent("h1");
  results.redocOperations = await page.locator("[data-section-id^='tag/'], "
    + "[data-section-id^='operation/']").count();
});
"""


@pytest.fixture
def base() -> Iterator[str]:
    need_browser()
    app = create_app(health_checks={}, metrics=Metrics(), title=TITLE)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_swagger_ui_and_redoc_render_with_no_internet(base: str, tmp_path: Path) -> None:
    seen = run_script(tmp_path, DOCS, [base, "", ""])
    assert seen["outside"] == []  # nothing was even asked of another host
    assert seen["swagger"].startswith(TITLE)
    assert seen["operations"] >= 2  # /healthz and /metrics
    assert seen["redoc"].startswith(TITLE)
    assert seen["redocOperations"] >= 1
