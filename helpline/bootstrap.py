"""The composition root: the only place that builds applications and adapters.

:func:`bootstrap` builds the five applications; :class:`Persistence` is the one place that
reads ``PERSISTENCE_MODULE`` and opens the stores for it; :mod:`helpline.wiring` builds,
from a container, what a ``helpline up`` / ``serve`` process runs around the applications.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.sqlite import SQLiteDatastore

from helpline.adapters.directory import PostgresCustomerDirectory, SqliteCustomerDirectory
from helpline.adapters.whatsapp.ledger import PostgresSendLedger, SendLedgerStore, SqliteSendLedger
from helpline.application.agent_desk import AgentDesk
from helpline.application.ai_agent import AIAgent, KeywordAnswerer
from helpline.application.base import HelplineApplication
from helpline.application.conversation_store import ConversationStore
from helpline.application.customer_gateway import CustomerGateway, InMemoryCustomerDirectory
from helpline.application.ports import Answerer, Clock, CustomerDirectory, WhatsAppSender, utc_now
from helpline.application.runner import InProcessRunner, Services
from helpline.application.whatsapp_edge import RecordingSender, WhatsAppEdge
from helpline.config import Settings
from helpline.projections.runner import SchemaDatastore
from helpline.projections.views import HelpdeskView, PostgresHelpdeskView, SqliteHelpdeskView

DEMO_ANSWERS = {
    "horario": "Abrimos de lunes a viernes de 9:00 a 20:00 y los sábados de 10:00 a 14:00.",
    "hora": "Abrimos de lunes a viernes de 9:00 a 20:00 y los sábados de 10:00 a 14:00.",
    "open": "We are open Monday to Friday 9:00-20:00 and Saturdays 10:00-14:00.",
    "envio": "Los envíos en península tardan 24-48 h y son gratis desde 50 €.",
    "shipping": "Shipping takes 24-48 h and is free over €50.",
    "devol": "Tienes 30 días para devolver un producto sin usar.",
    "return": "You have 30 days to return an unused product.",
    "hola": "¡Hola! ¿En qué te puedo ayudar?",
    "gracias": "¡A ti! Aquí estamos para lo que necesites.",
}


@dataclass(frozen=True)
class Persistence:
    """The stores for the configured ``PERSISTENCE_MODULE``: SQLite files in the data
    directory (the default), PostgreSQL (every table in ``POSTGRES_SCHEMA``), or memory
    (``eventsourcing.popo``; the send ledger stays a SQLite file)."""

    settings: Settings

    @property
    def postgres(self) -> bool:
        """Whether the stores are in PostgreSQL."""
        return self.settings.persistence_module == "eventsourcing.postgres"

    @property
    def in_memory(self) -> bool:
        """Whether the stores are in memory (nothing survives the process)."""
        return self.settings.persistence_module == "eventsourcing.popo"

    def _data_dir(self) -> Path:
        self.settings.helpline_data_dir.mkdir(parents=True, exist_ok=True)
        return self.settings.helpline_data_dir

    def event_store_env(self, app_file: str) -> dict[str, str]:
        """The eventsourcing environment for an application stored in ``app_file``."""
        s = self.settings
        cache = {"HELPLINE_AGGREGATE_CACHE": str(s.helpline_aggregate_cache)}
        if self.postgres:
            return {**cache, "PERSISTENCE_MODULE": "eventsourcing.postgres",
                    # A connection PostgreSQL dropped (a restart) is replaced before use.
                    "POSTGRES_PRE_PING": "y", "POSTGRES_CONNECT_TIMEOUT": "5",
                    "POSTGRES_DBNAME": s.postgres_dbname, "POSTGRES_HOST": s.postgres_host,
                    "POSTGRES_PORT": str(s.postgres_port), "POSTGRES_USER": s.postgres_user,
                    "POSTGRES_PASSWORD": s.postgres_password.get_secret_value(),
                    "POSTGRES_SCHEMA": s.postgres_schema}
        if self.in_memory:
            return {**cache, "PERSISTENCE_MODULE": "eventsourcing.popo"}
        return {**cache, "PERSISTENCE_MODULE": "helpline.adapters.sqlite_store:Factory",
                "SQLITE_DBNAME": str(self._data_dir() / f"{app_file}.sqlite"),
                "SQLITE_LOCK_TIMEOUT": "10", "SQLITE_SYNCHRONOUS": s.sqlite_synchronous}

    def directory(self) -> CustomerDirectory:
        """The customer registry."""
        if self.postgres:
            return PostgresCustomerDirectory(self.settings.postgres_conninfo())
        if self.in_memory:
            return InMemoryCustomerDirectory()
        return SqliteCustomerDirectory(self._data_dir() / "customers.sqlite")

    def view(self, prefix: str = "helpline_view_", **options: Any) -> HelpdeskView:
        """The read projections' database: ``projections.sqlite`` in the data directory, the
        PostgreSQL database (tables named with ``prefix``), or an in-memory SQLite database;
        its tables created."""
        s = self.settings
        view: HelpdeskView
        if self.postgres:
            datastore = SchemaDatastore(
                s.postgres_dbname, s.postgres_host, s.postgres_port, s.postgres_user,
                s.postgres_password.get_secret_value(), pool_size=options.get("pool_size", 2),
                max_overflow=options.get("max_overflow", 4), schema=s.postgres_schema,
                pre_ping=True)
            view = PostgresHelpdeskView(datastore, prefix=prefix)
        else:
            db_name = (f"file:helpline-views-{uuid4().hex}?mode=memory&cache=shared"
                       if self.in_memory else str(self._data_dir() / "projections.sqlite"))
            view = SqliteHelpdeskView(SQLiteDatastore(db_name, lock_timeout=10), prefix=prefix)
        view.create_table()
        return view

    async def send_ledger(self, stack: AsyncExitStack) -> SendLedgerStore:
        """ms-whatsapp's send ledger, closed when ``stack`` closes."""
        if self.postgres:
            pg = await PostgresSendLedger.connect(self.settings.postgres_conninfo())
            stack.push_async_callback(pg.aclose)
            return pg
        ledger = SqliteSendLedger(self._data_dir() / "whatsapp_ledger.sqlite",
                                  self.settings.sqlite_synchronous)
        stack.callback(ledger.close)
        return ledger


