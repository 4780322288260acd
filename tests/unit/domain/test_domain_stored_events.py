"""Stored events are contracts: every event keeps the topic and the fields it is stored
with, and an event stored under that topic loads (and upcasts) into today's class."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from helpline.domain import Conversation, DeskConversation, Roster, Ticket

pytestmark = pytest.mark.unit

#: Each aggregate's module, and each stored event's fields (``originator_topic`` for the
#: created events aside), as databases written before the events were refactored hold them.
STORED: dict[str, dict[str, str]] = {
    "helpline.domain.conversation:Conversation": {
        "Started": "phone channel customer generation",
        "CustomerInfoUpdated": "customer",
        "ProfileNameChanged": "profile_name",
        "ActiveChannelChanged": "channel",
        "CustomerMessageReceived": "wamid message_type text sent_at cause_id",
        "AIAnswerRequested": "request_id in_reply_to question history customer phone cause_id",
        "AgentAnswerRequested": "request_id ticket_id in_reply_to text customer phone cause_id",
        "AIAnswerReceived": "answer_id in_reply_to text open_ticket reason confidence sources",
        "TicketRequested": "ticket_id reason customer language phone cause_id",
        "TicketOpened": "ticket_id",
        "AgentAssigned": "ticket_id agent_id agent_name assignment_id",
        "AgentAnswerReceived": "answer_id ticket_id agent_id agent_name text attachment",
        "TicketClosed": "ticket_id resolution agent_id",
        "TicketReopened": "ticket_id agent_id agent_name",
        "TicketActivityLogged": "activity_id ticket_id text",
        "ReplyDispatched": "reply_id text author channel reply_to_wamid "
                           "customer_last_message_at cause_id attachment",
        "ReplySent": "reply_id wamids",
        "ReplyFailed": "reply_id code reason",
        "ReplyStatusUpdated": "wamid status errors",
        "TemplateAnswerReceived": "answer_id ticket_id agent_id agent_name template text",
        "TemplateDispatched": "reply_id template text author channel cause_id",
    },
    "helpline.domain.ticket:Ticket": {
        "Opened": "conversation_id phone customer reason language cause_id",
        "AgentAssigned": "conversation_id agent_id agent_name previous_agent_id by",
        "Requeued": "agent_id",
        "CustomerMessageForwarded": "in_reply_to text",
        "ConversationSynced": "version turns",
        "AgentAnswered": "conversation_id answer_id agent_id agent_name text attachment",
        "TemplateAnswered": "conversation_id answer_id agent_id agent_name template text",
        "Closed": "conversation_id resolution agent_id",
        "NoteAdded": "note_id author_id author_name text",
        "PriorityChanged": "conversation_id priority previous_priority by by_name",
        "Reopened": "conversation_id agent_id agent_name by",
    },
    "helpline.domain.ticket:DeskConversation": {
        "Started": "conversation_id", "TicketLinked": "ticket_id", "TicketUnlinked": "ticket_id",
    },
    "helpline.domain.roster:Roster": {
        "Started": "",
        "AgentRegistered": "agent_id name email languages max_tickets token_hash",
        "AgentStatusChanged": "agent_id online",
        "TicketQueued": "ticket_id language",
        "TicketAssigned": "ticket_id agent_id",
        "TicketReleased": "ticket_id",
        "TokenChanged": "agent_id token_hash",
        "AgentRemoved": "agent_id requeued",
    },
}
AGGREGATES = (Conversation, Ticket, DeskConversation, Roster)
BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}
CASES = [(f"{aggregate}.{name}", set(fields.split()))
         for aggregate, events in STORED.items() for name, fields in events.items()]


def stored_event_classes(aggregate: type[Any]) -> set[str]:
    """The topics of the event classes an aggregate triggers (not its bases or snapshot)."""
    return {get_topic(v) for n, v in vars(aggregate).items()
            if isinstance(v, type) and dataclasses.is_dataclass(v) and not n.startswith("_")
            and n not in {"Event", "Created", "Snapshot"}}


def test_the_aggregates_keep_their_topics() -> None:
    """The created events and the snapshots name the aggregate class by its topic."""
    assert [get_topic(a) for a in AGGREGATES] == list(STORED)


def test_every_event_class_is_in_the_table() -> None:
    assert set().union(*map(stored_event_classes, AGGREGATES)) == {t for t, _ in CASES}


@pytest.mark.parametrize(("topic", "fields"), CASES)
def test_an_event_keeps_its_topic_and_fields(topic: str, fields: set[str]) -> None:
    cls = resolve_topic(topic)
    assert get_topic(cls) == topic
    assert {f.name for f in dataclasses.fields(cls)} - BASE_FIELDS == fields


def _stored(app: Application[UUID], topic: str, state: dict[str, Any]) -> StoredEvent:
    """An event as a database written by the old code holds it."""
    raw = app.mapper.transcoder.encode(state)
    return StoredEvent(originator_id=uuid4(), originator_version=2, topic=topic, state=raw)


def test_events_stored_under_the_old_topics_load_and_upcast() -> None:
    app: Application[UUID] = Application()
    now = datetime(2026, 1, 5, tzinfo=UTC)
    answer = {"timestamp": now, "answer_id": "a1", "ticket_id": "t1", "agent_id": "ag1",
              "agent_name": "Marta", "template": {"name": "hello", "language": "es"},
              "text": "Hola"}
    event = app.mapper.to_domain_event(_stored(
        app, "helpline.domain.conversation:Conversation.TemplateAnswerReceived", answer))
    assert isinstance(event, Conversation.TemplateAnswerReceived)
    assert event.turn()["author"] == "agent" and event.template["name"] == "hello"
    v1 = {"timestamp": now, "conversation_id": "c1", "agent_id": "ag1", "agent_name": "Marta",
          "previous_agent_id": None}  # version 1: no ``by``
    assigned = app.mapper.to_domain_event(_stored(
        app, "helpline.domain.ticket:Ticket.AgentAssigned", v1))
    assert isinstance(assigned, Ticket.AgentAssigned) and assigned.by is None
    assert json.loads(app.mapper.to_stored_event(assigned).state)["by"] is None


def test_every_conversation_event_is_declared_in_the_aggregate() -> None:
    """An event written in conversation_events but not declared in ``Conversation`` would be
    stored under a topic of its own and missed by what reads the aggregate's events (the
    transcript's events are found in ``vars(Conversation)``)."""
    from helpline.domain import conversation_events

    defined = {name for name, v in vars(conversation_events).items()
               if isinstance(v, type) and issubclass(v, Aggregate.Event)
               and v.__module__ == conversation_events.__name__ and not name.startswith("_")}
    declared = {name for name, v in vars(Conversation).items()
                if isinstance(v, type) and name in defined
                and issubclass(v, getattr(conversation_events, name))}
    assert defined == declared
