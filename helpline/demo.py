"""``helpline demo``: a scripted conversation through the five services, in-process."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from helpline.adapters.directory import SqliteCustomerDirectory
from helpline.application.runner import InProcessRunner
from helpline.bootstrap import bootstrap
from helpline.catalog import (
    CatalogMessage,
    CustomerInfo,
    GetConversation,
    TicketOpened,
    WhatsAppBusinessTextMessageReceived,
)
from helpline.config import Settings
from helpline.domain.ids import conversation_id_for

BUSINESS_NUMBER_ID = "106540352242922"
#: The sample knowledge base the demo's AI answers from (the one ``make run`` serves).
SAMPLE_KB = Path(__file__).resolve().parents[1] / "examples" / "kb"
CUSTOMER = CustomerInfo(customer_id="cus_0042", name="Lucía Fernández", phone="34600123456",
                        email="lucia@example.com", language="es")


class DemoClock:
    """A clock that advances one second per reading, so the transcript reads naturally."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def inbound(
    text: str, clock: Callable[[], datetime], n: int
) -> WhatsAppBusinessTextMessageReceived:
    """The event ms-whatsapp publishes for a customer message."""
    at = clock()
    return WhatsAppBusinessTextMessageReceived(
        message_id=uuid4(), correlation_id=str(conversation_id_for(CUSTOMER.phone)),
        occurred_at=at, wamid=f"wamid.demo.{n}", phone_number_id=BUSINESS_NUMBER_ID,
        sender_phone=CUSTOMER.phone, profile_name="Lucía", text=text, sent_at=at,
    )


def run_demo(data_dir: Path, echo: Callable[[str], None] = print,
             kb_path: Path | None = SAMPLE_KB) -> InProcessRunner:
    """Play the scripted conversation on SQLite under ``data_dir``; print what happens.

    The AI answers from the knowledge base at ``kb_path`` (``examples/kb``, as with
    ``make run``), or with the tiny keyword answerer when there is none (an installed
    package without the examples)."""
    clock = DemoClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    directory = SqliteCustomerDirectory(data_dir / "customers.sqlite")
    directory.upsert(CUSTOMER)
    kb = kb_path if kb_path is not None and kb_path.is_dir() else None
    container = bootstrap(Settings(helpline_data_dir=data_dir, helpline_kb_path=kb),
                          directory=directory, clock=clock)
    runner = container.runner()
    desk = container.services.desk
    agent = desk.register_agent(name="Marta", email="marta@example.com", languages=["es"],
                                max_tickets=3, agent_id="agt_marta")
    desk.set_agent_status(agent.agent_id, online=True)

    def step(title: str, messages: list[CatalogMessage]) -> None:
        echo(f"\n## {title}")
        for m in runner.publish(*messages):
            echo(f"  {m.producer:>13} → {m.catalog_id}")

    step("Customer asks a question the AI can answer",
         [inbound("Hola, ¿cuál es vuestro horario?", clock, 1)])
    step("Customer asks for a person", [inbound("quiero hablar con una persona", clock, 2)])
    ticket_id = next(m.ticket_id for m in runner.log if isinstance(m, TicketOpened))
    step("Customer writes while the ticket is open",
         [inbound("Es por el pedido 1234, no me ha llegado", clock, 3)])
    step("The agent answers",
         desk.answer(ticket_id, agent_id=agent.agent_id,
                     text="Hola Lucía, soy Marta. Tu pedido 1234 sale hoy; llega mañana."))
    step("The agent closes the ticket",
         desk.close_ticket(ticket_id, agent_id=agent.agent_id, resolution="Pedido reenviado"))
    step("A new question: the AI answers again",
         [inbound("Gracias. ¿Y cuánto tarda el envío normalmente?", clock, 4)])

    doc = container.services.store.get_conversation(GetConversation(
        message_id=uuid4(), correlation_id="demo", occurred_at=clock(),
        conversation_id=str(conversation_id_for(CUSTOMER.phone))))
    echo("\n## Transcript")
    for turn in doc.turns:
        echo(f"  [{turn.at:%H:%M:%S}] {turn.author:>8}: {turn.text}")
    container.close()
    return runner


def main(echo: Callable[[str], None] = print) -> None:
    """Run the demo in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="helpline-demo-") as tmp:
        run_demo(Path(tmp), echo)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline demo``."""
    parser = sub.add_parser("demo", help="play a scripted conversation in-process on SQLite")
    parser.set_defaults(func=_run)


def _run(_: argparse.Namespace) -> int:
    main()
    return 0