@dataclass
class Container:
    """Everything a process needs, built once from the settings."""

    settings: Settings
    services: Services

    @property
    def persistence(self) -> Persistence:
        """The stores of these settings."""
        return Persistence(self.settings)

    def runner(self) -> InProcessRunner:
        """The five services wired in-process."""
        return InProcessRunner(self.services)

    def health_checks(self) -> dict[str, Callable[[], bool]]:
        """A cheap read on each store this container uses, by name (``/healthz``)."""
        def store(app: HelplineApplication) -> Callable[[], bool]:
            def ping() -> bool:
                app.recorder.max_notification_id()  # raises when the store is away
                return True

            return ping

        return {"conversation_store": store(self.services.store),
                "agent_desk": store(self.services.desk),
                "customer_directory": self.services.gateway.directory.ping}

    def close(self) -> None:
        """Release connections."""
        self.services.store.close()
        self.services.desk.close()
        self.services.gateway.directory.close()
        self.services.rag.answerer.close()


def answerer_for(settings: Settings) -> Answerer:
    """ms-rag's answerer: the knowledge base (and optional LLM) when ``HELPLINE_KB_PATH`` is
    set, else a tiny keyword answerer."""
    if settings.helpline_kb_path is None:
        return KeywordAnswerer(DEMO_ANSWERS)
    from helpline.adapters.rag import KnowledgeBaseAnswerer

    options: dict[str, object] = {"max_unhelpful": settings.helpline_rag_max_unhelpful}
    if settings.helpline_rag_threshold is not None:
        options["threshold"] = settings.helpline_rag_threshold
    return KnowledgeBaseAnswerer.from_path(
        settings.helpline_kb_path, llm_url=settings.helpline_llm_url,
        llm_model=settings.helpline_llm_model,
        llm_api_key=settings.helpline_llm_api_key.get_secret_value() or None,
        llm_timeout=settings.helpline_llm_timeout,
        llm_min_coverage=settings.helpline_llm_min_coverage,
        embedder_name=settings.helpline_rag_embedder, **options)


def bootstrap(
    settings: Settings | None = None,
    *,
    answerer: Answerer | None = None,
    sender: WhatsAppSender | None = None,
    directory: CustomerDirectory | None = None,
    clock: Clock = utc_now,
) -> Container:
    """Build the container; keyword arguments replace the defaults (tests pass fakes)."""
    settings = settings or Settings()
    persistence = Persistence(settings)
    services = Services(
        gateway=CustomerGateway(directory or persistence.directory(), clock=clock),
        store=ConversationStore(persistence.event_store_env("conversation_store"), clock=clock),
        rag=AIAgent(answerer or answerer_for(settings), clock=clock),
        desk=AgentDesk(persistence.event_store_env("agent_desk"), clock=clock),
        whatsapp=WhatsAppEdge(sender or RecordingSender(), clock=clock),
    )
    services.store.signed_numbers = settings.agent_name_numbers
    return Container(settings=settings, services=services)
