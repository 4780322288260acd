"""The composition root: the only place that builds applications and adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpline.adapters.directory import PostgresCustomerDirectory, SqliteCustomerDirectory
from helpline.application.agent_desk import AgentDesk
from helpline.application.ai_agent import AIAgent, KeywordAnswerer
from helpline.application.base import HelplineApplication
from helpline.application.conversation_store import ConversationStore
from helpline.application.customer_gateway import CustomerGateway, InMemoryCustomerDirectory
from helpline.application.ports import Answerer, Clock, CustomerDirectory, WhatsAppSender, utc_now
from helpline.application.runner import InProcessRunner, Services
from helpline.application.whatsapp_edge import RecordingSender, WhatsAppEdge
from helpline.config import Settings

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


@dataclass
class Container:
    """Everything a process needs, built once from the settings."""

    settings: Settings
    services: Services

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
        for resource in (self.services.gateway.directory, self.services.rag.answerer):
            close = getattr(resource, "close", None)
            if close is not None:
                close()


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
        embedder_name=settings.helpline_rag_embedder, **options)


def customer_directory(settings: Settings) -> CustomerDirectory:
    """The customer registry for the configured persistence."""
    if settings.persistence_module == "eventsourcing.postgres":
        return PostgresCustomerDirectory(settings.postgres_conninfo())
    if settings.persistence_module == "eventsourcing.popo":
        return InMemoryCustomerDirectory()
    settings.helpline_data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteCustomerDirectory(settings.helpline_data_dir / "customers.sqlite")


def bootstrap(
    settings: Settings | None = None,
    *,
    answerer: Answerer | None = None,
    sender: WhatsAppSender | None = None,
    directory: CustomerDirectory | None = None,
    clock: Clock = utc_now,
    **_: Any,
) -> Container:
    """Build the container; keyword arguments replace the defaults (tests pass fakes)."""
    settings = settings or Settings()
    services = Services(
        gateway=CustomerGateway(directory or customer_directory(settings), clock=clock),
        store=ConversationStore(settings.eventsourcing_env("conversation_store"), clock=clock),
        rag=AIAgent(answerer or answerer_for(settings), clock=clock),
        desk=AgentDesk(settings.eventsourcing_env("agent_desk"), clock=clock),
        whatsapp=WhatsAppEdge(sender or RecordingSender(), clock=clock),
    )
    return Container(settings=settings, services=services)
