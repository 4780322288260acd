"""The Graph API client against the fake Graph API served over HTTP on 127.0.0.1."""

from __future__ import annotations

import time

import httpx
import pytest

from helpline.adapters.whatsapp.graph_client import (
    AmbiguousSendError,
    GraphClient,
    RateLimiter,
    RetryPolicy,
    TransientSendError,
)
from helpline.application.ports import PermanentSendError

pytestmark = pytest.mark.integration
PNID = "106540352242922"
TOKEN = "integration-test-access-token"


async def test_sends_the_documented_body_and_reads_the_wamid(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    wamid = await graph.send_text(PNID, "34600123456", "Hola Lucía", preview_url=True,
                                  reply_to="wamid.customer.1")
    (sent,) = (await fake.get("/_fake/messages")).json()["messages"]
    assert sent["id"] == wamid and wamid.startswith("wamid.")
    assert (sent["phone_number_id"], sent["api_version"]) == (PNID, "v23.0")
    assert (sent["to"], sent["body"], sent["preview_url"]) == ("34600123456", "Hola Lucía", True)
    assert sent["context_message_id"] == "wamid.customer.1"


async def test_no_context_when_not_replying(graph: GraphClient, fake: httpx.AsyncClient) -> None:
    await graph.send_text(PNID, "34600123456", "hola")
    assert (await fake.get("/_fake/messages")).json()["messages"][0]["context_message_id"] is None


@pytest.mark.parametrize(("code", "status"), [(130429, 429), (80007, 400), (4, 400)])
async def test_throttling_is_retried(
    graph: GraphClient, fake: httpx.AsyncClient, code: int, status: int
) -> None:
    """A rate limit certainly refused the message: trying again cannot send it twice."""
    await fake.post("/_fake/errors", json={"code": code, "status": status, "times": 2})
    assert await graph.send_text(PNID, "34600123456", "hola")
    counts = (await fake.get("/_fake/stats")).json()
    assert counts == {"requests": 3, "messages": 1, "queued_errors": 0}


@pytest.mark.parametrize(("code", "status"), [(131000, 500), (1, 503), (2, 502)])
async def test_server_errors_are_ambiguous_and_not_retried(
    graph: GraphClient, fake: httpx.AsyncClient, code: int, status: int
) -> None:
    """A 5xx may come after Meta sent the message: retrying could send it twice, so the
    caller is told it may have been sent (the status webhook will say)."""
    await fake.post("/_fake/errors", json={"code": code, "status": status, "times": 2})
    with pytest.raises(AmbiguousSendError) as caught:
        await graph.send_text(PNID, "34600123456", "hola")
    assert caught.value.code == code
    assert (await fake.get("/_fake/stats")).json()["requests"] == 1


async def test_retries_are_bounded(graph: GraphClient, fake: httpx.AsyncClient) -> None:
    await fake.post("/_fake/errors", json={"code": 130429, "times": 10})
    with pytest.raises(TransientSendError) as caught:
        await graph.send_text(PNID, "34600123456", "hola")
    assert caught.value.code == 130429 and not isinstance(caught.value, AmbiguousSendError)
    assert (await fake.get("/_fake/stats")).json()["requests"] == 3


async def test_the_send_names_itself_for_the_status_webhooks(
    graph: GraphClient, fake: httpx.AsyncClient
) -> None:
    await graph.send_text(PNID, "34600123456", "hola", callback_data="cmd-1:0")
    (sent,) = (await fake.get("/_fake/messages")).json()["messages"]
    assert sent["callback_data"] == "cmd-1:0"


@pytest.mark.parametrize("code", [131047, 131026, 100])
async def test_permanent_errors_are_not_retried(
    graph: GraphClient, fake: httpx.AsyncClient, code: int
) -> None:
    await fake.post("/_fake/errors", json={"code": code})
    with pytest.raises(PermanentSendError) as caught:
        await graph.send_text(PNID, "34600123456", "hola")
    assert caught.value.code == code and caught.value.reason
    assert (await fake.get("/_fake/stats")).json()["requests"] == 1


async def test_a_bad_token_is_permanent_190(fake_graph_url: str, fake: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient() as http:
        client = GraphClient(http, graph_url=fake_graph_url, api_version="v23.0",
                             access_token="wrong", retry=RetryPolicy(attempts=3, base_delay=0))
        with pytest.raises(PermanentSendError) as caught:
            await client.send_text(PNID, "34600123456", "hola")
    assert caught.value.code == 190
    assert (await fake.get("/_fake/stats")).json()["requests"] == 1


async def test_the_fake_refuses_an_undocumented_body(fake_graph_url: str) -> None:
    async with httpx.AsyncClient(base_url=fake_graph_url) as http:
        response = await http.post(f"/v23.0/{PNID}/messages",
                                   headers={"Authorization": f"Bearer {TOKEN}"},
                                   json={"messaging_product": "whatsapp", "to": "34600123456",
                                         "type": "text", "text": {"content": "hola"}})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_network_errors_are_retried_then_transient() -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        # Port 9 (discard) on 127.0.0.1 is not served here: connections are refused.
        client = GraphClient(http, graph_url="http://127.0.0.1:9", api_version="v23.0",
                             access_token="t", retry=RetryPolicy(attempts=3, base_delay=0.01))
        with pytest.raises(TransientSendError, match="network error"):
            await client.send_text(PNID, "34600123456", "hola")


async def test_rate_limit_per_phone_number_id(fake_graph_url: str, fake: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient() as http:
        client = GraphClient(http, graph_url=fake_graph_url, api_version="v23.0",
                             access_token=TOKEN,
                             rate_limiter=RateLimiter(rate=20.0, burst=1.0))
        started = time.monotonic()
        for _ in range(11):
            await client.send_text(PNID, "34600123456", "hola")
        one_number = time.monotonic() - started
        started = time.monotonic()
        for i in range(3):  # three numbers: each has its own (full) bucket
            await client.send_text(f"10654035224292{i}", "34600123456", "hola")
        three_numbers = time.monotonic() - started
    assert one_number >= 10 / 20.0 * 0.95  # 10 waits of 1/20 s after the first token
    assert three_numbers < 0.25
    assert (await fake.get("/_fake/stats")).json()["messages"] == 14
