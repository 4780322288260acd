"""Through the five services in process: a template answer goes out as a template command and
is reported sent; the WhatsApp profile name is recorded; the per-number option that signs
agent replies with the agent's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from helpline.application.customer_gateway import InMemoryCustomerDirectory
from helpline.application.whatsapp_edge import RecordingSender
from helpline.bootstrap import Container, bootstrap
from helpline.catalog import (
    CatalogMessage,
    TemplateChoice,
    TicketOpened,
    WhatsAppBusinessTextMessageReceived,
)
from helpline.config import Settings
from helpline.domain import Conversation, conversation_id_for
from helpline.domain.conversation import signed_text
from tests.unit.application.app_helpers import BUSINESS, PHONE, T0, ScriptedAnswerer, StepClock

pytestmark = pytest.mark.unit


def build(tmp_path: Path, numbers: str = "") -> Container:
    settings = Settings(persistence_module="eventsourcing.popo", helpline_data_dir=tmp_path,
                        helpline_agent_name_numbers=numbers)
    return bootstrap(settings, answerer=ScriptedAnswerer(), sender=RecordingSender(),
                     directory=InMemoryCustomerDirectory([]), clock=StepClock())


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = build(tmp_path)
    yield built
    built.close()


def says(text: str, wamid: str, profile_name: str | None = "Lucy",
         phone_number_id: str = BUSINESS) -> WhatsAppBusinessTextMessageReceived:
    return WhatsAppBusinessTextMessageReceived(
        message_id=uuid4(), correlation_id=str(conversation_id_for(PHONE)), occurred_at=T0,
        wamid=wamid, phone_number_id=phone_number_id, sender_phone=PHONE,
        profile_name=profile_name, text=text, sent_at=T0)


def with_ticket(container: Container, phone_number_id: str = BUSINESS) -> str:
    desk = container.services.desk
    desk.register_agent(name="Marta", email="marta@x.es", languages=["es"], agent_id="marta")
    desk.set_agent_status("marta", online=True)
    delivered = container.runner().publish(says("PERSON por favor", "w1",
                                                phone_number_id=phone_number_id))
    return next(m.ticket_id for m in delivered if isinstance(m, TicketOpened))


def ids(messages: list[CatalogMessage]) -> list[str]:
    return [m.catalog_id for m in messages]


def sender(container: Container) -> RecordingSender:
    found = container.services.whatsapp.sender
    assert isinstance(found, RecordingSender)
    return found


def test_a_template_answer_is_sent_as_a_template_and_reported(container: Container) -> None:
    ticket_id = with_ticket(container)
    choice = TemplateChoice.model_validate(
        {"name": "retomar_conversacion", "language": "es",
         "components": [{"type": "body", "parameters": [{"type": "text", "text": "Lucy"}]}]})
    answer = container.services.desk.answer_with_template(
        ticket_id, agent_id="marta", template=choice, text="Hola Lucy, ¿seguimos?",
        answer_id="t1")
    delivered = container.runner().publish(*answer)
    assert ids(delivered) == ["agent-template-answer-generated",
                              "send-whatsapp-business-template-message",
                              "whatsapp-business-text-message-sent"]
    (sent,) = sender(container).templates
    assert sent.template == choice and sent.text == "Hola Lucy, ¿seguimos?"
    conv = container.services.store.conversation(str(conversation_id_for(PHONE)))
    assert conv.unsettled == {}  # the template's reply is settled by its Sent report
    assert container.services.store.transcript(conv.id)[-1].text == "Hola Lucy, ¿seguimos?"
    # The same answer again (a retried request) sends nothing more.
    assert container.services.desk.answer_with_template(
        ticket_id, agent_id="marta", template=choice, text="x", answer_id="t1") == []


def test_the_whatsapp_profile_name_is_recorded_once_and_kept_up_to_date(
        container: Container) -> None:
    runner = container.runner()
    runner.publish(says("hola", "w1"))
    runner.publish(says("¿horario?", "w2"))
    runner.publish(says("sigo", "w3", profile_name=None))
    conv = container.services.store.conversation(str(conversation_id_for(PHONE)))
    assert conv.profile_name == "Lucy"
    runner.publish(says("otra vez", "w4", profile_name="Lucy F."))
    conv = container.services.store.conversation(conv.id)
    events = list(container.services.store.events.get(conv.id))
    names = [e.profile_name for e in events if isinstance(e, Conversation.ProfileNameChanged)]
    assert names == ["Lucy", "Lucy F."]


def test_signed_text_is_the_name_in_bold_on_its_own_line() -> None:
    assert signed_text("Marta", "Hola") == "*Marta*:\nHola"
    assert signed_text(" Marta  *López* ", "Hola") == "*Marta López*:\nHola"
    assert signed_text("", "Hola") == "Hola"


@pytest.mark.parametrize(("numbers", "signed"), [(BUSINESS, True), ("*", True),
                                                 ("999, 888", False), ("", False)])
def test_agent_replies_are_signed_on_the_numbers_configured(
        tmp_path: Path, numbers: str, signed: bool) -> None:
    container = build(tmp_path, numbers)
    try:
        ticket_id = with_ticket(container)
        container.runner().publish(*container.services.desk.answer(
            ticket_id, agent_id="marta", text="Lo miro ya", answer_id="k1"))
        last = sender(container).sent[-1]
        assert last.text == ("*Marta*:\nLo miro ya" if signed else "Lo miro ya")
        transcript = container.services.store.transcript(str(conversation_id_for(PHONE)))
        assert transcript[-1].text == "Lo miro ya"  # the agent's line stays plain
    finally:
        container.close()
