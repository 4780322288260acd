"""Splitting long texts on word boundaries, and the token bucket with a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.adapters.whatsapp.graph_client import TokenBucket, split_text

pytestmark = pytest.mark.unit


@pytest.mark.property
@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(alphabet=st.sampled_from("ab \n\té"), max_size=400),
       limit=st.integers(min_value=1, max_value=40))
def test_pieces_fit_keep_every_word_and_cut_on_whitespace(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(1 <= len(p) <= limit and p == p.strip() for p in pieces)
    # Words survive, in order; a word is cut only when it is longer than a piece.
    assert "".join(" ".join(pieces).split()) == "".join(text.split())
    if all(len(word) <= limit for word in text.split()):
        assert " ".join(pieces).split() == text.split()


def test_short_text_is_one_piece_and_4096_is_the_default_limit() -> None:
    assert split_text("  hola  ") == ["hola"]
    assert split_text("a" * 4096) == ["a" * 4096]
    assert split_text("a" * 4096 + " b") == ["a" * 4096, "b"]
    assert split_text("") == []


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(80.0, burst=80.0, clock=time.clock, sleep=time.sleep)
    for _ in range(80):
        await bucket.acquire()
    assert time.slept == []
    for _ in range(160):
        await bucket.acquire()
    assert time.now == pytest.approx(2.0)  # 160 more at 80/s
    time.now += 10.0  # idle: the bucket refills, but only up to its burst
    for _ in range(80):
        await bucket.acquire()
    assert time.now == pytest.approx(12.0)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
