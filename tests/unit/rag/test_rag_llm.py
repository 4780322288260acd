"""The LLM path end to end against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpline.adapters.rag import KnowledgeBaseAnswerer
from helpline.adapters.rag.llm import DECLINE_TOKEN
from helpline.catalog import CustomerInfo, Turn
from tests.unit.rag.conftest import SAMPLE_KB, FakeLLM

pytestmark = pytest.mark.integration

LUCIA = CustomerInfo(customer_id="c1", name="Lucía Fernández", phone="34600123456",
                     language="es")
HISTORY = (Turn(author="customer", text="hola", at=datetime(2026, 1, 1, tzinfo=UTC)),
           Turn(author="ai", text="¡Hola! ¿En qué puedo ayudarte?",
                at=datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)))


def answerer(fake: FakeLLM, timeout: float = 5.0) -> KnowledgeBaseAnswerer:
    return KnowledgeBaseAnswerer.from_path(SAMPLE_KB, llm_url=fake.url, llm_model="tiny-chat",
                                           llm_api_key="sk-test", llm_timeout=timeout)


def test_request_shape_and_answer_used(fake_llm: FakeLLM) -> None:
    fake_llm.reply = "Tienes 30 días para devolverlo, Lucía."
    answer = answerer(fake_llm).answer("como devuelvo unos zapatos?", HISTORY, LUCIA)
    assert answer == answer.__class__(
        "Tienes 30 días para devolverlo, Lucía.", open_ticket=False, reason=None,
        sources=answer.sources, confidence=answer.confidence)
    assert "returns-policy@es" in answer.sources
    assert fake_llm.paths == ["/v1/chat/completions"]
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test"
    body = fake_llm.requests[0]
    assert body["model"] == "tiny-chat"
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    system = body["messages"][0]["content"]
    assert "Lucía Fernández" in system and "Spanish" in system and DECLINE_TOKEN in system
    assert "[returns-policy@es]" in system and "30 días" in system
    assert body["messages"][-1] == {"role": "user", "content": "como devuelvo unos zapatos?"}


def test_decline_opens_a_ticket(fake_llm: FakeLLM) -> None:
    fake_llm.reply = DECLINE_TOKEN
    answer = answerer(fake_llm).answer("como devuelvo unos zapatos?", (), LUCIA)
    assert answer.open_ticket
    assert answer.reason == "the LLM could not answer from the documents"


def test_timeout_opens_a_ticket(fake_llm: FakeLLM) -> None:
    fake_llm.delay = 1.0
    answer = answerer(fake_llm, timeout=0.2).answer("como devuelvo unos zapatos?", (), LUCIA)
    assert answer.open_ticket and answer.reason == "the LLM timed out"
    assert answer.text  # the customer is told, never left in silence


def test_server_error_opens_a_ticket(fake_llm: FakeLLM) -> None:
    fake_llm.status = 500
    answer = answerer(fake_llm).answer("como devuelvo unos zapatos?", (), LUCIA)
    assert answer.open_ticket and answer.reason is not None
    assert answer.reason.startswith("the LLM failed")


def test_no_llm_call_when_retrieval_finds_nothing_or_for_smalltalk(fake_llm: FakeLLM) -> None:
    subject = answerer(fake_llm)
    assert subject.answer("¿qué tiempo hará mañana en Bilbao?", (), LUCIA).open_ticket
    assert not subject.answer("gracias!", (), LUCIA).open_ticket
    assert fake_llm.requests == []
