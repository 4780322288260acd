"""Deterministic identifiers (docs/architecture.md, "Ids"): retries land on the same
aggregate."""

from __future__ import annotations

from uuid import UUID, uuid5

#: The namespace of every helpline uuid5.
NAMESPACE = UUID("2f0c8a7e-64d4-4b4e-9d1c-5b1f2c9e7a31")


def conversation_id_for(customer_phone: str, channel: str = "whatsapp") -> UUID:
    """The conversation of a customer's phone number on a channel.

    Keyed by channel and phone (not by customer id) so that every service, including the
    webhook edge that knows only the phone, computes the same id.
    """
    return uuid5(NAMESPACE, f"conversation:{channel}:{customer_phone}")


def derived_id(parent: UUID | str, *parts: object) -> UUID:
    """An id derived from ``parent`` and ``parts``: the same inputs always give the same id."""
    return uuid5(NAMESPACE, ":".join([str(parent), *(str(p) for p in parts)]))


def desk_conversation_id(conversation_id: UUID | str) -> UUID:
    """The AgentDesk's per-conversation index aggregate (at most one open ticket)."""
    return derived_id("desk-conversation", conversation_id)


ROSTER_ID = uuid5(NAMESPACE, "roster")
"""The single roster aggregate of the AgentDesk."""
