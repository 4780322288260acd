"""Grounded LLM answers end to end against a fake OpenAI-compatible server on 127.0.0.1:
written only from the closest entries (the model judges whether they answer), citing them; refusals,
uncited drafts, timeouts and failures hand over with a reason a person can read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from helpline.adapters.rag import Embedder, KnowledgeBaseAnswerer
from helpline.adapters.rag.llm import DECLINE_TOKEN, cited_ids, without_citations
from helpline.catalog import CustomerInfo, Turn
from tests.unit.rag.conftest import SAMPLE_KB, FakeLLM

pytestmark = pytest.mark.integration

LUCIA = CustomerInfo(customer_id="c1", name="Lucía Fernández", phone="34600123456",
                     language="es")
HISTORY = (Turn(author="customer", text="hola", at=datetime(2026, 1, 1, tzinfo=UTC)),
           Turn(author="ai", text="¡Hola! ¿En qué puedo ayudarte?",
                at=datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)))
QUESTION = "¿cómo devuelvo un producto?"


Build = Callable[..., KnowledgeBaseAnswerer]


@pytest.fixture
def make(multilingual: Embedder) -> Build:
    def build(fake: FakeLLM, timeout: float = 5.0) -> KnowledgeBaseAnswerer:
        return KnowledgeBaseAnswerer.from_path(
            SAMPLE_KB, llm_url=fake.url, llm_model="tiny-chat", llm_api_key="sk-test",
            llm_timeout=timeout, embedder=multilingual)
    return build


def test_the_answer_is_written_from_the_closest_entries_and_cites_them(
        fake_llm: FakeLLM, make: Build) -> None:
    fake_llm.reply = "Tienes 30 días para devolverlo, Lucía. [returns-policy@es]"
    answer = make(fake_llm).answer(QUESTION, HISTORY, LUCIA)
    assert (answer.text, answer.open_ticket, answer.reason, answer.sources) == (
        "Tienes 30 días para devolverlo, Lucía.", False, None, ("returns-policy@es",))
    assert fake_llm.paths == ["/v1/chat/completions"]
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test"
    body = fake_llm.requests[0]
    assert body["model"] == "tiny-chat" and body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    system = body["messages"][0]["content"]
    assert "Lucía Fernández" in system and "Spanish" in system and DECLINE_TOKEN in system
    assert "[returns-policy@es]" in system and "30 días" in system
    assert "cite the document" in system
    # only the closest entries reach the model
    assert "[payment-methods@es]" not in system
    assert body["messages"][-1] == {"role": "user", "content": QUESTION}


def test_a_refusal_hands_over(fake_llm: FakeLLM, make: Build) -> None:
    fake_llm.reply = DECLINE_TOKEN
    answer = make(fake_llm).answer(QUESTION, (), LUCIA)
    assert answer.open_ticket and answer.text.startswith("Te paso con una persona")
    assert answer.reason == ("The AI found no answer to this question in the entries "
                             "“Política de devoluciones”, “Producto agotado”, “He recibido un "
                             "producto equivocado”.")


@pytest.mark.parametrize("reply", [
    "Tienes 30 días para devolverlo.",                        # no citation at all
    "Tienes 30 días para devolverlo. [warranty@es]",          # an entry it was not given
])
def test_an_answer_that_cites_no_given_entry_is_not_sent(fake_llm: FakeLLM, make: Build,
                                                         reply: str) -> None:
    fake_llm.reply = reply
    answer = make(fake_llm).answer(QUESTION, (), LUCIA)
    assert answer.open_ticket
    assert answer.reason == ("The AI's draft answer did not say which entry it came from "
                             "(“Política de devoluciones”, “Producto agotado”, “He recibido un "
                             "producto equivocado”), so it was not sent.")


def test_a_reply_that_is_only_a_citation_hands_over(fake_llm: FakeLLM, make: Build) -> None:
    fake_llm.reply = "  [returns-policy@es] "
    answer = make(fake_llm).answer(QUESTION, (), LUCIA)
    assert answer.open_ticket and answer.text.startswith("Te paso con una persona")
    assert answer.reason == "The AI's draft answer was empty."


def test_a_timeout_hands_over_and_the_customer_is_told(fake_llm: FakeLLM,
                                                       make: Build) -> None:
    fake_llm.delay = 1.0
    answer = make(fake_llm, timeout=0.2).answer(QUESTION, (), LUCIA)
    assert answer.open_ticket
    assert answer.reason == "The AI's language model did not reply in time."
    assert answer.text.startswith("Te paso con una persona")


def test_a_server_error_hands_over(fake_llm: FakeLLM, make: Build) -> None:
    fake_llm.status = 500
    answer = make(fake_llm).answer(QUESTION, (), LUCIA)
    assert answer.open_ticket
    assert answer.reason == "The AI's language model failed (HTTP 500)."


def test_a_reply_that_is_not_a_chat_completion_hands_over(fake_llm: FakeLLM,
                                                          make: Build) -> None:
    fake_llm.raw = b"<html>gateway</html>"
    answer = make(fake_llm).answer(QUESTION, (), LUCIA)
    assert answer.open_ticket
    assert answer.reason == "The AI's language model could not be used (JSONDecodeError)."


def test_no_llm_call_when_no_entry_shares_a_word_or_for_smalltalk(fake_llm: FakeLLM,
                                                                  make: Build) -> None:
    subject = make(fake_llm)
    assert subject.answer("¿me recomiendas una película?", (), LUCIA).open_ticket
    assert not subject.answer("gracias!", (), LUCIA).open_ticket
    assert not subject.answer("thanks so much, have a good one", (), LUCIA).open_ticket
    assert fake_llm.requests == []


CHATTY = ("buenas, ayer compré una tostadora para mi suegra y al final no la quiere, "
          "todavía no la habéis enviado, ¿cómo lo cancelo?")


def test_with_an_llm_a_chatty_message_the_check_would_hand_over_reaches_the_model(
        fake_llm: FakeLLM, make: Build, sample_answerer: KnowledgeBaseAnswerer) -> None:
    """The lexical check hands over a message that names a toaster and a mother-in-law; with
    a model the model judges, from the closest entries, whether they answer it."""
    assert sample_answerer.answer(CHATTY, (), LUCIA).open_ticket  # without a model
    fake_llm.reply = "Si aún no ha salido, cancélalo en Mis pedidos. [cancel-order@es]"
    answer = make(fake_llm).answer(CHATTY, (), LUCIA)
    assert (answer.open_ticket, answer.sources) == (False, ("cancel-order@es",))
    system = fake_llm.requests[0]["messages"][0]["content"]
    assert "[cancel-order@es]" in system
    assert system.count("\nQ: ") <= 3  # the closest entries only (LLM_DOCUMENTS)


def test_with_an_llm_a_near_miss_is_the_models_to_refuse(fake_llm: FakeLLM,
                                                         make: Build) -> None:
    fake_llm.reply = DECLINE_TOKEN
    answer = make(fake_llm).answer("¿Hacéis descuento a estudiantes?", (), LUCIA)
    assert answer.open_ticket
    assert answer.reason is not None
    assert answer.reason.startswith("The AI found no answer to this question in the entries")
    assert "“Mi código de descuento no funciona”" in answer.reason
    system = fake_llm.requests[0]["messages"][0]["content"]
    assert "[discount-codes@es]" in system
    assert "does not fully answer" in system  # the model is told what a near-miss is


def test_citations_are_read_and_taken_out() -> None:
    text = "Sí [payment-methods@es], con PayPal [payment-methods@es] o Bizum [installments@es]."
    assert cited_ids(text) == ("payment-methods@es", "installments@es")
    assert without_citations(text) == "Sí, con PayPal o Bizum."
