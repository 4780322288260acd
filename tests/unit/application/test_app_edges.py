"""The stateless services: CustomerGateway (+ directories), AIAgent, WhatsAppEdge."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from app_helpers import BUSINESS, CONV_ID, CUSTOMER, PHONE, T0, ScriptedAnswerer, StepClock, inbound

from helpline.adapters.directory import (
    PostgresCustomerDirectory,
    SqliteCustomerDirectory,
    read_customers_csv,
)
from helpline.application import (
    AIAgent,
    CustomerDirectory,
    CustomerGateway,
    InMemoryCustomerDirectory,
    KeywordAnswerer,
    PermanentSendError,
    RecordingSender,
    SendResult,
    WhatsAppEdge,
)
from helpline.catalog import (
    Channel,
    CustomerInfo,
    GenerateAIAgentAnswerWithUserInfo,
    SendWhatsAppBusinessTextMessage,
    Turn,
    WhatsAppBusinessTextMessageSendFailed,
    WhatsAppBusinessTextMessageSent,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)

pytestmark = pytest.mark.unit


# -- CustomerGateway -------------------------------------------------------------------------


def test_gateway_adds_the_customer() -> None:
    gateway = CustomerGateway(InMemoryCustomerDirectory([CUSTOMER]), clock=StepClock())
    msg = inbound("w1", "hola")
    (out,) = gateway.whatsapp_business_text_message_received(msg)
    assert isinstance(out, WhatsAppBusinessTextMessageWithUserInfoReceived)
    assert out.customer == CUSTOMER and out.wamid == "w1" and out.text == "hola"
    assert out.causation_id == str(msg.message_id) and out.correlation_id == msg.correlation_id
    assert out.phone_number_id == BUSINESS and out.sender_phone == PHONE
    # A redelivery publishes the same message id (JetStream drops the copy).
    (again,) = gateway.whatsapp_business_text_message_received(msg)
    assert again.message_id == out.message_id


def test_gateway_unknown_sender() -> None:
    gateway = CustomerGateway(InMemoryCustomerDirectory())
    (out,) = gateway.whatsapp_business_text_message_received(inbound("w1", phone="4915112345678"))
    assert out.customer is None


def test_in_memory_directory_upsert() -> None:
    directory = InMemoryCustomerDirectory()
    assert isinstance(directory, CustomerDirectory)
    directory.upsert(CUSTOMER)
    renamed = CUSTOMER.model_copy(update={"name": "Lucía F."})
    directory.upsert(renamed)
    assert directory.find_by_phone(PHONE) == renamed


def test_sqlite_directory(tmp_path: Path) -> None:
    path = tmp_path / "customers.sqlite"
    directory = SqliteCustomerDirectory(path)
    assert isinstance(directory, CustomerDirectory)
    assert directory.find_by_phone(PHONE) is None
    directory.upsert(CUSTOMER)
    other = CustomerInfo(customer_id="cus_2", name="Bo", phone="4915112345678")
    assert directory.upsert_many([CUSTOMER.model_copy(update={"language": "en"}), other]) == 2
    directory.close()
    reopened = SqliteCustomerDirectory(path)
    found = reopened.find_by_phone(PHONE)
    assert found is not None and found.language == "en" and found.name == CUSTOMER.name
    assert reopened.find_by_phone("4915112345678") == other
    reopened.close()


def test_sqlite_directory_rolls_back_a_failed_batch(tmp_path: Path) -> None:
    directory = SqliteCustomerDirectory(tmp_path / "c.sqlite")
    bad = CUSTOMER.model_construct(customer_id=None, name="X", phone="4915112345678",
                                   email=None, language=None)
    with pytest.raises(Exception, match="NOT NULL"):
        directory.upsert_many([CUSTOMER, bad])
    assert directory.find_by_phone(PHONE) is None
    directory.close()


def test_read_customers_csv(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name,phone,email,language\n"
                    "cus_1,Lucía,+34 600 123 456,lucia@example.com,es\n"
                    "cus_2,Bo,0049 151 12345678,,\n", encoding="utf-8")
    first, second = read_customers_csv(path)
    assert first.phone == PHONE and first.language == "es"
    assert second.phone == "4915112345678" and second.email is None and second.language is None


def test_read_customers_csv_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name,phone\ncus_1,Lucía,34600123456\ncus_2,Bo,12\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)customers\.csv:3:.*phone"):
        read_customers_csv(path)


def test_read_customers_csv_names_the_file_line_after_a_quoted_newline(tmp_path: Path) -> None:
    """A quoted field may span lines; the error must name the line an editor shows."""
    path = tmp_path / "customers.csv"
    path.write_text('customer_id,name,phone\ncus_1,"Lucía\nFernández",34600123456\n'
                    "cus_2,Bo,12\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)customers\.csv:4:.*phone"):
        read_customers_csv(path)


def test_read_customers_csv_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name\ncus_1,Lucía\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"missing column\(s\) phone"):
        read_customers_csv(path)


def test_postgres_directory(pg_available: None) -> None:
    import psycopg

    from tests.conftest import postgres_conninfo

    table = f"customers_{uuid.uuid4().hex[:12]}"
    try:
        directory = PostgresCustomerDirectory(postgres_conninfo(), table=table)
        assert directory.find_by_phone(PHONE) is None
        directory.upsert(CUSTOMER)
        assert directory.upsert_many([CUSTOMER.model_copy(update={"name": "Lucía F."})]) == 1
        other = PostgresCustomerDirectory(postgres_conninfo(), table=table)
        found = other.find_by_phone(PHONE)
        other.close()
        assert found is not None and found.name == "Lucía F." and found.language == "es"
        directory.close()
    finally:
        with psycopg.connect(postgres_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP TABLE IF EXISTS "{table}"')


# -- AIAgent ---------------------------------------------------------------------------------


def ask(question: str = "¿horario?") -> GenerateAIAgentAnswerWithUserInfo:
    return GenerateAIAgentAnswerWithUserInfo(
        message_id=uuid.uuid4(), correlation_id=CONV_ID, causation_id="in", occurred_at=T0,
        conversation_id=CONV_ID, in_reply_to="w1", question=question, phone=PHONE,
        customer=CUSTOMER,
        history=(Turn(author="customer", text=question, at=T0, message_id="w1"),))


def test_ai_agent_answers_through_the_answerer() -> None:
    answerer = ScriptedAnswerer()
    rag = AIAgent(answerer, clock=StepClock())
    cmd = ask("¿horario?")
    (answer,) = rag.generate_ai_agent_answer_with_user_info(cmd)
    assert answer.text == "answer to ¿horario?" and answer.open_ticket is False
    assert answer.sources == ("kb/x.md",) and answer.confidence == 0.8
    assert answer.causation_id == str(cmd.message_id) and answer.in_reply_to == "w1"
    assert answer.conversation_id == CONV_ID and answer.correlation_id == CONV_ID
    question, history, customer = answerer.calls[0]
    assert question == "¿horario?" and customer == CUSTOMER and history == cmd.history
    (again,) = rag.generate_ai_agent_answer_with_user_info(cmd)
    assert again.message_id == answer.message_id
    (handover,) = rag.generate_ai_agent_answer_with_user_info(ask("PERSON please"))
    assert handover.open_ticket and handover.reason == "asked"


def test_keyword_answerer() -> None:
    answerer = KeywordAnswerer({"Envío": "24-48 h"}, fallback="Te paso.")
    found = answerer.answer("¿Cuánto tarda el ENVIO?", [], None)
    assert found.text == "24-48 h" and not found.open_ticket
    assert found.sources == ("keyword:envio",)
    person = answerer.answer("Quiero hablar con una Persona", [], None)
    assert person.open_ticket and person.text == "Te paso."
    unknown = answerer.answer("algo raro", [], None)
    assert unknown.open_ticket and unknown.reason == "no answer in the knowledge base"


# -- WhatsAppEdge ----------------------------------------------------------------------------


def send_cmd() -> SendWhatsAppBusinessTextMessage:
    return SendWhatsAppBusinessTextMessage(
        message_id=uuid.uuid4(), correlation_id=CONV_ID, occurred_at=T0, conversation_id=CONV_ID,
        channel=Channel(phone_number_id=BUSINESS, customer_phone=PHONE), text="Hola",
        author="ai")


def test_redelivered_send_sends_once() -> None:
    sender = RecordingSender()
    edge = WhatsAppEdge(sender, clock=StepClock())
    cmd = send_cmd()
    (sent,) = edge.send_whatsapp_business_text_message(cmd)
    (again,) = edge.send_whatsapp_business_text_message(cmd)
    assert sender.sent == [cmd]
    assert isinstance(sent, WhatsAppBusinessTextMessageSent)
    assert sent.send_message_id == str(cmd.message_id) == sent.causation_id
    assert sent.wamids == (f"wamid.fake.{cmd.message_id.hex}",) and sent.to == PHONE
    assert again.message_id == sent.message_id and again.wamids == sent.wamids


class RefusingSender:
    def __init__(self) -> None:
        self.calls = 0

    def send(self, command: SendWhatsAppBusinessTextMessage) -> SendResult:
        self.calls += 1
        raise PermanentSendError(131047, "Re-engagement message")


def test_permanent_failure_is_reported_once() -> None:
    sender = RefusingSender()
    edge = WhatsAppEdge(sender)
    cmd = send_cmd()
    (failed,) = edge.send_whatsapp_business_text_message(cmd)
    (again,) = edge.send_whatsapp_business_text_message(cmd)
    assert sender.calls == 1
    assert isinstance(failed, WhatsAppBusinessTextMessageSendFailed)
    assert failed.code == 131047 and failed.reason == "Re-engagement message"
    assert again.message_id == failed.message_id
    assert str(PermanentSendError(None, "no code")) == "no code"
