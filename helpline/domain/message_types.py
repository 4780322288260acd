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


#: The answer to media we could not keep (``MediaInfo.problem``), by the customer's language.
MEDIA_PROBLEM_REPLY: dict[str, dict[str, str]] = {
    "too_large": {
        "es": "Lo siento, ese archivo es demasiado grande y no lo he podido recibir. ¿Puedes "
              "enviar uno más pequeño o contarme por escrito lo que necesitas?",
        "en": "Sorry, that file is too big for us to receive. Could you send a smaller one, "
              "or tell us in a message what you need?",
        "pt": "Desculpe, esse ficheiro é grande demais e não o conseguimos receber. Pode "
              "enviar um mais pequeno ou escrever o que precisa?",
    },
    "unsupported_type": {
        "es": "Lo siento, no puedo abrir ese tipo de archivo. Envíalo como foto o PDF, o "
              "cuéntame por escrito lo que necesitas.",
        "en": "Sorry, we cannot open that kind of file. Please send it as a photo or a PDF, "
              "or tell us in a message what you need.",
        "pt": "Desculpe, não conseguimos abrir esse tipo de ficheiro. Envie-o como foto ou "
              "PDF, ou escreva o que precisa.",
    },
    "not_found": {
        "es": "Lo siento, no he podido descargar tu archivo. ¿Puedes enviarlo otra vez?",
        "en": "Sorry, we could not download your file. Could you send it again?",
        "pt": "Desculpe, não conseguimos descarregar o seu ficheiro. Pode enviá-lo de novo?",
    },
    "checksum_mismatch": {
        "es": "Lo siento, tu archivo llegó dañado. ¿Puedes enviarlo otra vez?",
        "en": "Sorry, your file arrived damaged. Could you send it again?",
        "pt": "Desculpe, o seu ficheiro chegou danificado. Pode enviá-lo de novo?",
    },
}


def media_problem_reply(problem: str, language: str | None) -> str:
    """The plain-words reply to media we could not keep, in ``language`` (else es and en)."""
    texts = MEDIA_PROBLEM_REPLY.get(problem, MEDIA_PROBLEM_REPLY["not_found"])
    return texts.get(language or "") or f"{texts['es']} / {texts['en']}"


def is_readable(message_type: str, text: str) -> bool:
    """Whether the AI can answer a message of this type: text-like types, and media with a
    caption (the edge renders captionless media as ``[image]`` and the like)."""
    if message_type == "unsupported":
        return False
    if message_type in MEDIA_TYPES:
        return not text.startswith("[")
    return True
