"""Redelivery delays grow and are capped; waiting for a send in flight never dead-letters."""

from __future__ import annotations

import pytest

from helpline.adapters.faults import is_unavailable
from helpline.adapters.nats.consumer import RetryPolicy
from helpline.adapters.nats.runtime import default_retry_by_service
from helpline.adapters.whatsapp.graph_client import AmbiguousSendError, TransientSendError
from helpline.adapters.whatsapp.outbound import HeldBackError, SendInProgressError
from helpline.application.agent_desk import TicketNotYetOpenError

pytestmark = pytest.mark.unit


def test_delays_grow_and_are_capped() -> None:
    policy = RetryPolicy(max_deliver=8, base_delay_s=0.5, max_delay_s=4.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_send_that_waits_comes_back_soon_and_is_never_dead_lettered() -> None:
    policy = default_retry_by_service()["ms-whatsapp"]
    assert policy.delay(100) <= 10.0
    assert is_unavailable(SendInProgressError("busy")) and is_unavailable(HeldBackError("x"))


@pytest.mark.parametrize("error", [TransientSendError("gave up"), AmbiguousSendError("500"),
                                   TicketNotYetOpenError("t"), ValueError("bad")])
def test_other_failures_count_towards_max_deliver(error: Exception) -> None:
    assert not is_unavailable(error)


def test_an_outage_is_recognised_through_its_cause() -> None:
    try:
        try:
            raise ConnectionRefusedError("down")
        except ConnectionRefusedError as e:
            raise RuntimeError("wrapped") from e
    except RuntimeError as wrapped:
        assert is_unavailable(wrapped)
