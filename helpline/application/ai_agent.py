"""AIAgent (ms-rag's application side) and a small keyword answerer for demos and tests."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from helpline.application.handlers import Service, caused_by, handles
from helpline.application.ports import Answer, Answerer
from helpline.catalog import (
    AIAgentAnswerGenerated,
    CustomerInfo,
    GenerateAIAgentAnswerWithUserInfo,
    Turn,
)


@dataclass(eq=False)
class AIAgent(Service):
    """ms-rag: answers *Generate AI Agent Answer* through an ``Answerer``. Stateless; the
    answer's id is derived from the command's, so a redelivered command publishes the same
    answer (JetStream drops the copy; the Conversation ignores it too)."""

    answerer: Answerer

    @handles(GenerateAIAgentAnswerWithUserInfo)
    def generate_ai_agent_answer_with_user_info(
        self, cmd: GenerateAIAgentAnswerWithUserInfo
    ) -> list[AIAgentAnswerGenerated]:
        """Answer the customer's question."""
        answer = self.answerer.answer(cmd.question, cmd.history, cmd.customer)
        return [
            AIAgentAnswerGenerated(
                **caused_by(cmd, "ai-answer", self.clock()),
                conversation_id=cmd.conversation_id,
                in_reply_to=cmd.in_reply_to,
                text=answer.text,
                open_ticket=answer.open_ticket,
                reason=answer.reason,
                confidence=answer.confidence,
                sources=answer.sources,
            )
        ]


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("Está" -> "esta", "ñ" -> "n")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_HUMAN = re.compile(
    r"\b(persona|humano|human|agente|agent|alguien|someone|person|atendente|operador[a]?)\b"
)


class KeywordAnswerer:
    """A trivial ``Answerer``: canned answers by keyword; asks for a human when the customer
    does, or when no keyword matches. The real one is ``helpline.adapters.rag``."""

    def __init__(self, answers: dict[str, str], fallback: str | None = None) -> None:
        self.answers = {fold(k): v for k, v in answers.items()}
        self.fallback = fallback or "Te paso con una persona del equipo. / Passing you to a person."

    def answer(
        self, question: str, history: Sequence[Turn], customer: CustomerInfo | None
    ) -> Answer:
        """The first canned answer whose keyword is in the question."""
        folded = fold(question)
        if _HUMAN.search(folded):
            return Answer(self.fallback, open_ticket=True,
                          reason="customer asked for a person", confidence=1.0)
        for keyword, text in self.answers.items():
            if keyword in folded:
                return Answer(text, confidence=0.9, sources=(f"keyword:{keyword}",))
        return Answer(self.fallback, open_ticket=True, reason="no answer in the knowledge base")

    def close(self) -> None:
        """Nothing to release."""
