"""Redelivery delays grow, are capped, and outlast ms-whatsapp's send lease."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpline.adapters.nats.consumer import RetryPolicy
from helpline.adapters.nats.runtime import default_retry_by_service
from helpline.adapters.whatsapp.outbound import DEFAULT_LEASE

pytestmark = pytest.mark.unit


def test_delays_grow_and_are_capped() -> None:
    policy = RetryPolicy(max_deliver=8, base_delay_s=0.5, max_delay_s=4.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_whatsapp_retries_outlast_the_send_lease() -> None:
    policy = default_retry_by_service()["ms-whatsapp"]
    total = sum(policy.delay(n) for n in range(1, policy.max_deliver))
    assert timedelta(seconds=total) > DEFAULT_LEASE
