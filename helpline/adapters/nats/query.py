"""Get Conversation over core NATS request/reply (never inside a stream: a stream covering a
query subject would answer the request with a PubAck): ms-conv-store's responder, served
by a FastStream subscriber with a queue group, and ms-agents' request, with a timeout and a
clear error."""

from __future__ import annotations

import asyncio

from faststream.nats import NatsBroker, NatsMessage, NatsRouter

from helpline.adapters.nats.topology import Topology
from helpline.application.conversation_store import ConversationStore
from helpline.catalog import ConversationDocument, GetConversation


class ConversationStoreUnavailableError(RuntimeError):
    """ms-conv-store did not answer a Get Conversation in time."""


def create_query_router(store: ConversationStore, topology: Topology) -> NatsRouter:
    """ms-conv-store's responder to Get Conversation (replicas share it: a queue group)."""
    router = NatsRouter()

    async def get_conversation(msg: NatsMessage) -> bytes:
        query = GetConversation.model_validate_json(msg.body)
        doc: ConversationDocument = await asyncio.to_thread(store.get_conversation, query)
        return doc.to_json()

    router.subscriber(topology.subject(GetConversation), queue="ms-conv-store",
                      title="ms-conv-store:get-conversation",
                      description=GetConversation.__doc__)(get_conversation)
    return router


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
