"""CustomerGateway (ms-gateway), and a customer registry in memory (the SQL ones are in
``helpline.adapters.directory``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from helpline.application.handlers import Service, caused_by, handles
from helpline.application.ports import CustomerDirectory
from helpline.catalog import (
    CustomerInfo,
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)


@dataclass(eq=False)
class CustomerGateway(Service):
    """ms-gateway: adds the customer's registry entry to each inbound message. Stateless;
    the message it publishes has an id derived from the inbound one, so redeliveries publish
    the same message (JetStream drops the copy)."""

    directory: CustomerDirectory

    @handles(WhatsAppBusinessTextMessageReceived)
    def whatsapp_business_text_message_received(
        self, msg: WhatsAppBusinessTextMessageReceived
    ) -> list[WhatsAppBusinessTextMessageWithUserInfoReceived]:
        """Look the sender up and publish the message with (or without) customer info."""
        fields = msg.model_dump(exclude={"message_id", "correlation_id", "causation_id",
                                         "occurred_at"})
        return [WhatsAppBusinessTextMessageWithUserInfoReceived(
            **fields, **caused_by(msg, "with-user-info", self.clock()),
            customer=self.directory.find_by_phone(msg.sender_phone))]


class InMemoryCustomerDirectory:
    """A customer registry in a dict (tests, demos)."""

    def __init__(self, customers: Iterable[CustomerInfo] = ()) -> None:
        self._by_phone = {c.phone: c for c in customers}

    def find_by_phone(self, phone: str) -> CustomerInfo | None:
        """The customer registered with ``phone``."""
        return self._by_phone.get(phone)

    def upsert(self, customer: CustomerInfo) -> None:
        """Register or update ``customer``."""
        self._by_phone[customer.phone] = customer

    def upsert_many(self, customers: Iterable[CustomerInfo]) -> int:
        """Register or update ``customers``; returns how many."""
        chosen = list(customers)
        self._by_phone.update((c.phone, c) for c in chosen)
        return len(chosen)

    def ping(self) -> bool:
        """Always reachable."""
        return True

    def close(self) -> None:
        """Nothing to release."""
