"""OutboundWhatsApp: ms-whatsapp carries out *Send WhatsApp Business Text Message* (async).

The crash window, and how Meta's own mechanism closes it
-------------------------------------------------------
Meta's ``messages`` endpoint takes no idempotency key, so a crash (or a timeout) during the
Graph API call leaves us not knowing whether the customer got the text. Each piece of a text
is *claimed* in the ledger before its call, sent with ``biz_opaque_callback_data`` =
``<command id>:<piece>``, and *completed* with its wamid after it. Meta echoes the callback
data in every status webhook of that message, and a status *settles* an open claim (ms-whatsapp
consumes the statuses too). A redelivered command then finds:

- the recorded outcome → the same event again (no call);
- a completed or settled piece → its wamid, and goes on with the next piece (no second call);
- a claim younger than ``lease`` → another delivery is calling Meta right now, or a crash left
  the claim and its status may still come: :class:`SendInProgressError` (transient; NATS
  redelivers later);
- a claim older than ``lease`` that no status settled → Meta never sent it: the piece is
  claimed again and sent (a status arriving later than the lease is the one way to a
  duplicate).

A call that certainly did not reach Meta (a refused connection, a rate limit) releases its
claim at once; one that may have (a 5xx, a timeout) keeps it, for the status to settle. The
lease must exceed the longest a call can take; the NATS consumer's ack wait is shorter and the
command comes back until the outcome is known.

A command with an agent's ``attachment`` is uploaded first, as piece ``-1`` of the ledger
(its "wamid" column holds the media id), then sent by that id as piece 0: see
``outbound_media``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta

from helpline.adapters.media_store import MediaStore
from helpline.adapters.whatsapp.graph_client import (
    AmbiguousSendError,
    GraphClient,
    TransientSendError,
)
from helpline.adapters.whatsapp.ledger import ClaimState, Outcome, SendLedgerStore
from helpline.adapters.whatsapp.outbound_media import send_with_attachment
from helpline.application.errors import RetryLaterError
from helpline.application.handlers import BatchResult
from helpline.application.ports import Clock, PermanentSendError, SendResult, utc_now
from helpline.application.reply_text import split_text
from helpline.application.whatsapp_edge import SendCommand, outcome_event
from helpline.catalog import (
    CatalogMessage,
    SendWhatsAppBusinessTemplateMessage,
    SendWhatsAppBusinessTextMessage,
    WhatsAppBusinessTextMessageStatusUpdated,
)

#: WhatsApp's customer service window: free-form replies only this long after the customer.
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
#: Meta's code for a free-form message outside the window (we use it for our own refusal too).
REENGAGEMENT_CODE = 131047
#: How long a claim protects a piece being sent (see the module docstring).
DEFAULT_LEASE = timedelta(minutes=2)


class SendInProgressError(TransientSendError, RetryLaterError):
    """Another delivery of the same command is sending this piece right now."""


class HeldBackError(TransientSendError, RetryLaterError):
    """An earlier reply to the same customer in the batch failed; this one waits for it."""


@dataclass(eq=False)
class OutboundWhatsApp:
    """Sends texts through a :class:`GraphClient`, at most once per command ``message_id``."""

    client: GraphClient
    ledger: SendLedgerStore
    _: KW_ONLY
    clock: Clock = utc_now
    window: timedelta = CUSTOMER_SERVICE_WINDOW
    lease: timedelta = DEFAULT_LEASE
    media: MediaStore | None = None
    """Where agents' attachments are read from (``None``: attachments fail plainly)."""

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

    async def send_whatsapp_business_template_message(
        self, cmd: SendWhatsAppBusinessTemplateMessage
    ) -> list[CatalogMessage]:
        """Send the command's template (one piece, by the same ledger rules as a text);
        return ``[…-sent]`` or ``[…-send-failed]``."""
        result = await self.handle_batch([cmd])
        if result.errors:
            raise result.errors[0]
        return result.emitted

    async def handle_batch(self, messages: Sequence[CatalogMessage]) -> BatchResult:
        """Settle the claims the batch's status reports name, then send its commands: each
        customer's in order, different customers at the same time. After a failure, the
        customer's later commands in the batch are held back (retried later) so replies never
        overtake each other. The ledger's outcomes are read and recorded once per batch."""
        batch = BatchResult()
        statuses = [(i, m) for i, m in enumerate(messages)
                    if isinstance(m, WhatsAppBusinessTextMessageStatusUpdated)]
        for i, status in statuses:
            try:
                await self.settle(status)
            except Exception as e:  # the ledger is away: the status comes back later
                batch.errors[i] = e
        indexed: list[tuple[int, SendCommand]] = [
            (i, m) for i, m in enumerate(messages)
            if isinstance(m, SendWhatsAppBusinessTextMessage | SendWhatsAppBusinessTemplateMessage)]
        if len(indexed) + len(statuses) != len(messages):
            raise TypeError("ms-whatsapp handles send commands and status reports only")
        sent = await self._send_batch([m for _, m in indexed])
        batch.emitted.extend(sent.emitted)
        batch.errors.update({indexed[j][0]: e for j, e in sent.errors.items()})
        return batch

    async def settle(self, status: WhatsAppBusinessTextMessageStatusUpdated) -> bool:
        """A status of one of our messages: settle the claim its callback data names (a send
        whose outcome a crash or a timeout left unknown). ``True`` if it settled one."""
        key, _, part = (status.callback_data or "").rpartition(":")
        if not key or not part.isdigit():
            return False  # not one of our sends (or sent before callback data)
        return await self.ledger.settle_part(key, int(part), status.wamid)

    async def _send_batch(self, cmds: list[SendCommand]) -> BatchResult:
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
                batch.emitted.append(outcome_event(cmd, recorded.get(keys[i], outcomes[i]),
                                                   self.clock()))
        return batch

    async def _carry_out(self, cmd: SendCommand, key: str) -> Outcome:
        if isinstance(cmd, SendWhatsAppBusinessTemplateMessage):
            template = await self.claimed(key, 0, 1, lambda: self.client.send_template(
                cmd.channel.phone_number_id, cmd.channel.customer_phone,
                cmd.template.model_dump(mode="json"), callback_data=f"{key}:0"))
            return template if isinstance(template, PermanentSendError) else SendResult(
                (template,))
        now = self.clock()
        last = cmd.customer_last_message_at
        if last is not None and now - last > self.window:
            return PermanentSendError(REENGAGEMENT_CODE, (
                f"not sent: the customer last wrote at {last.isoformat()}, more than "
                f"{self.window.total_seconds() / 3600:g} hours before {now.isoformat()} "
                "(outside WhatsApp's customer service window only a template message may be "
                "sent)"))
        if cmd.attachment is not None:
            return await send_with_attachment(self, cmd, key)
        pieces = split_text(cmd.text)
        wamids: list[str] = []
        for part, piece in enumerate(pieces):
            wamid = await self.claimed(key, part, len(pieces),
                                       self._text_call(cmd, key, part, piece))
            if isinstance(wamid, PermanentSendError):
                return wamid
            wamids.append(wamid)
        return SendResult(tuple(wamids))

    def _text_call(self, cmd: SendWhatsAppBusinessTextMessage, key: str, part: int,
                   piece: str) -> Callable[[], Awaitable[str]]:
        return lambda: self.client.send_text(
            cmd.channel.phone_number_id, cmd.channel.customer_phone, piece,
            preview_url=cmd.preview_url, reply_to=cmd.reply_to_wamid if part == 0 else None,
            callback_data=f"{key}:{part}")

    async def claimed(self, key: str, part: int, pieces: int,
                      call: Callable[[], Awaitable[str]]) -> str | PermanentSendError:
        """Make one Graph API ``call`` for piece ``part`` of command ``key`` under the ledger's
        claim (see the module docstring): its recorded result if done, else the call's."""
        now = self.clock().timestamp()
        lease = self.lease.total_seconds()
        claim = await self.ledger.claim_part(key, part, now, lease)
        if claim.state is ClaimState.DONE and claim.wamid is not None:
            return claim.wamid
        if claim.state is ClaimState.BUSY or (
                claim.state is ClaimState.STALE
                and not await self.ledger.reclaim_part(key, part, now, lease)):
            raise SendInProgressError(f"piece {part + 1} of {key} is being sent already")
        try:
            wamid = await call()
        except PermanentSendError as e:
            sent = f" ({part} of {pieces} pieces were sent)" if part > 0 else ""
            return PermanentSendError(e.code, e.reason + sent)
        except AmbiguousSendError:
            raise  # the claim stays: a status settles it, or the lease lets it go
        except TransientSendError:
            await self.ledger.release_part(key, part)
            raise
        await self.ledger.complete_part(key, part, wamid)
        return wamid
