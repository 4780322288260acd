"""``KnowledgeBaseAnswerer``: the ``Answerer`` port over a knowledge base.

Order of decisions for each question (the first that applies wins):

1. the customer asks for a person -> hand over (``open_ticket``);
2. a greeting or thanks alone -> a polite reply in the customer's language, no ticket;
3. the last ``max_unhelpful`` AI answers in a row did not help (read from ``history``, so
   the answerer keeps no state) -> hand over;
4. retrieval finds nothing, or none of the first ``candidates`` topics passes the
   answerability check (``answerability.py``: the topic must speak of the question's
   salient words, ``threshold`` of their weight) -> hand over, saying in plain words what
   the knowledge base lacks;
5. without an LLM: the answer of the topic that passed best, in the customer's language;
   with one, the model is the judge: it gets the ``llm_documents`` closest topics that share
   at least ``llm_min_coverage`` of the question's salient words (a chatty message that names
   a toaster and a mother-in-law fails the lexical check, yet its entry answers it), writes
   only from them, citing them, or hands over if it declines, cites nothing, fails or times
   out. A question no topic shares that much with is handed over without a model call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from helpline.adapters.rag.answerability import Answerability, Verdict
from helpline.adapters.rag.embeddings import make_embedder
from helpline.adapters.rag.index import Embedder, Hit, Index
from helpline.adapters.rag.intents import (
    asks_for_person,
    is_complaint,
    smalltalk_kind,
    unhelpful_streak,
)
from helpline.adapters.rag.kb import Entry, KnowledgeBase, fingerprint, load_knowledge_base
from helpline.adapters.rag.llm import Declined, OpenAIChatGenerator
from helpline.adapters.rag.text import guess_language
from helpline.application.ports import Answer
from helpline.catalog import CustomerInfo, Turn

#: Share of a question's salient words (by weight) a topic must speak of before we answer
#: with it. Calibrated on the dev sets only (``tests/data/rag_*dev.jsonl``) with
#: ``evaluation.calibrate_threshold``.
DEFAULT_THRESHOLD = 0.8

#: How many retrieved topics the answerability check looks at.
CANDIDATES = 5

#: With an LLM: the share of salient words a topic must speak of to be shown to the model,
#: and how many topics it is shown (more when more pass the lexical check). On both halves of
#: ``tests/data/rag_realistic_*.jsonl`` the right topic is among them for 90 % of the
#: answerable messages (at the lexical threshold: 6 % of the dev half, 2 % of the eval half).
LLM_MIN_COVERAGE = 0.1
LLM_DOCUMENTS = 3

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


@dataclass(eq=False)
class KnowledgeBaseAnswerer:
    """Answers from a knowledge base (BM25, or hybrid with an ``embedder``), optionally
    through an OpenAI-compatible LLM, and decides when to hand over to a person."""

    kb: KnowledgeBase = field(repr=False)
    """The knowledge base currently served (replaced by ``reload_if_changed``)."""
    _: KW_ONLY
    path: Path | None = None
    threshold: float = DEFAULT_THRESHOLD
    max_unhelpful: int = 2
    default_language: str = "es"
    top_k: int = 5
    candidates: int = CANDIDATES
    embedder: Embedder | None = None
    generator: OpenAIChatGenerator | None = None
    llm_min_coverage: float = LLM_MIN_COVERAGE
    llm_documents: int = LLM_DOCUMENTS
    index: Index = field(init=False, repr=False)
    answerability: Answerability = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    _fingerprint: tuple[tuple[str, int, int], ...] = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        if self.path is not None:
            self._fingerprint = fingerprint(self.path)
        self._serve(self.kb)

    def _serve(self, kb: KnowledgeBase) -> None:
        index = Index(kb, embedder=self.embedder, top_k=self.top_k)
        self.kb, self.index, self.answerability = kb, index, Answerability(index, self.embedder)

    @classmethod
    def from_path(cls, path: Path | str, *, llm_url: str | None = None,
                  llm_model: str | None = None, llm_api_key: str | None = None,
                  llm_timeout: float = 20.0, embedder_name: str = "auto",
                  **options: object) -> KnowledgeBaseAnswerer:
        """Load the knowledge base under ``path`` (see ``kb.load_knowledge_base``).

        ``embedder_name`` picks the embedder (``embeddings.EMBEDDERS``; an ``embedder``
        option overrides it); ``llm_url`` and ``llm_model`` turn on the generator; other
        ``options`` go to ``__init__`` (``threshold``, ``max_unhelpful``, ...)."""
        path = Path(path)
        if "embedder" not in options:
            options["embedder"] = make_embedder(embedder_name)
        if llm_url and llm_model and "generator" not in options:
            options["generator"] = OpenAIChatGenerator(llm_url, llm_model, llm_api_key,
                                                       timeout=llm_timeout)
        return cls(load_knowledge_base(path), path=path, **options)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the LLM generator's HTTP client, if any."""
        if self.generator is not None:
            self.generator.close()

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
            self._serve(load_knowledge_base(self.path))
            self._fingerprint = now
            return True

    def search(self, question: str) -> list[Hit]:
        """The topics retrieved for ``question`` (for evaluation and debugging)."""
        return self.index.search(question)

    def verdicts(self, question: str) -> list[Verdict]:
        """The answerability of the first ``candidates`` retrieved topics, best first."""
        index, answerability = self.index, self.answerability
        hits = index.search(question)[:self.candidates]
        verdicts = answerability.verdicts(question, [h.topic for h in hits])
        return sorted(verdicts, key=lambda v: v.coverage, reverse=True)  # stable: rank ties

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

    def _not_answerable(self, verdict: Verdict | None) -> str:
        """Why the best topic does not answer, for the person who takes over."""
        if verdict is None:
            return "The knowledge base has nothing on this question."
        words = ", ".join(f"“{w}”" for w in verdict.missing[:3])
        if verdict.coverage == 0.0 or not words:
            return f"The knowledge base has nothing on {words or 'this question'}."
        title = self._entry(verdict.topic, "en").title
        return f"The closest entry, “{title}”, says nothing about {words}."

    def answer(self, question: str, history: Sequence[Turn],
               customer: CustomerInfo | None) -> Answer:
        """Answer ``question`` (see the module docstring for the order of decisions)."""
        preferred = (customer.language[:2] if customer and customer.language
                     else self.default_language)
        language = guess_language(question, default=preferred) or preferred
        if asks_for_person(question):
            return self._handover(language, "The customer asked for a person.", 1.0)
        kind = smalltalk_kind(question)
        if kind is not None:
            return Answer(_reply(kind, language, customer), confidence=1.0)
        streak = unhelpful_streak(exchanges(question, history))
        if streak >= self.max_unhelpful:
            return self._handover(language, f"The customer said the last {streak} answers "
                                  "did not help.")
        verdicts = self.verdicts(question)
        if self.generator is not None:
            return self._generated(self.generator, question, verdicts, history, customer,
                                   language)
        passed = [v for v in verdicts if v.coverage >= self.threshold]
        if not passed:
            best = verdicts[0] if verdicts else None
            return self._handover(language, self._not_answerable(best),
                                  best.coverage if best else 0.0)
        entry = self._entry(passed[0].topic, language)
        return Answer(entry.answer, sources=(entry.id,), confidence=passed[0].coverage)

    def _generated(self, generator: OpenAIChatGenerator, question: str,
                   verdicts: Sequence[Verdict], history: Sequence[Turn],
                   customer: CustomerInfo | None, language: str) -> Answer:
        """The model's answer from the closest topics (decision 5), or a hand-over."""
        # Every topic that passed the lexical check, then the closest others up to
        # ``llm_documents`` that share at least ``llm_min_coverage``.
        passed = [v for v in verdicts if v.coverage >= self.threshold]
        closest = [v for v in verdicts if v not in passed
                   and v.coverage > 0 and v.coverage >= self.llm_min_coverage]
        shown = passed + closest[:max(0, self.llm_documents - len(passed))]
        if not shown:
            best = verdicts[0] if verdicts else None
            return self._handover(language, self._not_answerable(best),
                                  best.coverage if best else 0.0)
        documents = [self._entry(v.topic, language) for v in shown]
        generation = generator.generate(question, documents, history, customer, language)
        if isinstance(generation, Declined):
            return self._handover(language, generation.reason, shown[0].coverage,
                                  tuple(d.id for d in documents))
        coverage = {d.id: v.coverage for d, v in zip(documents, shown, strict=True)}
        sources = generation.cited or (documents[0].id,)
        return Answer(generation.text, sources=sources, confidence=coverage.get(sources[0], 0.0))

    async def aanswer(self, question: str, history: Sequence[Turn],
                      customer: CustomerInfo | None) -> Answer:
        """``answer`` in a worker thread, so an event loop (FastStream) is not blocked."""
        return await asyncio.to_thread(self.answer, question, history, customer)
