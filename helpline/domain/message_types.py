"""Which WhatsApp message types the AI can answer, and what a customer is told otherwise."""

from __future__ import annotations

#: Message types that need no answer: a reaction, a system notice (e.g. number changed).
NO_REPLY_TYPES = frozenset({"reaction", "system"})
#: Media types we read only through their caption.
MEDIA_TYPES = frozenset({"image", "video", "document", "audio", "sticker"})

#: The answer to a message we cannot read (by the customer's language).
UNREADABLE_REPLY = {
    "es": "Lo siento, solo puedo leer mensajes de texto. ¿Puedes escribirme tu consulta?",
    "en": "Sorry, I can only read text messages. Could you type your question?",
    "pt": "Desculpe, só consigo ler mensagens de texto. Pode escrever a sua pergunta?",
}


def is_readable(message_type: str, text: str) -> bool:
    """Whether the AI can answer a message of this type: text-like types, and media with a
    caption (the edge renders captionless media as ``[image]`` and the like)."""
    if message_type == "unsupported":
        return False
    if message_type in MEDIA_TYPES:
        return not text.startswith("[")
    return True
