"""OutboundWhatsApp: ms-whatsapp carries out *Send WhatsApp Business Text Message* (async).

The crash window, and the choice made here
-------------------------------------------
Meta's ``messages`` endpoint takes no idempotency key, so between Meta's answer and our ledger
write there is a moment where a crash leaves us not knowing whether the customer got the text.
We prefer *at most once*: each piece of a text is claimed in the ledger *before* its Graph API
call and completed with its wamid after it. A redelivered command then finds:

- the recorded outcome → the same event again (no call);
- a completed piece → its wamid, and goes on with the next piece (no second call);
- a claim younger than ``lease`` → another delivery is calling Meta right now:
  :class:`SendInProgressError` (transient; NATS redelivers later, after which it finds the
  outcome);
- a claim older than ``lease`` that never completed → the process died mid-call: a
  *…-send-failed* event saying the outcome is unknown, rather than risk a duplicate message.

``lease`` must exceed the longest a piece can take (retries x (timeout + backoff)); the NATS
consumer's ack wait should exceed it too. When the retries run out the claim is released and
:class:`~helpline.adapters.whatsapp.graph_client.TransientSendError` propagates: the caller nacks
and the command is tried again later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from helpline.adapters.whatsapp.graph_client import GraphClient, TransientSendError, split_text
from helpline.adapters.whatsapp.ledger import ClaimState, Outcome, SendLedgerStore
from helpline.application.handlers import BatchResult
from helpline.application.ports import Clock, PermanentSendError, SendResult, utc_now
from helpline.catalog import (
    CatalogMessage,
    SendWhatsAppBusinessTextMessage,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
)
from helpline.domain.ids import derived_id

#: WhatsApp's customer service window: free-form replies only this long after the customer.
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
#: Meta's code for a free-form message outside the window (we use it for our own refusal too).
REENGAGEMENT_CODE = 131047
#: How long a claim protects a piece being sent (see the module docstring).
DEFAULT_LEASE = timedelta(minutes=2)


class SendInProgressError(TransientSendError):
    """Another delivery of the same command is sending this piece right now."""


class HeldBackError(TransientSendError):
    """An earlier reply to the same customer in the batch failed; this one waits for it."""


class OutboundWhatsApp:
    """Sends texts through a :class:`GraphClient`, at most once per command ``message_id``."""

    def __init__(
        self,
        client: GraphClient,
        ledger: SendLedgerStore,
        *,
        clock: Clock = utc_now,
        window: timedelta = CUSTOMER_SERVICE_WINDOW,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.clock = clock
        self.window = window
        self.lease = lease

    async def send_whatsapp_business_text_message(
        self, cmd: SendWhatsAppBusinessTextMessage
    ) -> list[CatalogMessage]:
        """Send the command's text; return ``[…-sent]`` or ``[…-send-failed]``.

        Raises :class:`TransientSendError` (including :class:`SendInProgressError`) when the
        command should be delivered again later.
        """
        result = await self.handle_batch([cmd])
        if result.errors:
            raise result.errors[0]
        return result.emitted

    async def handle_batch(self, messages: Sequence[CatalogMessage]) -> BatchResult:
        """Send a batch of commands: each customer's in order, different customers at the
        same time. After a failure, the customer's later commands in the batch are held back
        (retried later) so replies never overtake each other. The ledger is read and the
        outcomes are recorded once per batch."""
        cmds = [m for m in messages if isinstance(m, SendWhatsAppBusinessTextMessage)]
        if len(cmds) != len(messages):
            raise TypeError("ms-whatsapp sends Send WhatsApp Business Text Message commands only")
        keys = [str(c.message_id) for c in cmds]
        known = await self.ledger.outcomes(keys)
        outcomes: dict[int, Outcome] = {}
        raised: dict[int, BaseException] = {}
        by_customer: dict[str, list[int]] = {}
        for i, cmd in enumerate(cmds):
            by_customer.setdefault(cmd.conversation_id, []).append(i)

        async def send_in_order(indices: list[int]) -> None:
            for n, i in enumerate(indices):
                if keys[i] in known:
                    outcomes[i] = known[keys[i]]
                    continue
                try:
                    outcomes[i] = await self._carry_out(cmds[i], keys[i])
                except Exception as e:  # reported per command; later ones wait their turn
                    raised[i] = e
                    for j in indices[n + 1:]:
                        raised[j] = HeldBackError(f"held back behind {keys[i]}: {e}")
                    return

        await asyncio.gather(*(send_in_order(ix) for ix in by_customer.values()))
        new: dict[str, Outcome] = {keys[i]: o for i, o in outcomes.items() if keys[i] not in known}
        # If two deliveries raced to record, the first outcome recorded is the one reported.
        recorded = {**known, **(await self.ledger.record_outcomes(new) if new else {})}
        batch = BatchResult(errors=dict(raised))
        for i, cmd in enumerate(cmds):
            if i not in raised:
                batch.emitted.append(self._event(cmd, keys[i], recorded.get(keys[i], outcomes[i])))
        return batch

    async def _carry_out(self, cmd: SendWhatsAppBusinessTextMessage, key: str) -> Outcome:
        now = self.clock()
        last = cmd.customer_last_message_at
        if last is not None and now - last > self.window:
            return PermanentSendError(REENGAGEMENT_CODE, (
                f"not sent: the customer last wrote at {last.isoformat()}, more than "
                f"{self.window.total_seconds() / 3600:g} hours before {now.isoformat()} "
                "(outside WhatsApp's customer service window only a template message may be "
                "sent)"))
        pieces = split_text(cmd.text)
        wamids: list[str] = []
        for part, piece in enumerate(pieces):
            claim = await self.ledger.claim_part(
                key, part, self.clock().timestamp(), self.lease.total_seconds())
            if claim.state is ClaimState.DONE and claim.wamid is not None:
                wamids.append(claim.wamid)
                continue
            if claim.state is ClaimState.BUSY:
                raise SendInProgressError(f"piece {part + 1} of {key} is being sent already")
            if claim.state is ClaimState.STALE:
                return PermanentSendError(None, (
                    f"outcome unknown: an earlier attempt stopped during the Graph API call for "
                    f"piece {part + 1} of {len(pieces)}; not sent again to avoid a duplicate"))
            try:
                wamid = await self.client.send_text(
                    cmd.channel.phone_number_id, cmd.channel.customer_phone, piece,
                    preview_url=cmd.preview_url, reply_to=cmd.reply_to_wamid if part == 0 else None)
            except PermanentSendError as e:
                sent = f" ({part} of {len(pieces)} pieces were sent)" if part else ""
                return PermanentSendError(e.code, e.reason + sent)
            except TransientSendError:
                await self.ledger.release_part(key, part)
                raise
            await self.ledger.complete_part(key, part, wamid)
            wamids.append(wamid)
        return SendResult(tuple(wamids))

    def _event(
        self, cmd: SendWhatsAppBusinessTextMessage, key: str, outcome: Outcome
    ) -> CatalogMessage:
        envelope = {"correlation_id": cmd.correlation_id, "causation_id": key,
                    "occurred_at": self.clock()}
        if isinstance(outcome, SendResult):
            return WhatsAppBusinessTextMessageSent(
                **envelope, message_id=derived_id(key, "sent"),
                conversation_id=cmd.conversation_id, send_message_id=key,
                wamids=outcome.wamids, to=cmd.channel.customer_phone)
        return WhatsAppBusinessTextMessageSendFailed(
            **envelope, message_id=derived_id(key, "send-failed"),
            conversation_id=cmd.conversation_id, send_message_id=key,
            to=cmd.channel.customer_phone, code=outcome.code, reason=outcome.reason)
