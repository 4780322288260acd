"""Requests for a person, greetings and thanks, and unhelpful-answer streaks."""

from __future__ import annotations

import pytest

from helpline.adapters.rag.intents import (
    asks_for_person,
    is_complaint,
    same_question,
    smalltalk_kind,
    unhelpful_streak,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", [
    "agente humano", "Quiero hablar con alguien", "hablar con una persona por favor",
    "pásame con un agente", "pasame con un ajente humano", "necesito un humano",
    "talk to a human", "I want to speak to a real person", "can I talk to someone?",
    "let me chat with an agent", "human please", "falar com atendente",
    "quero falar com uma pessoa", "preciso de um atendente", "Agente!", "HUMANO",
    "hablar con un umano", "talk to a humn", "me podéis poner con un asesor?",
])
def test_asks_for_person(text: str) -> None:
    assert asks_for_person(text)


@pytest.mark.parametrize("text", [
    "¿puede recoger el pedido otra persona?", "can someone else pick up my order?",
    "¿cuál es el horario de la tienda?", "my order is late", "gracias!", "hola",
    "¿el precio es por persona?", "where is my parcel",
])
def test_does_not_ask_for_person(text: str) -> None:
    assert not asks_for_person(text)


@pytest.mark.parametrize(("text", "kind"), [
    ("hola", "greeting"), ("Buenos días!", "greeting"), ("hi there", "greeting"),
    ("olá, bom dia", "greeting"), ("gracias!", "thanks"), ("muchas gracias, perfecto", "thanks"),
    ("thank you so much", "thanks"), ("obrigado", "thanks"), ("ok, genial", "thanks"),
    ("hola, ¿dónde está mi pedido?", None), ("thanks, and how do I return it?", None),
    ("", None),
    # a goodbye is an acknowledgement, not a question for a person
    ("thanks so much, have a good one", "thanks"), ("bye!", "thanks"),
    ("gracias, que tengas un buen día", "thanks"), ("hasta luego", "thanks"),
    ("valeu, tenha um ótimo dia", "thanks"), ("tchau, até logo", "thanks"),
    ("have a good day, where is my order?", None), ("adiós, ¿y mi reembolso?", None),
    # a follow-up question made of the same words is a question, not a goodbye
    ("¿y mañana?", None), ("mañana?", None), ("y el fin de semana?", None),
    ("hola, ¿qué tal?", "greeting"),
    ("and later?", None), ("are you there later?", None), ("y pronto?", None),
])
def test_smalltalk_kind(text: str, kind: str | None) -> None:
    assert smalltalk_kind(text) == kind


def test_complaints_and_repeats() -> None:
    assert is_complaint("eso no me sirve")
    assert is_complaint("that doesn't help")
    assert is_complaint("não ajudou")
    assert not is_complaint("perfecto, eso era")
    assert same_question("como devuelvo un pedido", "pero como devuelvo el pedido??")
    assert not same_question("como devuelvo un pedido", "cuanto cuesta el envio")


def test_unhelpful_streak_counts_only_the_latest_run() -> None:
    helped = ("horario?", "10 a 21", "gracias")
    failed = ("como devuelvo un regalo", "30 dias", "eso no me sirve")
    assert unhelpful_streak([]) == 0
    assert unhelpful_streak([failed]) == 1
    assert unhelpful_streak([failed, failed]) == 2
    assert unhelpful_streak([failed, helped]) == 0
    assert unhelpful_streak([helped, failed, failed]) == 2
