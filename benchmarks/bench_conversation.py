"""A long conversation: does a turn cost more at a customer's 5,000th message than at the
10th? Through the library, as other teams use it (``ConversationStore`` + ``AIAgent``, the
README's example): per turn the customer's message, the AI's answer and the Sent report of
the reply. Reported: the mean turn time over 50 turns from message 10 and from message
5,000, and their ratio, on SQLite and PostgreSQL, with the aggregate cache (the default) and
without it (every turn loads the conversation from its latest snapshot).

``python -m benchmarks conversation``; ``BENCH_CONVERSATION_TURNS`` (5,000).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import drop_schema, postgres_schema
from helpline.application import AIAgent, ConversationStore, KeywordAnswerer
from helpline.catalog import (
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)

TURNS = int(os.environ.get("BENCH_CONVERSATION_TURNS", "5000"))
WINDOW = 50


def run(env: dict[str, str]) -> tuple[float, float, float, float]:
    """Mean and median seconds per turn from message 10 and from message ``TURNS``."""
    store = ConversationStore(env=env)
    rag = AIAgent(KeywordAnswerer({"horario": "Abrimos de 9:00 a 20:00."}))
    phone = f"3460{uuid.uuid4().int % 10**8:08d}"
    times: dict[int, float] = {}
    for n in range(1, TURNS + WINDOW):
        now = datetime.now(UTC)
        msg = WhatsAppBusinessTextMessageWithUserInfoReceived(
            message_id=uuid.uuid4(), correlation_id=phone, occurred_at=now,
            wamid=f"wamid.{phone}.{n}", phone_number_id="106540352242922",
            sender_phone=phone, text=f"¿Cuál es el horario? ({n})", sent_at=now)
        started = time.perf_counter()
        (ask,) = store.whatsapp_business_text_message_with_user_info_received(msg)
        (answer,) = rag.generate_ai_agent_answer_with_user_info(ask)
        (send,) = store.ai_agent_answer_generated(answer)
        store.whatsapp_business_text_message_sent(WhatsAppBusinessTextMessageSent(
            message_id=uuid.uuid4(), correlation_id=phone, occurred_at=now,
            conversation_id=send.conversation_id, send_message_id=str(send.message_id),
            wamids=(f"wamid.out.{n}",), to=phone))
        times[n] = time.perf_counter() - started
    store.close()
    early = [times[n] for n in range(10, 10 + WINDOW)]
    late = [times[n] for n in range(TURNS, TURNS + WINDOW)]
    return (statistics.mean(early), statistics.mean(late), statistics.median(early),
            statistics.median(late))


def main() -> None:
    """SQLite and PostgreSQL, with and without the aggregate cache."""
    print(f"turn time over {WINDOW} turns from message 10 and from message {TURNS}")
    with tempfile.TemporaryDirectory() as tmp:
        stores: dict[str, dict[str, str]] = {
            "sqlite": {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                       "SQLITE_DBNAME": str(Path(tmp) / "conv.sqlite")}}
        schema = postgres_schema()
        if schema:
            stores["postgres"] = {"PERSISTENCE_MODULE": "eventsourcing.postgres",
                                  "POSTGRES_DBNAME": "test", "POSTGRES_HOST": "127.0.0.1",
                                  "POSTGRES_PORT": "5432", "POSTGRES_USER": "postgres",
                                  "POSTGRES_PASSWORD": "", "POSTGRES_SCHEMA": schema}
        try:
            for name, env in stores.items():
                for cache in ("10000", "0"):
                    if name == "sqlite":
                        env["SQLITE_DBNAME"] = str(Path(tmp) / f"conv-{cache}.sqlite")
                    early, late, early_p50, late_p50 = run(
                        {**env, "HELPLINE_AGGREGATE_CACHE": cache})
                    label = f"{name}, cache {'on' if cache != '0' else 'off'}"
                    print(f"{label:<22} mean at message 10: {early * 1000:6.2f} ms, at message "
                          f"{TURNS}: {late * 1000:6.2f} ms, ratio {late / early:.2f} (medians "
                          f"{early_p50 * 1000:.2f} / {late_p50 * 1000:.2f} ms, ratio "
                          f"{late_p50 / early_p50:.2f})", flush=True)
        finally:
            if schema:
                drop_schema(schema)
