"""Shared pieces of the catalog's example payloads (one conversation, told end to end)."""

from __future__ import annotations

from typing import Any

CONV = "6f1c1b8e-4a51-5d37-9c6a-1d1f0b1e5a10"
WAMID = "wamid.HBgLMzQ2MDAxMjM0NTYVAgASGBQzQUZCMEE5RjlCNEQ2RUQ4QTg2NgA="
AT = "2026-11-24T10:15:02Z"
#: The ticket of the story, and the Send command whose delivery ms-whatsapp reports.
TICKET = "9e8d7c6b-5a49-5382-a1b0-c9d8e7f6a510"
SEND = "e1f2a3b4-c5d6-5e7f-8a9b-0c1d2e3f4a12"
#: The customer's phone (E.164 digits) and the business number's Graph API id.
PHONE = "34600123456"
PHONE_NUMBER_ID = "106540352242922"
CUSTOMER: dict[str, Any] = {
    "customer_id": "cus_0042",
    "name": "Lucía Fernández",
    "phone": PHONE,
    "email": "lucia@example.com",
    "language": "es",
}
CHANNEL: dict[str, Any] = {
    "kind": "whatsapp",
    "phone_number_id": PHONE_NUMBER_ID,
    "customer_phone": PHONE,
}
#: The customer as ms-conv-store's messages name them: the phone and the registry's entry.
PHONE_AND_CUSTOMER: dict[str, Any] = {"phone": PHONE, "customer": CUSTOMER}
#: The ticket and conversation every ticket event's example names.
TICKET_EXAMPLE: dict[str, Any] = {"ticket_id": TICKET, "conversation_id": CONV}
#: The human agent who holds the story's ticket.
AGENT_EXAMPLE: dict[str, Any] = {"agent_id": "agt_marta", "agent_name": "Marta"}


def envelope(message_id: str, causation_id: str | None, at: str = AT) -> dict[str, Any]:
    """The envelope fields of an example."""
    return {
        "message_id": message_id,
        "correlation_id": CONV,
        "causation_id": causation_id,
        "occurred_at": at,
    }


#: What an agent's attached document looks like in a message (a field's schema example).
ATTACHMENT_EXAMPLE: dict[str, Any] = {
    "kind": "document", "mime_type": "application/pdf", "filename": "factura-1234.pdf",
    "size": 48213, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
#: What a customer's stored image looks like in an inbound message (a field's example).
MEDIA_EXAMPLE: dict[str, Any] = {
    "kind": "image", "media_id": "1003383421387256", "mime_type": "image/jpeg",
    "sha256": "Bhu9eQkxK8cCRRl8A3XHmRrbEsa5KqnXS4gGmxSn6yU=", "file_size": 183204,
    "caption": "Así llegó la caja", "filename": None, "voice": False, "animated": False,
    "stored_sha256": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "problem": None}
