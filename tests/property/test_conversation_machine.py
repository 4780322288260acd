"""Stateful property test: the five services in-process against a plain model (the oracle).

Hypothesis interleaves customer messages (with Meta's redeliveries of the same wamid), AI
answers that do or do not ask for a human, agents going online and offline, agent answers,
closes, reassignments and the redelivery of *any* message already delivered. After every step
the invariants of docs/architecture.md ("The domain is pure") must hold, and replaying each
aggregate's stored events from scratch must give the state the live decisions produced.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from helpline.application import (
    AgentDesk,
    AIAgent,
    Answer,
    ConversationStore,
    CustomerGateway,
    InMemoryCustomerDirectory,
    InProcessRunner,
    RecordingSender,
    Services,
    WhatsAppEdge,
)
from helpline.catalog import (
    AgentAnswerGenerated,
    AIAgentAnswerGenerated,
    CatalogMessage,
    Channel,
    CustomerInfo,
    GenerateAgentAnswer,
    GenerateAIAgentAnswerWithUserInfo,
    GetConversation,
    SendWhatsAppBusinessTextMessage,
    TicketOpened,
    Turn,
    WhatsAppBusinessTextMessageReceived,
)
from helpline.domain import Conversation, Ticket, conversation_id_for

pytestmark = pytest.mark.property

PHONES = ("34600123456", "4915112345678")
BUSINESS_NUMBERS = ("106540352242922", "207777000111222")
CUSTOMERS = [CustomerInfo(customer_id="cus_1", name="Lucía", phone=PHONES[0], language="es")]
AGENTS = {"ana": (["es"], 1), "bea": (["en"], 2)}
POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class DecidingAnswerer:
    """The rule that sends a message decides whether the AI will ask for a human."""

    def __init__(self) -> None:
        self.handover: dict[str, bool] = {}

    def answer(self, question: str, history: Sequence[Turn], customer: CustomerInfo | None
               ) -> Answer:
        if self.handover[question]:
            return Answer("Te paso con una persona.", open_ticket=True, reason="asked")
        return Answer(f"answer to {question}", confidence=0.9)

    def close(self) -> None:
        pass


def keep_live(saved: dict[UUID, Any], objs: tuple[Any, ...]) -> None:
    for obj in objs:
        if obj is not None:
            saved[obj.id] = obj


class LiveStore(ConversationStore):
    """Keeps the aggregates as the live decisions left them, to compare with replays."""

    live: dict[UUID, Any]

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        keep_live(self.live, objs)
        return recordings


class LiveDesk(AgentDesk):
    live: dict[UUID, Any]

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        keep_live(self.live, objs)
        return recordings


@dataclass
class ModelConversation:
    """What should have happened to one customer's conversation."""

    channel: str = BUSINESS_NUMBERS[0]
    wamids: list[str] = field(default_factory=list)
    routed: dict[str, str] = field(default_factory=dict)  # wamid -> "ai" | "agent"
    handed_to_ai: list[str] = field(default_factory=list)  # agent-routed, then AI on close
    waiting_for_agent: list[str] = field(default_factory=list)
    ticket_open: bool = False
    tickets: int = 0
    answers: int = 0  # answers (AI or agent) that must each cause one send


def state(agg: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(agg).items() if k != "_pending_events"}


class ConversationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        clock = Clock()
        self.answerer = DecidingAnswerer()
        self.sender = RecordingSender()
        self.store = LiveStore(env=POPO, clock=clock)
        self.store.live = {}
        self.desk = LiveDesk(env=POPO, clock=clock)
        self.desk.live = {}
        self.runner = InProcessRunner(Services(
            gateway=CustomerGateway(InMemoryCustomerDirectory(CUSTOMERS), clock=clock),
            store=self.store, rag=AIAgent(self.answerer, clock=clock), desk=self.desk,
            whatsapp=WhatsAppEdge(self.sender, clock=clock)))
        self.clock = clock
        self.model = {phone: ModelConversation() for phone in PHONES}
        self.inbound: list[WhatsAppBusinessTextMessageReceived] = []
        self.seen_ids: set[UUID] = set()
        # In the order they opened (ids include the store's random generation: never sort).
        self.ticket_ids: dict[str, None] = {}
        self.counter = 0
        self.text_of: dict[str, str] = {}

    @initialize()
    def register_agents(self) -> None:
        for agent_id, (languages, capacity) in AGENTS.items():
            self.desk.register_agent(name=agent_id.title(), email=f"{agent_id}@x.es",
                                     languages=languages, max_tickets=capacity,
                                     agent_id=agent_id)

    # -- helpers ------------------------------------------------------------------------------

    def publish(self, *messages: CatalogMessage) -> list[CatalogMessage]:
        delivered = self.runner.publish(*messages)
        for msg in delivered:
            if isinstance(msg, SendWhatsAppBusinessTextMessage) and (
                    msg.message_id not in self.seen_ids):
                # Each new reply goes out on the channel the customer last wrote from.
                phone = msg.channel.customer_phone
                assert msg.channel.phone_number_id == self.model[phone].channel
        self.seen_ids.update(m.message_id for m in delivered)
        self.ticket_ids.update(dict.fromkeys(m.ticket_id for m in delivered
                                             if isinstance(m, TicketOpened)))
        return delivered

    def stored(self) -> tuple[int | None, int | None]:
        return (self.store.recorder.max_notification_id(),
                self.desk.recorder.max_notification_id())

    def open_tickets(self) -> list[Ticket]:
        return [t for t in (self.desk.ticket(i) for i in self.ticket_ids) if t.is_open]

    def phone_of(self, conversation_id: str) -> str:
        return next(p for p in PHONES if str(conversation_id_for(p)) == conversation_id)

    # -- rules --------------------------------------------------------------------------------

    @rule(phone=st.sampled_from(PHONES), number=st.sampled_from(BUSINESS_NUMBERS),
          handover=st.booleans())
    def customer_writes(self, phone: str, number: str, handover: bool) -> None:
        self.publish(self.new_message(phone, number, handover))

    @rule(writers=st.lists(st.tuples(st.sampled_from(PHONES), st.sampled_from(BUSINESS_NUMBERS)),
                           min_size=2, max_size=5),
          handover=st.booleans())
    def customers_write_at_once(self, writers: list[tuple[str, str]], handover: bool) -> None:
        """Several messages arrive together (one batch per service when batched). Only the
        last may ask for a human: the others are routed before any answer comes back."""
        last = len(writers) - 1
        self.publish(*(self.new_message(phone, number, handover and i == last)
                       for i, (phone, number) in enumerate(writers)))

    def new_message(self, phone: str, number: str, handover: bool
                    ) -> WhatsAppBusinessTextMessageReceived:
        """A new customer message, and what the oracle expects of it."""
        self.counter += 1
        wamid, text = f"wamid.{self.counter}", f"q{self.counter}"
        self.answerer.handover[text] = handover
        self.text_of[wamid] = text
        now = self.clock()
        msg = WhatsAppBusinessTextMessageReceived(
            message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=now,
            wamid=wamid, phone_number_id=number, sender_phone=phone, text=text, sent_at=now)
        model = self.model[phone]
        model.channel = number
        model.wamids.append(wamid)
        if model.ticket_open:
            model.routed[wamid] = "agent"
            model.waiting_for_agent.append(wamid)
        else:
            model.routed[wamid] = "ai"
            model.answers += 1
            if handover:
                model.ticket_open = True
                model.tickets += 1
        self.inbound.append(msg)
        return msg

    @rule(data=st.data(), same_envelope=st.booleans())
    def meta_redelivers(self, data: st.DataObject, same_envelope: bool) -> None:
        if not self.inbound:
            return
        msg = data.draw(st.sampled_from(self.inbound))
        if not same_envelope:
            msg = msg.model_copy(update={"message_id": uuid4()})
        self.assert_nothing_new(msg)

    @rule(data=st.data())
    def redeliver_any(self, data: st.DataObject) -> None:
        if not self.runner.log:
            return
        self.assert_nothing_new(data.draw(st.sampled_from(self.runner.log)))

    def assert_nothing_new(self, msg: CatalogMessage) -> None:
        sizes = self.stored()
        sends = len(self.sender.sent)
        delivered = self.publish(msg)
        if not isinstance(msg, GetConversation):  # a query answers with what is there now
            assert self.stored() == sizes, msg.catalog_id
            assert {m.message_id for m in delivered[1:]} <= self.seen_ids
        assert len(self.sender.sent) == sends

    @rule(agent_id=st.sampled_from(sorted(AGENTS)), online=st.booleans())
    def agent_status(self, agent_id: str, online: bool) -> None:
        self.publish(*self.desk.set_agent_status(agent_id, online=online))

    @rule(data=st.data())
    def agent_answers(self, data: st.DataObject) -> None:
        held = [t for t in self.open_tickets() if t.agent_id is not None]
        if not held:
            return
        ticket = self.desk.ticket(data.draw(st.sampled_from([str(t.id) for t in held])))
        assert ticket.agent_id is not None
        model = self.model[self.phone_of(ticket.conversation_id)]
        model.answers += 1
        model.waiting_for_agent.clear()
        self.publish(*self.desk.answer(str(ticket.id), agent_id=ticket.agent_id, text="hola",
                                       answer_id=str(uuid4())))

    @rule(data=st.data(), by_admin=st.booleans())
    def close(self, data: st.DataObject, by_admin: bool) -> None:
        tickets = self.open_tickets()
        if not tickets:
            return
        ticket = self.desk.ticket(data.draw(st.sampled_from([str(t.id) for t in tickets])))
        if ticket.agent_id is None and not by_admin:
            return
        model = self.model[self.phone_of(ticket.conversation_id)]
        model.ticket_open = False
        # Messages the agent left unanswered go to the AI when the ticket closes; the first
        # of them the AI hands over opens a new ticket.
        for wamid in model.waiting_for_agent:
            model.handed_to_ai.append(wamid)
            model.answers += 1
            if self.answerer.handover[self.text_of[wamid]] and not model.ticket_open:
                model.ticket_open = True
                model.tickets += 1
        model.waiting_for_agent.clear()
        self.publish(*self.desk.close_ticket(str(ticket.id), resolution="hecho",
                                             agent_id=None if by_admin else ticket.agent_id))

    @rule(data=st.data(), agent_id=st.sampled_from(sorted(AGENTS)))
    def reassign(self, data: st.DataObject, agent_id: str) -> None:
        tickets = self.open_tickets()
        if not tickets:
            return
        ticket = self.desk.ticket(data.draw(st.sampled_from([str(t.id) for t in tickets])))
        self.publish(*self.desk.reassign(str(ticket.id), agent_id=agent_id))

    # -- invariants ---------------------------------------------------------------------------

    def distinct(self, cls: type[Any]) -> list[Any]:
        return list({m.message_id: m for m in self.runner.log if isinstance(m, cls)}.values())

    @invariant()
    def at_most_one_open_ticket_per_conversation(self) -> None:
        per_conversation = Counter(t.conversation_id for t in self.open_tickets())
        assert all(n <= 1 for n in per_conversation.values()), per_conversation
        for phone, model in self.model.items():
            conv = self.store.conversation_for_phone(phone)
            if conv is None:
                continue
            assert conv.has_open_ticket == model.ticket_open
            assert conv.tickets_requested == model.tickets
            desk_ticket = [t for t in self.open_tickets() if t.conversation_id == str(conv.id)]
            if model.ticket_open:
                assert conv.ticket is not None
                (ticket,) = desk_ticket
                assert conv.ticket["ticket_id"] == str(ticket.id)
                # Who holds the ticket, as the agent's console and the document say.
                assert conv.ticket["agent_id"] == ticket.agent_id
            else:
                assert desk_ticket == []

    @invariant()
    def each_inbound_message_asks_for_one_answer(self) -> None:
        requests = Counter(
            [(m.conversation_id, m.in_reply_to, "ai")
             for m in self.distinct(GenerateAIAgentAnswerWithUserInfo)]
            + [(m.conversation_id, m.in_reply_to, "agent")
               for m in self.distinct(GenerateAgentAnswer)])
        expected = Counter(
            (str(conversation_id_for(phone)), wamid, route)
            for phone, model in self.model.items() for wamid, route in model.routed.items())
        expected.update(
            (str(conversation_id_for(phone)), wamid, "ai")
            for phone, model in self.model.items() for wamid in model.handed_to_ai)
        assert requests == expected

    @invariant()
    def each_answer_is_sent_once(self) -> None:
        answers = self.distinct(AIAgentAnswerGenerated) + self.distinct(AgentAnswerGenerated)
        sends = self.distinct(SendWhatsAppBusinessTextMessage)
        assert Counter(s.causation_id for s in sends) == Counter(
            str(a.message_id) for a in answers)
        assert sorted(str(s.message_id) for s in self.sender.sent) == sorted(
            str(s.message_id) for s in sends)
        assert len(sends) == sum(m.answers for m in self.model.values())
        for send in sends:
            assert send.channel == Channel(phone_number_id=send.channel.phone_number_id,
                                           customer_phone=send.channel.customer_phone)

    @invariant()
    def the_document_has_every_message_once_in_order(self) -> None:
        for phone, model in self.model.items():
            doc = self.store.get_conversation(GetConversation(
                message_id=uuid4(), correlation_id="test", occurred_at=self.clock(),
                conversation_id=str(conversation_id_for(phone))))
            assert doc.found == bool(model.wamids)
            customer = [t.message_id for t in doc.turns if t.author == "customer"]
            assert customer == model.wamids
            replies = [t for t in doc.turns if t.author in ("ai", "agent")]
            assert len(replies) == model.answers
            assert len({t.message_id for t in replies}) == len(replies)

    @invariant()
    def waiting_tickets_mean_no_free_agent(self) -> None:
        roster = self.desk.roster()
        if roster.queue:
            free = [a["agent_id"] for a in roster.agents.values()
                    if a["online"] and len(a["tickets"]) < a["max_tickets"]]
            assert free == [], (roster.queue, free)

    @invariant()
    def replay_gives_the_live_state(self) -> None:
        for app in (self.store, self.desk):
            # Only what changed since the last check (the rest was compared already).
            changed, app.live = app.live, {}
            for aggregate_id, live in changed.items():
                replayed = None
                for stored in app.recorder.select_events(aggregate_id):
                    replayed = app.mapper.to_domain_event(stored).mutate(replayed)
                assert replayed is not None and type(replayed) is type(live)
                assert state(replayed) == state(live), type(live).__name__
                assert state(app.repository.get(aggregate_id)) == state(live)
        for phone in PHONES:
            conv = self.store.conversation_for_phone(phone)
            assert conv is None or isinstance(conv, Conversation)

    def teardown(self) -> None:
        self.store.close()
        self.desk.close()


ConversationMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("HELPLINE_MACHINE_EXAMPLES", "60")),
    stateful_step_count=30,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
test_conversation_machine = ConversationMachine.TestCase


class BatchedConversationMachine(ConversationMachine):
    """The same rules and oracle, with every service handling what waits for it as one
    batch (one unit of work, one commit), as the NATS consumers do."""

    def __init__(self) -> None:
        super().__init__()
        self.runner.batched = True


BatchedConversationMachine.TestCase.settings = ConversationMachine.TestCase.settings
test_batched_conversation_machine = BatchedConversationMachine.TestCase
