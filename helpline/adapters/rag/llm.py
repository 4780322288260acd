"""An optional generator: any OpenAI-compatible chat-completions endpoint (plain httpx).

Grounded answers: the prompt carries only the closest entries the answerer chose, each with
its id, the customer's name and the recent history. The model must write the
answer from those entries alone and cite each one it used as ``[topic@lang]``, or reply
``NO_ANSWER`` when they do not cover the question. A refusal, a reply that cites no given
entry (it would be unsupported), an empty reply, a timeout or an HTTP error all become a
``Declined`` with the reason, so the answerer hands over instead of guessing. Citations are
taken out of the text the customer reads and become the answer's sources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from helpline.adapters.rag.kb import Entry
from helpline.catalog import CustomerInfo, Turn

#: What the model must answer when the documents do not cover the question.
DECLINE_TOKEN = "NO_ANSWER"

_LANGUAGE_NAMES = {"es": "Spanish", "en": "English", "pt": "Portuguese"}

SYSTEM_PROMPT = (
    "You are a business's customer-service assistant, answering customers on WhatsApp. "
    "Answer ONLY from the documents below; never invent policies, prices or dates. "
    "After each statement, cite the document it comes from by its id in square brackets, "
    "for example [returns-policy@en]. Be brief and friendly and reply in {language}. "
    "Customers mention details that do not change the answer (the product they bought, a "
    "relative); answer when a document covers what they ask. If no document fully answers "
    "what they ask (it does not fully answer a question about a case, a condition, an "
    "option or a channel it does not mention), reply with exactly "
    f"{DECLINE_TOKEN} and nothing else.\n\nDocuments:\n{{documents}}"
)

_CITATION = re.compile(r"\s*\[([A-Za-z0-9_.-]+@[a-z]{2})\]")


@dataclass(frozen=True)
class Generation:
    """The model's grounded reply: the text the customer reads and the entries it cites."""

    text: str
    cited: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declined:
    """Why the model gave no grounded reply (it refused, cited nothing, or failed)."""

    reason: str


def cited_ids(text: str) -> tuple[str, ...]:
    """The ``[topic@lang]`` citations in ``text``, in order, without repeats."""
    return tuple(dict.fromkeys(_CITATION.findall(text)))


def without_citations(text: str) -> str:
    """``text`` without its ``[topic@lang]`` citations (what the customer reads)."""
    return _CITATION.sub("", text).strip()


class OpenAIChatGenerator:
    """Calls ``POST {url}/chat/completions`` of an OpenAI-compatible server.

    ``url`` is the API base (``https://api.openai.com/v1``, ``http://127.0.0.1:8080/v1``);
    ``api_key`` is sent as a bearer token when given. ``client`` lets tests and the
    service share an ``httpx.Client``; otherwise one is created and closed by ``close()``.
    """

    def __init__(self, url: str, model: str, api_key: str | None = None, *,
                 timeout: float = 20.0, max_history: int = 6, temperature: float = 0.0,
                 client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.model = model
        self.max_history = max_history
        self.temperature = temperature
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(timeout=timeout)
        self._owns_client = client is None
        self._headers = headers

    def close(self) -> None:
        """Close the HTTP client if this generator created it."""
        if self._owns_client:
            self.client.close()

    def messages(self, question: str, documents: Sequence[Entry], history: Sequence[Turn],
                 customer: CustomerInfo | None, language: str) -> list[dict[str, str]]:
        """The chat messages sent to the model."""
        docs = "\n\n".join(f"[{e.id}] {e.title}\nQ: {e.question}\nA: {e.answer}"
                           for e in documents)
        system = SYSTEM_PROMPT.format(language=_LANGUAGE_NAMES.get(language, language),
                                      documents=docs)
        if customer is not None:
            system += f"\n\nThe customer's name is {customer.name}."
        out = [{"role": "system", "content": system}]
        for turn in list(history)[-self.max_history:]:
            if turn.author == "customer":
                out.append({"role": "user", "content": turn.text})
            elif turn.author in ("ai", "agent"):
                out.append({"role": "assistant", "content": turn.text})
        out.append({"role": "user", "content": question})
        return out

    def generate(self, question: str, documents: Sequence[Entry], history: Sequence[Turn],
                 customer: CustomerInfo | None, language: str) -> Generation | Declined:
        """Ask the model; never raises for transport or model failures."""
        body = {"model": self.model, "temperature": self.temperature,
                "messages": self.messages(question, documents, history, customer, language)}
        try:
            response = self.client.post(self.url, json=body, headers=self._headers)
            response.raise_for_status()
            text = str(response.json()["choices"][0]["message"]["content"] or "").strip()
        except httpx.TimeoutException:
            return Declined("The AI's language model did not reply in time.")
        except httpx.HTTPStatusError as exc:
            return Declined(f"The AI's language model failed (HTTP {exc.response.status_code}).")
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            return Declined(f"The AI's language model could not be used ({type(exc).__name__}).")
        return self._grounded(text, documents)

    @staticmethod
    def _grounded(text: str, documents: Sequence[Entry]) -> Generation | Declined:
        titles = ", ".join(f"“{d.title}”" for d in documents)
        if not text or DECLINE_TOKEN in text:
            return Declined(f"The AI found no answer to this question in the entries {titles}.")
        given = {d.id for d in documents}
        cited = tuple(c for c in cited_ids(text) if c in given)
        if not cited:
            return Declined("The AI's draft answer did not say which entry it came from "
                            f"({titles}), so it was not sent.")
        answer = without_citations(text).strip()
        if not answer:
            return Declined("The AI's draft answer was empty.")
        return Generation(answer, cited=cited)
