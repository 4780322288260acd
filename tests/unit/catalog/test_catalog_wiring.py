"""The wiring against the catalog: each service has a handler for exactly what the catalog
says it consumes (subscriptions come from the catalog, handlers from ``@decides`` /
``@handles``; ``Services.check`` must catch any disagreement)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from helpline.application import ConversationStore
from helpline.application.routing import SUBSCRIPTIONS, subscriptions
from helpline.application.runner import Services
from helpline.bootstrap import bootstrap
from helpline.catalog import (
    MESSAGES,
    SERVICES,
    ConversationDocument,
    GetConversation,
    TicketActivity,
    TicketOpened,
    WhatsAppBusinessTextMessageStatusUpdated,
)
from helpline.catalog.registry import members
from helpline.config import Settings

pytestmark = pytest.mark.unit


@pytest.fixture
def services(tmp_path: Path) -> Services:
    settings = Settings(helpline_data_dir=tmp_path, persistence_module="eventsourcing.popo")
    return bootstrap(settings).services


@pytest.mark.parametrize("service", SERVICES)
def test_stream_subscriptions_are_the_catalog_consumers(service: str) -> None:
    # Queries and replies travel over core NATS request/reply, not JetStream subscriptions.
    expected = [m for m in MESSAGES if service in m.consumers and m.kind in ("event", "command")]
    assert list(subscriptions(service)) == expected == list(SUBSCRIPTIONS[service])
    assert GetConversation not in SUBSCRIPTIONS[service]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_handles_what_it_consumes(services: Services, service: str) -> None:
    services.check()
    handled = set(services.application(service).handlers)
    expected = set(SUBSCRIPTIONS[service])
    if service == "ms-agents":
        expected.add(ConversationDocument)
    assert handled == expected


def test_a_missing_handler_is_caught(services: Services) -> None:
    class Forgetful(ConversationStore):
        pass

    del_status = {k: v for k, v in ConversationStore.handlers.items()
                  if k is not WhatsAppBusinessTextMessageStatusUpdated}
    Forgetful.handlers = del_status
    broken = dataclasses.replace(services, store=Forgetful({"PERSISTENCE_MODULE":
                                                            "eventsourcing.popo"}))
    with pytest.raises(LookupError, match=r"ms-conv-store.*status-updated"):
        broken.check()


def test_a_family_stands_for_each_of_its_messages_and_a_message_for_itself() -> None:
    family = members(TicketActivity)
    assert family, "the ticket activity family has no message"
    assert family == tuple(m for m in MESSAGES if issubclass(m, TicketActivity))
    assert TicketActivity not in MESSAGES
    assert members(TicketOpened) == (TicketOpened,)


@pytest.mark.parametrize("cls", members(TicketActivity), ids=lambda m: m.catalog_id)
def test_each_ticket_activity_says_its_transcript_line(cls: type[TicketActivity]) -> None:
    assert cls.line_template.strip() and cls.line_template != TicketActivity.line_template
    assert cls.from_example().transcript_line().strip()


def test_one_family_handler_covers_every_member_of_the_family() -> None:
    family = members(TicketActivity)
    (decision,) = {ConversationStore.handlers[m] for m in family}
    assert decision.message is TicketActivity
    assert all(ConversationStore.handlers[m] is not decision
               for m in MESSAGES if m not in family and m in ConversationStore.handlers)


def test_a_missing_family_handler_is_caught(services: Services) -> None:
    class Forgetful(ConversationStore):
        pass

    Forgetful.handlers = {k: v for k, v in ConversationStore.handlers.items()
                          if not issubclass(k, TicketActivity)}
    broken = dataclasses.replace(services, store=Forgetful({"PERSISTENCE_MODULE":
                                                            "eventsourcing.popo"}))
    with pytest.raises(LookupError, match=r"ms-conv-store.*ticket-priority-changed"):
        broken.check()
