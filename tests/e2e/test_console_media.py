"""A customer's image shows in the console's conversation, loaded (``naturalWidth > 0``)
through the agent API with the agent's token, and a document appears as a download link
that saves the file's own bytes, in real headless Chromium."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import need_browser, run_script
from tests.e2e.console_server import TOM, ConsoleServer, console_server

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.4\n% a small invoice\n"


def png(width: int, height: int) -> bytes:
    """A real PNG of ``width`` x ``height`` pixels (a blue to orange gradient)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes((32 + 200 * y // height, 96, 208 - 150 * y // height))
                    * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    need_browser()
    with console_server(tmp_path_factory.mktemp("media")) as running:
        running.customer_sends_file(TOM, "image", png(64, 40), "image/png",
                                    caption="This is how the box arrived")
        running.customer_sends_file(TOM, "document", PDF, "application/pdf",
                                    filename="invoice-1234.pdf")
        yield running


SCRIPT = r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 },
                                       acceptDownloads: true });
  await signIn(page, token);
  await page.locator("#inbox li", { hasText: "Tom" }).click();
  await page.waitForSelector("#transcript img.media-image");
  await page.waitForFunction(() => {
    const img = document.querySelector("#transcript img.media-image");
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 10000 });
  results.image = await page.$eval("#transcript img.media-image", (img) => ({
    width: img.naturalWidth, height: img.naturalHeight, alt: img.alt,
    src: img.src.slice(0, 5),
    caption: img.closest("li").querySelector(".text").textContent }));
  const link = page.locator("#transcript a.media-download");
  results.link = { text: await link.textContent(), download: await link.getAttribute("download") };
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const fs = require("fs");
  results.saved = fs.readFileSync(await download.path(), "latin1");
  results.suggested = download.suggestedFilename();
});
"""


def test_an_image_is_shown_loaded_and_a_document_is_a_download(
        server: ConsoleServer, tmp_path: Path) -> None:
    found = run_script(tmp_path, SCRIPT, [server.base, server.token, server.admin_token])
    assert found["image"] == {"width": 64, "height": 40, "alt": "Image from the customer",
                              "src": "blob:", "caption": "This is how the box arrived"}
    assert found["link"] == {"text": "Document: invoice-1234.pdf",
                             "download": "invoice-1234.pdf"}
    assert found["saved"] == PDF.decode("latin1")
    assert found["suggested"] == "invoice-1234.pdf"


ATTACH = r"""
run(async (browser) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, token);
  await page.locator("#inbox li", { hasText: "Tom" }).click();
  await page.waitForSelector("#transcript li.bubble");
  await page.setInputFiles("#attach-file", { name: "run.exe", mimeType: "application/x-msdownload",
                                             buffer: Buffer.from("MZ not allowed") });
  await page.fill("#reply-text", "A program");
  await page.click("#reply-send");
  await page.waitForFunction(() => document.getElementById("ticket-error").textContent !== "");
  results.refused = await page.textContent("#ticket-error");
  await page.setInputFiles("#attach-file", { name: "refund-form.pdf", mimeType: "application/pdf",
                                             buffer: Buffer.from("%PDF-1.4 refund form") });
  await page.fill("#reply-text", "Here is the refund form");
  await page.click("#reply-send");
  await page.waitForFunction(() => document.getElementById("reply-text").value === "");
  results.cleared = await page.$eval("#attach-file", (input) => input.files.length);
});
"""


def test_an_agent_attaches_a_document_from_the_console(server: ConsoleServer,
                                                       tmp_path: Path) -> None:
    before = len(server.sender.sent)
    found = run_script(tmp_path, ATTACH, [server.base, server.token, server.admin_token])
    assert found["refused"] == ("Attach a JPEG or PNG image, or a PDF, text or Office "
                                "document.")
    assert found["cleared"] == 0
    sent = server.wait_for(lambda: server.sender.sent[before:])
    (reply,) = sent
    assert reply.text == "Here is the refund form" and reply.attachment is not None
    assert (reply.attachment.kind, reply.attachment.filename, reply.attachment.size) == (
        "document", "refund-form.pdf", len(b"%PDF-1.4 refund form"))
