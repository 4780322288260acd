"""Sending an agent's image or document: upload, then send by media id, each step once.

The ledger holds both steps of a command: piece :data:`UPLOAD_PART` (``-1``) is the upload,
completed with Meta's media id; piece 0 is the media message (``biz_opaque_callback_data`` =
``<command id>:0``, settled by its statuses like a text's), and pieces 1.. the text when it
is longer than WhatsApp's 1,024-character caption. A redelivered command therefore finds the
media id recorded and does not upload again, and the message's claim keeps it from sending
twice. Only a crash after Meta took the upload and before its media id was recorded uploads
again (when the claim's lease runs out); an unused upload is never seen by the customer and
Meta deletes it after 30 days.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from helpline.application.ports import PermanentSendError, SendResult
from helpline.application.reply_text import split_text
from helpline.catalog import Attachment, SendWhatsAppBusinessTextMessage

if TYPE_CHECKING:
    from helpline.adapters.whatsapp.ledger import Outcome
    from helpline.adapters.whatsapp.outbound import OutboundWhatsApp

#: The ledger piece of a command's upload (pieces of messages count from 0).
UPLOAD_PART = -1
#: WhatsApp's longest caption of an image or document.
MAX_CAPTION = 1024


async def send_with_attachment(out: OutboundWhatsApp, cmd: SendWhatsAppBusinessTextMessage,
                               key: str) -> Outcome:
    """Upload the command's attachment (once) and send it, then any text that did not fit
    in its caption; the outcome, as for a text."""
    attachment = cmd.attachment
    assert attachment is not None
    caption = cmd.text if len(cmd.text) <= MAX_CAPTION else None
    rest = [] if caption is not None else split_text(cmd.text)
    pieces = 1 + len(rest)
    media_id = await out.claimed(key, UPLOAD_PART, pieces, lambda: _upload(out, cmd, attachment))
    if isinstance(media_id, PermanentSendError):
        return PermanentSendError(media_id.code, f"not sent: the upload failed: {media_id.reason}")
    wamid = await out.claimed(key, 0, pieces, lambda: out.client.send_media(
        cmd.channel.phone_number_id, cmd.channel.customer_phone, attachment.kind, media_id,
        caption=caption, filename=attachment.filename, reply_to=cmd.reply_to_wamid,
        callback_data=f"{key}:0"))
    if isinstance(wamid, PermanentSendError):
        return wamid
    wamids = [wamid]
    for part, piece in enumerate(rest, start=1):
        sent = await out.claimed(key, part, pieces, _text(out, cmd, piece, f"{key}:{part}"))
        if isinstance(sent, PermanentSendError):
            return sent
        wamids.append(sent)
    return SendResult(tuple(wamids))


def _text(out: OutboundWhatsApp, cmd: SendWhatsAppBusinessTextMessage, piece: str,
          callback: str) -> Callable[[], Awaitable[str]]:
    return lambda: out.client.send_text(cmd.channel.phone_number_id,
                                        cmd.channel.customer_phone, piece,
                                        preview_url=cmd.preview_url, callback_data=callback)


async def _upload(out: OutboundWhatsApp, cmd: SendWhatsAppBusinessTextMessage,
                  attachment: Attachment) -> str:
    data = out.media.read(attachment.sha256) if out.media is not None else None
    if data is None:
        raise PermanentSendError(None, f"the attachment {attachment.sha256[:12]}… is not in "
                                       "the media store")
    name = attachment.filename or f"{attachment.kind}-{attachment.sha256[:8]}"
    return await out.client.upload_media(cmd.channel.phone_number_id, data,
                                         attachment.mime_type, name)
