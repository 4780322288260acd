"""The one backoff of helpline's retries (NATS redeliveries, Graph API calls)."""

from __future__ import annotations


def backoff(base: float, cap: float, n: int) -> float:
    """``base * 2**n`` seconds (``n`` below 0 counts as 0), at most ``cap``."""
    return float(min(cap, base * 2 ** max(0, n)))
