"""Get Conversation over core NATS request/reply, with a timeout and a clear error."""

from __future__ import annotations

from faststream.nats import NatsBroker

from helpline.adapters.nats.topology import Topology
from helpline.catalog import ConversationDocument, GetConversation


class ConversationStoreUnavailableError(RuntimeError):
    """ms-conv-store did not answer a Get Conversation in time."""


async def get_conversation(
    broker: NatsBroker, topology: Topology, query: GetConversation, timeout_s: float = 3.0
) -> ConversationDocument:
    """Ask ms-conv-store for a conversation; raises ``ConversationStoreUnavailableError``."""
    subject = topology.subject(GetConversation)
    try:
        reply = await broker.request(query.to_json(), subject, timeout=timeout_s)
    except Exception as e:  # nats' TimeoutError / NoRespondersError
        raise ConversationStoreUnavailableError(
            f"ms-conv-store did not answer get-conversation for {query.conversation_id} on "
            f"{subject} within {timeout_s:.1f}s ({type(e).__name__})") from e
    return ConversationDocument.model_validate_json(reply.body)
