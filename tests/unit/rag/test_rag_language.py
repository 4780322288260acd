"""``guess_language``: which of es, en and pt a customer writes in, from the words and the
letters only one of them uses (ç, ã, õ in Portuguese; ñ, ¿, ¡ in Spanish)."""

from __future__ import annotations

import pytest

from helpline.adapters.rag.text import guess_language

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "language"), [
    ("Vocês têm desconto para estudantes?", "pt"),
    ("vocês aceitam paypal?", "pt"),
    ("como faço para devolver um produto?", "pt"),
    ("quanto tempo demora a entrega?", "pt"),
    ("a que horas a loja abre no sábado?", "pt"),
    ("tem telefone de atendimento ao cliente?", "pt"),
    ("o frete é grátis acima de quanto?", "pt"),
    ("vcs entregam no Brasil? queria mandar pra Sao Paulo", "pt"),
    ("não recebi meu pedido ainda", "pt"),
    ("¿Hacéis envíos a México?", "es"),
    ("cuanto tarda el envio a sevilla", "es"),
    ("como hago el seguimiento del paquete", "es"),
    ("mi pedido todavia no ha llegado", "es"),
    ("¿Puedo pagar con PayPal?", "es"),
    ("quiero cambiar la talla", "es"),
    ("Can I pay with PayPal?", "en"),
    ("where is my order", "en"),
    ("do u deliver to france?", "en"),
])
def test_the_language_of_a_message(text: str, language: str) -> None:
    assert guess_language(text) == language


def test_no_clue_gives_the_default() -> None:
    assert guess_language("PayPal?", default="en") == "en"
    assert guess_language("12345") is None
