"""OutboundWhatsApp against the fake Graph API: idempotency across restarts, the 24-hour
window, splitting, transient failures, and the crash window; the ledgers' shared contract."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from helpline.adapters.whatsapp.graph_client import (
    AmbiguousSendError,
    GraphClient,
    TransientSendError,
)
from helpline.adapters.whatsapp.ledger import (
    ClaimState,
    MemorySendLedger,
    PostgresSendLedger,
    SendLedgerStore,
    SqliteSendLedger,
)
from helpline.adapters.whatsapp.outbound import OutboundWhatsApp, SendInProgressError
from helpline.application.handlers import BatchResult
from helpline.application.ports import PermanentSendError, SendResult
from helpline.catalog import (
    SendWhatsAppBusinessTextMessage,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
)
from helpline.catalog import WhatsAppBusinessTextMessageStatusUpdated as StatusUpdated
from helpline.domain.ids import derived_id

pytestmark = pytest.mark.integration
PNID = "106540352242922"
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def command(text: str = "Los sábados abrimos de 10:00 a 14:00.", *,
            last: datetime | None = NOW - timedelta(minutes=1)) -> SendWhatsAppBusinessTextMessage:
    data = {**SendWhatsAppBusinessTextMessage.example, "message_id": str(uuid.uuid4()),
            "text": text, "customer_last_message_at": last}
    return SendWhatsAppBusinessTextMessage.model_validate(data)


async def stats(fake: httpx.AsyncClient) -> dict[str, int]:
    result: dict[str, int] = (await fake.get("/_fake/stats")).json()
    return result


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "whatsapp-ledger.sqlite"


async def test_a_redelivered_command_calls_the_graph_api_once_even_after_restart(
    graph: GraphClient, fake: httpx.AsyncClient, sqlite_path: Path
) -> None:
    cmd = command()
    first_ledger = SqliteSendLedger(sqlite_path)
    first = await OutboundWhatsApp(graph, first_ledger, clock=lambda: NOW) \
        .send_whatsapp_business_text_message(cmd)
    first_ledger.close()
    restarted = SqliteSendLedger(sqlite_path)  # a new process: only the file remains
    service = OutboundWhatsApp(graph, restarted, clock=lambda: NOW)
    again = [await service.send_whatsapp_business_text_message(cmd) for _ in range(3)]
    restarted.close()
    assert (await stats(fake))["requests"] == 1
    (sent,) = first
    assert isinstance(sent, WhatsAppBusinessTextMessageSent)
    assert sent.message_id == derived_id(str(cmd.message_id), "sent")
    assert sent.causation_id == str(cmd.message_id) and sent.correlation_id == cmd.correlation_id
    assert all(batch == first for batch in again)
    (recorded,) = (await fake.get("/_fake/messages")).json()["messages"]
    assert sent.wamids == (recorded["id"],)
    assert recorded["context_message_id"] == cmd.reply_to_wamid


@pytest.mark.parametrize(("age", "sends"), [(timedelta(hours=23, minutes=59), 1),
                                            (timedelta(hours=24, seconds=1), 0)])
async def test_the_24_hour_customer_service_window(
    graph: GraphClient, fake: httpx.AsyncClient, age: timedelta, sends: int
) -> None:
    (event,) = await OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW) \
        .send_whatsapp_business_text_message(command(last=NOW - age))
    assert (await stats(fake))["requests"] == sends
    if sends == 0:
        assert isinstance(event, WhatsAppBusinessTextMessageSendFailed)
        assert event.code == 131047 and "24 hours" in event.reason
        assert event.message_id == derived_id(event.send_message_id, "send-failed")


async def test_long_texts_are_split_on_words_and_sent_in_order(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    words = [f"palabra{i:05d}" for i in range(1500)]  # 1500 x 13 characters ≈ 19.5k
    (event,) = await OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW) \
        .send_whatsapp_business_text_message(command(" ".join(words)))
    received = (await fake.get("/_fake/messages")).json()["messages"]
    assert isinstance(event, WhatsAppBusinessTextMessageSent)
    assert len(received) == len(event.wamids) == 5
    assert [m["id"] for m in received] == list(event.wamids)
    assert all(len(m["body"]) <= 4096 for m in received)
    assert " ".join(m["body"] for m in received).split() == words
    assert [m["context_message_id"] is not None for m in received] == [True] + [False] * 4


async def test_a_permanent_error_becomes_send_failed_without_retry(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    await fake.post("/_fake/errors", json={"code": 131026})
    (event,) = await OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW) \
        .send_whatsapp_business_text_message(command())
    assert isinstance(event, WhatsAppBusinessTextMessageSendFailed)
    assert event.code == 131026 and "Undeliverable" in event.reason
    assert (await stats(fake))["requests"] == 1


async def test_transient_failure_raises_and_a_redelivery_resumes_where_it_stopped(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    cmd = command(" ".join(["word"] * 1000))  # 4999 characters: two pieces
    service = OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW)
    # Rate limits until the retries run out: the second piece was certainly not sent.
    await fake.post("/_fake/errors", json={"code": 130429, "times": 3, "skip": 1})
    with pytest.raises(TransientSendError) as caught:
        await service.send_whatsapp_business_text_message(cmd)
    assert not isinstance(caught.value, AmbiguousSendError)
    assert (await stats(fake))["messages"] == 1  # the first piece went out
    (event,) = await service.send_whatsapp_business_text_message(cmd)  # NATS redelivers
    assert isinstance(event, WhatsAppBusinessTextMessageSent) and len(event.wamids) == 2
    assert (await stats(fake))["messages"] == 2  # the first piece was not sent twice


def status_of(sent: dict[str, object], status: str = "sent") -> StatusUpdated:
    """The status webhook Meta sends for a message the fake received."""
    data = {**StatusUpdated.example, "message_id": str(uuid.uuid4()), "wamid": sent["id"],
            "status": status, "callback_data": sent["callback_data"]}
    return StatusUpdated.model_validate(data)


async def test_a_crash_during_the_call_is_settled_by_the_status_webhook(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    """The process died after Meta accepted the text and before the ledger knew: the claim
    is left. A redelivery waits (the claim is young); Meta's status, which echoes the send's
    callback data, settles it; the next redelivery reports it sent, without a second call."""
    cmd = command()
    ledger = MemorySendLedger()
    key = str(cmd.message_id)
    await ledger.claim_part(key, 0, NOW.timestamp(), 120)  # claimed, then the crash:
    await graph.send_text(PNID, "34600123456", cmd.text, callback_data=f"{key}:0")
    busy = OutboundWhatsApp(graph, ledger, clock=lambda: NOW + timedelta(seconds=30))
    with pytest.raises(SendInProgressError):
        await busy.send_whatsapp_business_text_message(cmd)
    (sent,) = (await fake.get("/_fake/messages")).json()["messages"]
    assert await busy.handle_batch([status_of(sent)]) == BatchResult()
    later = OutboundWhatsApp(graph, ledger, clock=lambda: NOW + timedelta(minutes=5))
    (event,) = await later.send_whatsapp_business_text_message(cmd)
    assert isinstance(event, WhatsAppBusinessTextMessageSent) and event.wamids == (sent["id"],)
    assert (await stats(fake))["requests"] == 1


async def test_a_claim_no_status_settles_is_sent_again_after_the_lease(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    """The process died before its call reached Meta: no status ever comes. After the lease
    the piece is claimed again and sent, once, however many deliveries race for it."""
    cmd = command()
    ledger = MemorySendLedger()
    await ledger.claim_part(str(cmd.message_id), 0, NOW.timestamp(), 120)
    later = OutboundWhatsApp(graph, ledger, clock=lambda: NOW + timedelta(minutes=5))
    (event,) = await later.send_whatsapp_business_text_message(cmd)
    assert isinstance(event, WhatsAppBusinessTextMessageSent)
    assert (await later.send_whatsapp_business_text_message(cmd)) == [event]
    assert (await stats(fake))["requests"] == 1


async def test_an_ambiguous_failure_keeps_the_claim_for_the_status(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    """A 500 may come after Meta sent the text: the claim stays, so a redelivery does not
    send it again before the status (or the lease) says what happened."""
    cmd = command()
    service = OutboundWhatsApp(graph, MemorySendLedger(), clock=lambda: NOW)
    await fake.post("/_fake/errors", json={"code": 131000, "times": 1})
    with pytest.raises(AmbiguousSendError):
        await service.send_whatsapp_business_text_message(cmd)
    with pytest.raises(SendInProgressError):
        await service.send_whatsapp_business_text_message(cmd)
    assert (await stats(fake))["requests"] == 1


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def ledger(
    request: pytest.FixtureRequest, sqlite_path: Path
) -> AsyncIterator[SendLedgerStore]:
    if request.param == "memory":
        yield MemorySendLedger()
    elif request.param == "sqlite":
        store = SqliteSendLedger(sqlite_path)
        yield store
        store.close()
    else:
        pg = await PostgresSendLedger.connect(request.getfixturevalue("postgres_conninfo"))
        yield pg
        await pg.aclose()


async def test_ledger_contract(ledger: SendLedgerStore) -> None:
    key = str(uuid.uuid4())
    assert await ledger.outcomes([key]) == {}
    assert (await ledger.claim_part(key, 0, 1000.0, 60)).state is ClaimState.CLAIMED
    assert (await ledger.claim_part(key, 0, 1010.0, 60)).state is ClaimState.BUSY
    assert (await ledger.claim_part(key, 0, 1061.0, 60)).state is ClaimState.STALE
    await ledger.complete_part(key, 0, "wamid.A")
    done = await ledger.claim_part(key, 0, 5000.0, 60)
    assert (done.state, done.wamid) == (ClaimState.DONE, "wamid.A")
    await ledger.release_part(key, 0)  # a completed piece is never released
    assert (await ledger.claim_part(key, 0, 5000.0, 60)).state is ClaimState.DONE
    assert (await ledger.claim_part(key, 1, 1000.0, 60)).state is ClaimState.CLAIMED
    await ledger.release_part(key, 1)
    assert (await ledger.claim_part(key, 1, 1000.0, 60)).state is ClaimState.CLAIMED
    # A claim older than the lease is taken over once; a status settles an open claim once.
    assert not await ledger.reclaim_part(key, 1, 1030.0, 60)  # still young
    assert await ledger.reclaim_part(key, 1, 1061.0, 60)
    assert not await ledger.reclaim_part(key, 1, 1061.0, 60)  # the other racer loses
    assert await ledger.settle_part(key, 1, "wamid.B")
    assert not await ledger.settle_part(key, 1, "wamid.C")
    settled = await ledger.claim_part(key, 1, 9000.0, 60)
    assert (settled.state, settled.wamid) == (ClaimState.DONE, "wamid.B")
    assert not await ledger.settle_part("unknown", 0, "wamid.D")
    assert await ledger.ping()
    first = SendResult(("wamid.A", "wamid.B"))
    assert await ledger.record_outcomes({key: first}) == {key: first}
    late = await ledger.record_outcomes({key: PermanentSendError(100, "late")})
    assert late == {key: first}  # the first one recorded wins, and is what is reported
    assert await ledger.outcomes([key]) == {key: first}
    other = str(uuid.uuid4())
    await ledger.record_outcomes({other: PermanentSendError(131047, "outside the window")})
    failed = (await ledger.outcomes([key, other, "unknown"]))[other]
    assert isinstance(failed, PermanentSendError)
    assert (failed.code, failed.reason) == (131047, "outside the window")
