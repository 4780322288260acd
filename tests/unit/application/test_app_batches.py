"""Batches as units of work: loaded once, saved in one transaction, and a batch that cannot
commit is handled one message at a time, so only its bad messages fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from app_helpers import CONV_ID, PHONE, StepClock, log_size, with_info

from helpline.application import ConversationStore, UnknownConversationError
from helpline.application.unit_of_work import AggregateCache, Receipt, UnitOfWork
from helpline.catalog import (
    AIAgentAnswerGenerated,
    CatalogMessage,
    GenerateAIAgentAnswerWithUserInfo,
    WhatsAppBusinessTextMessageSent,
)
from helpline.domain import Conversation
from helpline.domain.conversation import RECENT_IDS
from helpline.domain.ids import derived_id
from tests.conftest import postgres_env

pytestmark = pytest.mark.unit


@pytest.fixture
def store(es_env: dict[str, str]) -> Iterator[ConversationStore]:
    app = ConversationStore(env=es_env, clock=StepClock())
    yield app
    app.close()


def asks(messages: list[CatalogMessage]) -> list[str]:
    return [m.in_reply_to for m in messages if isinstance(m, GenerateAIAgentAnswerWithUserInfo)]


def answer_to(ask: GenerateAIAgentAnswerWithUserInfo) -> AIAgentAnswerGenerated:
    return AIAgentAnswerGenerated(
        message_id=derived_id(ask.message_id, "ai-answer"), correlation_id=CONV_ID,
        occurred_at=ask.occurred_at, conversation_id=ask.conversation_id,
        in_reply_to=ask.in_reply_to, text="De 9 a 20.")


def test_a_batch_is_one_transaction_and_loads_each_conversation_once(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "34600999888"
    assert store.generation  # made once, before the batch
    loads: list[Any] = []
    real_find = store.find
    monkeypatch.setattr(store, "find", lambda i, c: loads.append(i) or real_find(i, c))
    saves: list[int] = []
    real_save = store.save
    monkeypatch.setattr(store, "save", lambda *a, **k: saves.append(len(a)) or real_save(*a, **k))
    batch = [with_info("w1"), with_info("o1", phone=other), with_info("w2"),
             with_info("o2", phone=other), with_info("w3")]
    result = store.handle_batch(batch)
    assert result.errors == {}
    # Each conversation's messages in order (a conversation's events are stored together).
    assert asks(result.emitted) == ["w1", "w2", "w3", "o1", "o2"]
    assert len(saves) == 1  # one commit: two conversations and five receipts
    assert saves == [7]
    # The next batch finds both conversations in the cache: nothing is loaded again.
    loads.clear()
    store.handle_batch([with_info("w4"), with_info("o3", phone=other)])
    assert [i for i in loads if not isinstance(i, Receipt)] == []
    assert [t.message_id for t in store.transcript(CONV_ID)] == ["w1", "w2", "w3", "w4"]


def test_a_bad_message_fails_alone(store: ConversationStore) -> None:
    store.handle(with_info("w1"))
    unknown = AIAgentAnswerGenerated(
        message_id=uuid4(), correlation_id="x", occurred_at=with_info("x").occurred_at,
        conversation_id=str(uuid4()), in_reply_to="nope", text="?")
    result = store.handle_batch([with_info("w2"), unknown, with_info("w3")])
    assert list(result.errors) == [1]
    assert isinstance(result.errors[1], UnknownConversationError)
    assert asks(result.emitted) == ["w2", "w3"]
    assert [t.message_id for t in store.transcript(CONV_ID)] == ["w1", "w2", "w3"]


def test_an_old_redelivery_in_a_batch_is_caught_by_its_receipt(store: ConversationStore) -> None:
    """A wamid older than the aggregate's window of recent ids comes back inside a batch of
    new messages: the receipt refuses the batch's commit, the messages are handled one by one,
    the old one changes nothing and the new ones are answered."""
    first = with_info("w0")
    store.handle(first)
    for i in range(1, RECENT_IDS + 5):
        store.handle(with_info(f"w{i}"))
    conv = store.conversation(CONV_ID)
    assert not conv.knows_message("w0")
    size = log_size(store)
    again = first.model_copy(update={"message_id": uuid4()})
    result = store.handle_batch([with_info("new1"), again, with_info("new2")])
    assert result.errors == {}
    assert asks(result.emitted) == ["new1", "new2"]
    customer_lines = [t.message_id for t in store.transcript(CONV_ID) if t.author == "customer"]
    assert customer_lines.count("w0") == 1 and customer_lines[-2:] == ["new1", "new2"]
    assert log_size(store) > size


def test_same_message_twice_in_one_batch_is_handled_once(store: ConversationStore) -> None:
    msg = with_info("w1")
    result = store.handle_batch([msg, msg.model_copy(update={"message_id": uuid4()})])
    assert asks(result.emitted) == ["w1"]


def test_answers_and_reports_in_one_batch(store: ConversationStore) -> None:
    asked = [m for m in store.handle_batch([with_info("w1"), with_info("w2")]).emitted
             if isinstance(m, GenerateAIAgentAnswerWithUserInfo)]
    replies = store.handle_batch([answer_to(a) for a in asked]).emitted
    assert [r.reply_to_wamid for r in replies] == ["w1", "w2"]  # type: ignore[attr-defined]
    sent = [WhatsAppBusinessTextMessageSent(
        message_id=uuid4(), correlation_id=CONV_ID, occurred_at=asked[0].occurred_at,
        conversation_id=CONV_ID, send_message_id=str(r.message_id),
        wamids=(f"out.{i}",), to=PHONE) for i, r in enumerate(replies)]
    assert store.handle_batch([*sent, *sent]).errors == {}
    assert store.conversation(CONV_ID).unsettled == {}


@pytest.fixture(params=["sqlite", "postgres"])
def shared_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A database two applications (two replicas) can share."""
    if request.param == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp_path / "shared.sqlite")}
    return postgres_env(request.getfixturevalue("pg_schema"))


