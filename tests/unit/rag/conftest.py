"""Fixtures for the RAG tests: the sample knowledge base and a fake OpenAI-compatible server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from helpline.adapters.rag import KnowledgeBaseAnswerer

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_KB = ROOT / "examples" / "kb"
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def sample_answerer() -> KnowledgeBaseAnswerer:
    """The default (BM25, no LLM) answerer over ``examples/kb``; tests must not mutate it."""
    return KnowledgeBaseAnswerer.from_path(SAMPLE_KB)


@dataclass
class FakeLLM:
    """What the fake server replies and what it received."""

    reply: str = "ok"
    delay: float = 0.0
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """An OpenAI-compatible ``/v1/chat/completions`` server on 127.0.0.1 (random port)."""
    state = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(json.loads(self.rfile.read(length)))
            state.headers.append(dict(self.headers.items()))
            state.paths.append(self.path)
            time.sleep(state.delay)
            body = json.dumps({
                "id": "chatcmpl-1", "object": "chat.completion", "model": "fake",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": state.reply}}],
            }).encode()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
