"""WhatsAppEdge: ms-whatsapp's application side for outbound messages."""

from __future__ import annotations

from helpline.application.handlers import Service, handles
from helpline.application.ports import (
    Clock,
    PermanentSendError,
    SendLedger,
    SendResult,
    WhatsAppSender,
    utc_now,
)
from helpline.catalog import (
    CatalogMessage,
    SendWhatsAppBusinessTextMessage,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
)
from helpline.domain.ids import derived_id


class WhatsAppEdge(Service):
    """ms-whatsapp: carries out *Send WhatsApp Business Text Message* through a
    ``WhatsAppSender``. A redelivered command never causes a second send: outcomes are kept
    in a ledger keyed by the command's ``message_id``."""

    def __init__(
        self, sender: WhatsAppSender, ledger: SendLedger | None = None, clock: Clock = utc_now
    ) -> None:
        self.sender = sender
        self.ledger = ledger if ledger is not None else SendLedger()
        self.clock = clock

    @handles(SendWhatsAppBusinessTextMessage)
    def send_whatsapp_business_text_message(
        self, cmd: SendWhatsAppBusinessTextMessage
    ) -> list[CatalogMessage]:
        """Send the text; report *…-sent* or *…-send-failed*."""
        key = str(cmd.message_id)
        outcome = self.ledger.get(key)
        if outcome is None:
            try:
                outcome = self.sender.send(cmd)
            except PermanentSendError as e:
                outcome = e
            self.ledger.put(key, outcome)
        envelope = {
            "correlation_id": cmd.correlation_id,
            "causation_id": key,
            "occurred_at": self.clock(),
        }
        if isinstance(outcome, SendResult):
            return [WhatsAppBusinessTextMessageSent(
                **envelope, message_id=derived_id(key, "sent"), conversation_id=cmd.conversation_id,
                send_message_id=key, wamids=outcome.wamids, to=cmd.channel.customer_phone)]
        return [WhatsAppBusinessTextMessageSendFailed(
            **envelope, message_id=derived_id(key, "send-failed"),
            conversation_id=cmd.conversation_id, send_message_id=key,
            to=cmd.channel.customer_phone, code=outcome.code, reason=outcome.reason)]


    @handles(WhatsAppBusinessTextMessageStatusUpdated)
    def whatsapp_business_text_message_status_updated(
        self, status: WhatsAppBusinessTextMessageStatusUpdated
    ) -> list[CatalogMessage]:
        """A status of a message we sent: nothing to settle here (this in-process edge
        knows each outcome when its send returns); ms-conv-store records the status."""
        return []


class RecordingSender:
    """A ``WhatsAppSender`` that keeps what it was asked to send (in-process runs, tests)."""

    def __init__(self) -> None:
        self.sent: list[SendWhatsAppBusinessTextMessage] = []

    def send(self, command: SendWhatsAppBusinessTextMessage) -> SendResult:
        """Record the command and invent a wamid for it."""
        self.sent.append(command)
        return SendResult(wamids=(f"wamid.fake.{command.message_id.hex}",))
