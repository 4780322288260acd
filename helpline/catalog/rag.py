"""ms-rag's message: the AI agent's answer (or its request for a human)."""

from __future__ import annotations

from pydantic import Field

from helpline.catalog.base import About, InReplyToCustomerMessage, Route
from helpline.catalog.examples import CONV, WAMID, envelope
from helpline.catalog.types import LongText


class AIAgentAnswerGenerated(InReplyToCustomerMessage):
    """The AI agent's answer; ``open_ticket`` asks for a human to take over."""

    about = About("ai-agent-answer-generated", "AI Agent Answer Generated",
                  "ms-rag answered from the knowledge base, or asked for a human (open_ticket).")
    route = Route("event", "ms-rag", ("ms-conv-store",))

    text: LongText
    """The answer for the customer (with ``open_ticket``, the hand-over message); ms-conv-store
    sends it while the customer's 24-hour window is open."""
    open_ticket: bool = False
    """Hand the conversation to a person: ms-conv-store orders a ticket unless one is open
    (``text`` is sent all the same)."""
    reason: str | None = None
    """Why the AI hands over, in its words (the console explains it to the agent); ``None``: it
    gave none."""
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    """How sure the answerer is, 0 to 1; ms-conv-store records it. ms-rag gives the share of
    the question's salient words the entry it used (or, on a hand-over, the best one it
    found) covers, and 1.0 for small talk and for a customer who asks for a person."""
    sources: tuple[str, ...] = ()
    """What the answer drew on: ms-rag's knowledge-base entry ids (``topic@language``); the
    console lists them with a hand-over. Empty: none."""

    example = {
        **envelope("c2f0a1d3-5e6b-5a8c-8b1f-2d3e4f5a6b04", "a3c1e9a4-1b9e-5f0c-9d55-8e0b6c4f7a03"),
        "conversation_id": CONV,
        "in_reply_to": WAMID,
        "text": "Los sábados abrimos de 10:00 a 14:00.",
        "open_ticket": False,
        "reason": None,
        "confidence": 0.82,
        "sources": ["opening-hours@es"],
    }
