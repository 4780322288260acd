"""Driving Debian's chromium from a test: a playwright-core script run by node, which can ask
the test to act (``do NAME`` on stdout, answered ``done`` on stdin) and prints its findings
(``result {json}``). Tests skip when the browser is not installed (tools/install-browser.sh)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NODE = shutil.which("node")
BROWSER_DIR = Path(os.environ.get("HELPLINE_BROWSER_DIR",
                                  Path.home() / ".cache" / "helpline-browser"))
MODULES = BROWSER_DIR / "node_modules"

#: What every script starts with: a browser, ``signIn``, ``ask`` (the test acts) and ``report``.
PRELUDE = r"""
const { chromium } = require("playwright-core");
const readline = require("readline");
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const [base, token, adminToken] = process.argv.slice(2);
const results = {};
async function ask(name) { console.log("do " + name); await lines.next(); }
async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM, args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
}
async function signIn(page, secret) {
  await page.goto(base + "/console");
  await page.fill("#token", secret);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#desk", { state: "visible", timeout: 10000 });
}
async function axe(page) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const found = await page.evaluate(async () => (await window.axe.run(document)).violations);
  return found.filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}
function run(body) {
  (async () => {
    const browser = await launch();
    try { await body(browser); } finally { await browser.close(); }
    console.log("result " + JSON.stringify(results));
    process.exit(0);
  })().catch((error) => { console.error(error); process.exit(1); });
}
"""


def need_browser(axe: bool = False) -> None:
    """Skip the test when node, chromium, playwright-core (or axe-core) are missing."""
    if NODE is None:
        pytest.skip("node is not installed (needed for playwright-core)")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed: run tools/install-browser.sh")
    if not (MODULES / "playwright-core").exists():
        pytest.skip(f"playwright-core is not installed in {BROWSER_DIR}: "
                    "run tools/install-browser.sh")
    if axe and not (MODULES / "axe-core").exists():
        pytest.skip(f"axe-core is not installed in {BROWSER_DIR}: run tools/install-browser.sh")


def run_script(tmp_path: Path, body: str, args: list[str],
               actions: Mapping[str, Callable[[], object]] | None = None,
               timeout_s: float = 120) -> dict[str, Any]:
    """Run ``PRELUDE + body`` with ``args``; perform the actions it asks for; its results."""
    need_browser(axe="axe(" in body)
    script = tmp_path / "browser.cjs"
    script.write_text(PRELUDE + body)
    env = {**os.environ, "NODE_PATH": str(MODULES), "CHROMIUM": CHROMIUM}
    assert NODE is not None
    node = subprocess.Popen([NODE, str(script), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    result: dict[str, Any] | None = None
    try:
        assert node.stdout is not None and node.stdin is not None
        for line in node.stdout:
            if line.startswith("do "):
                (actions or {})[line[3:].strip()]()
                node.stdin.write("done\n")
                node.stdin.flush()
            elif line.startswith("result "):
                result = json.loads(line[7:])
        node.wait(timeout_s)
    finally:
        if node.poll() is None:
            node.kill()
    err = node.stderr.read() if node.stderr else ""
    assert node.returncode == 0 and result is not None, err[-3000:]
    return result
