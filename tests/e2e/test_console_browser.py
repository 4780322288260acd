"""The agent console in real headless Chromium (playwright-core): an escalation shows up
in the inbox while the agent watches, the agent replies, and the reply reaches the WhatsApp
sender. Needs ``tools/install-browser.sh`` (Debian's chromium + playwright-core)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpline.application.whatsapp_edge import RecordingSender
from tests.e2e.console_server import LUCIA, console_server

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NODE = shutil.which("node")
BROWSER_DIR = Path(os.environ.get("HELPLINE_BROWSER_DIR",
                                  Path.home() / ".cache" / "helpline-browser"))
PLAYWRIGHT = BROWSER_DIR / "node_modules" / "playwright-core"
PHONE = LUCIA

SCRIPT = r"""
const { chromium } = require("playwright-core");
const readline = require("readline");
const [base, token, reply] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  try {
    const page = await browser.newPage();
    await page.goto(base + "/console");
    await page.fill("#token", token);
    await page.click("#sign-in button[type=submit]");
    await page.waitForSelector("#inbox-empty", { state: "visible" });
    console.log("ready");
    await lines.next();  // the test makes the customer ask for a person now
    const item = page.locator("#inbox li").first();
    await item.waitFor({ timeout: 20000 });
    await item.click();
    await page.waitForSelector("#transcript li.customer", { timeout: 10000 });
    const turns = await page.locator("#transcript li").allTextContents();
    console.log("transcript " + JSON.stringify(turns));
    await page.fill("#reply-text", reply);
    await page.click("#reply-send");
    await page.waitForFunction(
      () => document.getElementById("ticket-status").textContent === "Sent.");
    await page.waitForSelector("#transcript li.agent", { timeout: 10000 });
    console.log("replied");
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
"""




@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, RecordingSender, object]]:
    with console_server(tmp_path, seeded=False) as running:
        def escalate() -> None:
            running.customer_says(PHONE, "quiero hablar con una persona")

        yield running.base, running.token, running.sender, escalate


def test_escalation_reply_reaches_whatsapp(
        server: tuple[str, str, RecordingSender, object], tmp_path: Path) -> None:
    if NODE is None:
        pytest.skip("node is not installed (needed for playwright-core)")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed: run tools/install-browser.sh")
    if not PLAYWRIGHT.exists():
        pytest.skip(f"playwright-core is not installed in {BROWSER_DIR}: "
                    "run tools/install-browser.sh")
    base, token, sender, escalate = server
    script = tmp_path / "console.cjs"
    script.write_text(SCRIPT)
    reply = "Hola Lucía, soy Marta: tu pedido sale hoy."
    env = {**os.environ, "NODE_PATH": str(BROWSER_DIR / "node_modules"), "CHROMIUM": CHROMIUM}
    node = subprocess.Popen([NODE, str(script), base, token, reply], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert node.stdout is not None and node.stdin is not None
        assert node.stdout.readline().strip() == "ready"
        assert not [c for c in sender.sent if c.author == "agent"]
        escalate()  # type: ignore[operator]
        node.stdin.write("go\n")
        node.stdin.flush()
        out, err = node.communicate(timeout=90)
    finally:
        if node.poll() is None:
            node.kill()
    assert node.returncode == 0, err
    assert "quiero hablar con una persona" in out and "replied" in out
    [sent] = [c for c in sender.sent if c.author == "agent"]
    assert (sent.text, sent.channel.customer_phone) == (reply, PHONE)
