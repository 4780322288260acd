"""WhatsAppEdge: ms-whatsapp's application side for outbound messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from helpline.application.handlers import Service, handles
from helpline.application.ports import (
    PermanentSendError,
    SendResult,
    TemplateSender,
    WhatsAppSender,
)
from helpline.catalog import (
    CatalogMessage,
    SendWhatsAppBusinessTemplateMessage,
    SendWhatsAppBusinessTextMessage,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageStatusUpdated,
)
from helpline.domain.ids import derived_id

#: The commands ms-whatsapp sends: a text, or an approved template.
SendCommand = SendWhatsAppBusinessTextMessage | SendWhatsAppBusinessTemplateMessage
C = TypeVar("C", SendWhatsAppBusinessTextMessage, SendWhatsAppBusinessTemplateMessage)


@dataclass(eq=False)
class WhatsAppEdge(Service):
    """ms-whatsapp: carries out *Send WhatsApp Business Text Message* through a
    ``WhatsAppSender``, in process. A redelivered command never causes a second send:
    outcomes are kept in memory by the command's ``message_id`` (ms-whatsapp over NATS keeps
    them in ``helpline.adapters.whatsapp.ledger``)."""

    sender: WhatsAppSender
    _outcomes: dict[str, SendResult | PermanentSendError] = field(
        default_factory=dict, init=False, repr=False)

    @handles(SendWhatsAppBusinessTextMessage)
    def send_whatsapp_business_text_message(
        self, cmd: SendWhatsAppBusinessTextMessage
    ) -> list[CatalogMessage]:
        """Send the text; report *…-sent* or *…-send-failed*."""
        return self._once(cmd, self.sender.send)

    @handles(SendWhatsAppBusinessTemplateMessage)
    def send_whatsapp_business_template_message(
        self, cmd: SendWhatsAppBusinessTemplateMessage
    ) -> list[CatalogMessage]:
        """Send the template (when the sender can); report *…-sent* or *…-send-failed*."""
        return self._once(cmd, self._send_template)

    def _send_template(self, cmd: SendWhatsAppBusinessTemplateMessage) -> SendResult:
        if not isinstance(self.sender, TemplateSender):
            raise PermanentSendError(None, "this sender cannot send templates")
        return self.sender.send_template(cmd)

    def _once(self, cmd: C, send: Callable[[C], SendResult]) -> list[CatalogMessage]:
        """Send ``cmd`` the first time it comes (a permanent error is its outcome too) and
        report the outcome every time."""
        key = str(cmd.message_id)
        outcome = self._outcomes.get(key)
        if outcome is None:
            try:
                outcome = send(cmd)
            except PermanentSendError as e:
                outcome = e
            self._outcomes[key] = outcome
        return [outcome_event(cmd, outcome, self.clock())]

    @handles(WhatsAppBusinessTextMessageStatusUpdated)
    def whatsapp_business_text_message_status_updated(
        self, status: WhatsAppBusinessTextMessageStatusUpdated
    ) -> list[CatalogMessage]:
        """A status of a message we sent: nothing to settle here (this in-process edge
        knows each outcome when its send returns); ms-conv-store records the status."""
        return []


def outcome_event(cmd: SendCommand, outcome: SendResult | PermanentSendError,
                  at: datetime) -> CatalogMessage:
    """What ms-whatsapp reports for a send command: *…-sent* with Meta's ids, or
    *…-send-failed* with Meta's code and the reason (ids derived from the command's, so a
    repeated report is the same message)."""
    key = str(cmd.message_id)
    envelope = {"correlation_id": cmd.correlation_id, "causation_id": key, "occurred_at": at,
                "conversation_id": cmd.conversation_id, "send_message_id": key,
                "to": cmd.channel.customer_phone}
    if isinstance(outcome, SendResult):
        return WhatsAppBusinessTextMessageSent(**envelope, message_id=derived_id(key, "sent"),
                                               wamids=outcome.wamids)
    return WhatsAppBusinessTextMessageSendFailed(
        **envelope, message_id=derived_id(key, "send-failed"), code=outcome.code,
        reason=outcome.reason)


def given_up(cmd: SendCommand, error: BaseException,
             at: datetime) -> CatalogMessage:
    """The *…-send-failed* report of a send command ms-whatsapp gave up on (dead-lettered),
    so the conversation does not wait for it for ever."""
    return outcome_event(cmd, PermanentSendError(None, (
        f"not sent: ms-whatsapp gave up on it ({type(error).__name__}: {error})")[:900]), at)


class RecordingSender:
    """A ``WhatsAppSender`` that keeps what it was asked to send (in-process runs, tests)."""

    def __init__(self) -> None:
        self.sent: list[SendWhatsAppBusinessTextMessage] = []
        self.templates: list[SendWhatsAppBusinessTemplateMessage] = []

    def send(self, command: SendWhatsAppBusinessTextMessage) -> SendResult:
        """Record the command and invent a wamid for it."""
        self.sent.append(command)
        return SendResult(wamids=(f"wamid.fake.{command.message_id.hex}",))

    def send_template(self, command: SendWhatsAppBusinessTemplateMessage) -> SendResult:
        """Record the template command and invent a wamid for it."""
        self.templates.append(command)
        return SendResult(wamids=(f"wamid.fake.{command.message_id.hex}",))
