"""``make screenshots``: PNGs of the agent console's main states (signed out, inbox,
conversation, customer panel, search, timeline, the admin's queue, the template picker after
the 24-hour window, a customer's image in a conversation, the admin's knowledge-base gaps) and
of the customer simulator, in
``build/screenshots/``. Starts its own in-process server with seeded demo conversations (the
browser tests' server) and drives Debian's chromium with playwright-core
(``tools/install-browser.sh``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.console_server import TOM, ConsoleServer, console_server  # noqa: E402
from tests.e2e.test_console_media import png  # noqa: E402

#: The customer whose 24-hour window is closed in the template picker's screenshot.
LATE_PHONE = "447700900456"


def late_customer(server: ConsoleServer) -> None:
    """For the template picker (11): Jon goes online and gets a customer who last wrote 26
    hours ago (not in the registry: shown by their WhatsApp name); the templates are synced."""
    server.call("PUT", "/agents/me/status", server.other_token, json={"status": "online"})
    server.customer_says(LATE_PHONE, "Hi, I'd like to talk to a person about my order",
                         name="Sam Carter", sent_at=datetime.now(UTC) - timedelta(hours=26))
    server.ticket_of(LATE_PHONE)
    server.call("POST", "/templates/refresh")


#: Questions the demo's keyword answerer cannot answer, so it hands them over (13: the gaps).
GAP_QUESTIONS = {"34611000001": "¿Hacéis descuento a estudiantes?",
                 "34611000002": "¿Tenéis algún descuento para estudiantes?",
                 "34611000003": "Do you have a student discount?",
                 "34611000004": "¿Aceptáis pagos con bitcoin?"}


def unanswered_questions(server: ConsoleServer) -> None:
    """For the knowledge-base gaps (13): four customers ask what the knowledge base does not
    say; waits until the AI has handed each of them over."""
    for phone, question in GAP_QUESTIONS.items():
        server.customer_says(phone, question, name="Cliente")

    def all_handed_over() -> bool:
        rows = [row for status in ("open", "queued") for row in server.call(
            "GET", f"/tickets?status={status}&limit=200", server.admin_token)]
        return {row["phone"] for row in rows} >= set(GAP_QUESTIONS)
    server.wait_for(all_handed_over, timeout_s=30)


def main() -> int:
    """Take the screenshots; returns the exit code."""
    out = ROOT / "build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    browser_dir = Path(os.environ.get("HELPLINE_BROWSER_DIR",
                                      Path.home() / ".cache" / "helpline-browser"))
    node = shutil.which("node")
    if node is None or not (browser_dir / "node_modules" / "playwright-core").exists():
        print("screenshots: run tools/install-browser.sh first", file=sys.stderr)
        return 1
    env = {**os.environ, "NODE_PATH": str(browser_dir / "node_modules"),
           "CHROMIUM": shutil.which("chromium") or "/usr/bin/chromium"}
    with tempfile.TemporaryDirectory() as data, console_server(Path(data)) as server:
        late_customer(server)
        # 12: Tom's photo of the parcel, as ms-whatsapp's webhook stores it.
        server.customer_sends_file(TOM, "image", png(360, 240), "image/png",
                                   caption="This is how the parcel arrived")
        unanswered_questions(server)
        done = subprocess.run([node, str(ROOT / "tools" / "screenshots.cjs"), server.base,
                               server.token, server.admin_token, str(out), server.other_token],
                              env=env, timeout=180, check=False)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