def test_a_cached_copy_changed_elsewhere_is_loaded_again(shared_env: dict[str, str]) -> None:
    es_env = shared_env
    mine = ConversationStore(env=es_env, clock=StepClock())
    theirs = ConversationStore(env=es_env, clock=StepClock())  # another replica
    mine.handle_batch([with_info("w1"), with_info("w2")])  # cached here at this version
    theirs.handle(with_info("w3"))
    result = mine.handle_batch([with_info("w4"), with_info("w5")])
    assert result.errors == {} and asks(result.emitted) == ["w4", "w5"]
    assert [t.message_id for t in mine.transcript(CONV_ID)] == ["w1", "w2", "w3", "w4", "w5"]
    mine.close()
    theirs.close()


def test_the_cache_keeps_the_newest_copy_and_a_bounded_number() -> None:
    cache = AggregateCache(maxsize=2)
    a = Conversation.start(phone="1", channel={}, customer=None, at=with_info("x").sent_at)
    b = Conversation.start(phone="2", channel={}, customer=None, at=a.created_on)
    c = Conversation.start(phone="3", channel={}, customer=None, at=a.created_on)
    old_a = Conversation.start(phone="1", channel={}, customer=None, at=a.created_on)
    a.receive_customer_message(wamid="w", text="t", message_type="text", sent_at=a.created_on,
                               channel={}, customer=None, at=a.created_on)
    cache.put(a)
    cache.put(old_a)  # an older copy never replaces a newer one
    assert cache.take(a.id) is a
    for agg in (a, b, c):
        cache.put(agg)
    assert len(cache) == 2 and cache.take(a.id) is None  # the least recently used went
    cache.clear()
    assert len(cache) == 0
    off = AggregateCache(maxsize=0)
    off.put(a)
    assert len(off) == 0


def test_unit_of_work_refuses_ids_that_are_not_uuids(store: ConversationStore) -> None:
    uow = UnitOfWork(store, careful=True, clock=StepClock())
    assert uow.get("not-a-uuid", Conversation) is None
    assert uow.first_time("k") and not uow.first_time("k")
