"""``KnowledgeBaseAnswerer``: the ``Answerer`` port over a knowledge base.

Order of decisions for each question (the first that applies wins):

1. the customer asks for a person -> hand over (``open_ticket``);
2. a greeting or thanks alone -> a polite reply in the customer's language, no ticket;
3. the last ``max_unhelpful`` AI answers in a row did not help (read from ``history``, so
   the answerer keeps no state) -> hand over;
4. no topic reaches the calibrated ``threshold`` -> hand over;
5. with an LLM: its answer from the retrieved documents, or hand over if it declines, fails
   or times out; without one: the best topic's answer in the customer's language.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from helpline.adapters.rag.index import Embedder, Hit, Index
from helpline.adapters.rag.intents import (
    asks_for_person,
    is_complaint,
    smalltalk_kind,
    unhelpful_streak,
)
from helpline.adapters.rag.kb import Entry, KnowledgeBase, fingerprint, load_knowledge_base
from helpline.adapters.rag.llm import OpenAIChatGenerator
from helpline.adapters.rag.text import guess_language
from helpline.application.ports import Answer
from helpline.catalog import CustomerInfo, Turn

#: Coverage a topic needs before we answer with it. Calibrated on ``tests/data/rag_dev.jsonl``
#: (a calibration set kept apart from the evaluation set) with ``calibrate_threshold``: the
#: middle of the range that maximises escalation F1 there.
DEFAULT_THRESHOLD = 0.14

REPLIES: dict[str, dict[str, str]] = {
    "handover": {
        "es": "Te paso con una persona del equipo; te responderá en breve por aquí.",
        "en": "I'm passing you to a person on our team; they'll reply here shortly.",
        "pt": "Vou passar você para uma pessoa da equipe; ela responderá aqui em breve.",
    },
    "greeting": {
        "es": "¡Hola{name}! ¿En qué puedo ayudarte?",
        "en": "Hi{name}! How can I help you?",
        "pt": "Olá{name}! Como posso ajudar?",
    },
    "thanks": {
        "es": "¡A ti{name}! Si necesitas algo más, aquí estoy.",
        "en": "You're welcome{name}! If you need anything else, I'm here.",
        "pt": "De nada{name}! Se precisar de mais alguma coisa, estou aqui.",
    },
}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _reply(kind: str, language: str, customer: CustomerInfo | None = None) -> str:
    texts = REPLIES[kind]
    name = f", {customer.name.split()[0]}" if customer is not None else ""
    return texts.get(language, texts["es"]).format(name=name)


def exchanges(question: str, history: Sequence[Turn]) -> list[tuple[str, str, str]]:
    """``(question, ai_answer, reaction)`` for each AI answer since a person last took part,
    the current ``question`` being the reaction to the latest one."""
    turns = list(history)
    if turns and turns[-1].author == "customer" and turns[-1].text.strip() == question.strip():
        turns = turns[:-1]  # ms-conv-store's history already holds the current question
    out: list[tuple[str, str, str]] = []
    asked: str | None = None
    pending: tuple[str, str] | None = None
    for turn in [*turns, Turn(author="customer", text=question, at=_EPOCH)]:
        if turn.author == "agent":
            out, asked, pending = [], None, None
        elif turn.author == "ai" and asked is not None:
            pending = (asked, turn.text)
        elif turn.author == "customer":
            if pending is not None:
                out.append((pending[0], pending[1], turn.text))
                pending = None
            if asked is None or not is_complaint(turn.text):
                asked = turn.text  # "no me ayuda" does not replace the question it is about
    return out


class KnowledgeBaseAnswerer:
    """Answers from a knowledge base (BM25, or hybrid with an ``embedder``), optionally
    through an OpenAI-compatible LLM, and decides when to hand over to a person."""

    def __init__(self, kb: KnowledgeBase, *, path: Path | None = None,
                 threshold: float = DEFAULT_THRESHOLD, max_unhelpful: int = 2,
                 default_language: str = "es", top_k: int = 5,
                 embedder: Embedder | None = None,
                 generator: OpenAIChatGenerator | None = None) -> None:
        self.path = path
        self.threshold = threshold
        self.max_unhelpful = max_unhelpful
        self.default_language = default_language
        self.top_k = top_k
        self.embedder = embedder
        self.generator = generator
        self._lock = threading.Lock()
        self._fingerprint = fingerprint(path) if path is not None else ()
        self.index = Index(kb, embedder=embedder, top_k=top_k)

    @classmethod
    def from_path(cls, path: Path | str, *, llm_url: str | None = None,
                  llm_model: str | None = None, llm_api_key: str | None = None,
                  llm_timeout: float = 20.0, **options: object) -> KnowledgeBaseAnswerer:
        """Load the knowledge base under ``path`` (see ``kb.load_knowledge_base``).

        ``llm_url`` and ``llm_model`` (``HELPLINE_LLM_URL``, ``HELPLINE_LLM_MODEL``,
        ``HELPLINE_LLM_API_KEY``) turn on the generator; other ``options`` go to
        ``__init__`` (``threshold``, ``max_unhelpful``, ``embedder``, ...)."""
        path = Path(path)
        if llm_url and llm_model and "generator" not in options:
            options["generator"] = OpenAIChatGenerator(llm_url, llm_model, llm_api_key,
                                                       timeout=llm_timeout)
        return cls(load_knowledge_base(path), path=path, **options)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the LLM generator's HTTP client, if any."""
        if self.generator is not None:
            self.generator.close()

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base currently served."""
        return self.index.kb

    def reload_if_changed(self) -> bool:
        """Rebuild the index when a file under ``path`` was added, removed or edited (by
        modification time and size); ``True`` when it reloaded. Questions keep being
        answered from the old index until the new one is swapped in."""
        if self.path is None:
            return False
        with self._lock:
            now = fingerprint(self.path)
            if now == self._fingerprint:
                return False
            self.index = Index(load_knowledge_base(self.path), embedder=self.embedder,
                               top_k=self.top_k)
            self._fingerprint = now
            return True

    def search(self, question: str) -> list[Hit]:
        """The topics retrieved for ``question`` (for evaluation and debugging)."""
        return self.index.search(question)

    def _entry(self, topic: str, language: str) -> Entry:
        entries = self.index.entries[topic]
        for lang in (language, self.default_language, "en"):
            for entry in entries:
                if entry.language == lang:
                    return entry
        return entries[0]

    def _handover(self, language: str, reason: str, confidence: float = 0.0,
                  sources: tuple[str, ...] = ()) -> Answer:
        return Answer(_reply("handover", language), open_ticket=True, reason=reason,
                      sources=sources, confidence=confidence)

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        """Answer ``question`` (see the module docstring for the order of decisions)."""
        preferred = (customer.language[:2] if customer and customer.language
                     else self.default_language)
        language = guess_language(question, default=preferred) or preferred
        if asks_for_person(question):
            return self._handover(language, "customer asked for a person", 1.0)
        kind = smalltalk_kind(question)
        if kind is not None:
            return Answer(_reply(kind, language, customer), confidence=1.0)
        streak = unhelpful_streak(exchanges(question, history))
        if streak >= self.max_unhelpful:
            return self._handover(language, f"{streak} consecutive answers did not help")
        index = self.index
        hits = index.search(question)
        best = hits[0] if hits else None
        if best is None or best.confidence < self.threshold:
            found = best.confidence if best else 0.0
            return self._handover(language, f"no document passes the threshold "
                                  f"({found:.2f} < {self.threshold:.2f})", found)
        entry = self._entry(best.topic, language)
        if self.generator is None:
            return Answer(entry.answer, sources=(entry.id,), confidence=best.confidence)
        documents = [self._entry(h.topic, language) for h in hits[:3]
                     if h.confidence >= self.threshold / 2]
        generation = self.generator.generate(question, documents, history, customer, language)
        sources = tuple(d.id for d in documents)
        if generation.declined:
            return self._handover(language, generation.reason or "the LLM declined",
                                  best.confidence, sources)
        return Answer(generation.text, sources=sources, confidence=best.confidence)

    async def aanswer(self, question: str, history: Sequence[Turn],
                      customer: CustomerInfo | None) -> Answer:
        """``answer`` in a worker thread, so an event loop (FastStream) is not blocked."""
        return await asyncio.to_thread(self.answer, question, history, customer)
