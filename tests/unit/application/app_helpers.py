"""Builders shared by the application tests: catalog messages, a stepping clock, fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from eventsourcing.application import Application

from helpline.application import Answer
from helpline.catalog import (
    CustomerInfo,
    Turn,
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.domain import conversation_id_for

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PHONE = "34600123456"
BUSINESS = "106540352242922"
CUSTOMER = CustomerInfo(customer_id="cus_0042", name="Lucía Fernández", phone=PHONE,
                        email="lucia@example.com", language="es")
CONV_ID = str(conversation_id_for(PHONE))


class StepClock:
    """A clock that advances one second per reading."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class ScriptedAnswerer:
    """An ``Answerer`` whose decision the test chooses: questions containing ``PERSON`` ask
    for a human; every call is recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Turn, ...], CustomerInfo | None]] = []

    def answer(self, question: str, history: Sequence[Turn], customer: CustomerInfo | None
               ) -> Answer:
        self.calls.append((question, tuple(history), customer))
        if "PERSON" in question:
            return Answer("Te paso con una persona.", open_ticket=True, reason="asked",
                          confidence=1.0)
        return Answer(f"answer to {question}", confidence=0.8, sources=("kb/x.md",))

    def close(self) -> None:
        pass


def inbound(
    wamid: str, text: str = "hola", *, phone: str = PHONE, phone_number_id: str = BUSINESS,
    at: datetime = T0,
) -> WhatsAppBusinessTextMessageReceived:
    return WhatsAppBusinessTextMessageReceived(
        message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=at,
        wamid=wamid, phone_number_id=phone_number_id, sender_phone=phone, text=text, sent_at=at)


def with_info(wamid: str, text: str = "hola", *, customer: CustomerInfo | None = CUSTOMER,
              phone: str = PHONE, phone_number_id: str = BUSINESS, at: datetime = T0,
              ) -> WhatsAppBusinessTextMessageWithUserInfoReceived:
    return WhatsAppBusinessTextMessageWithUserInfoReceived(
        message_id=uuid4(), correlation_id=str(conversation_id_for(phone)), occurred_at=at,
        wamid=wamid, phone_number_id=phone_number_id, sender_phone=phone, text=text, sent_at=at,
        customer=customer)


def log_size(app: Application[Any]) -> int:
    """How many events the application has stored (its notification log's length)."""
    return app.recorder.max_notification_id() or 0
