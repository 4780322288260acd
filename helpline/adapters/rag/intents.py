"""What a message is besides a question: a request for a person, a greeting or thanks, or a
sign that the previous answer did not help. Spanish, English and Portuguese; accents are
optional and one typo per word is tolerated.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from helpline.adapters.rag.text import STOPWORDS, TypoCorrector, terms, word_set, words

_PERSON = word_set("""humano humana humanos human humans persona personas person people pessoa
    agente agentes agent agents atendente atendentes operador operadora operator asesor asesora
    advisor representante representative rep alguien someone somebody anyone alguem ninguem
    empleado employee staff encargado gerente manager supervisor""")
_CONTACT = word_set("""hablar habla hable hablo talk talking speak speaking chat chatear
    falar fale fala conversar comunicar comunicarme contactar contact llamar llame llamen
    call ligar ligue pasame pasa pasen passa passe transfer transferir transfiere connect
    conectar conecta comunica atender atienda atenda poner ponme""")
_WANT = word_set("""quiero quisiera necesito prefiero want need prefer quero preciso prefiro
    gostaria queria""")
_STRONG_PAIRS = frozenset({
    ("agente", "humano"), ("human", "agent"), ("persona", "real"), ("real", "person"),
    ("ser", "humano"), ("human", "being"), ("live", "agent"), ("atendimento", "humano"),
    ("pessoa", "real"), ("real", "human"), ("persona", "fisica"), ("customer", "service"),
    ("atencion", "personal"), ("atendente", "humano"), ("operador", "humano"),
})
_ALONE = frozenset({"humano", "human", "agente", "agent", "persona", "person", "atendente",
                    "operador", "operator", "asesor", "pessoa", "representative"})

_GREETING = word_set("""hola holaa holi buenas buenos dias tardes noches hello hi hey hiya
    morning afternoon evening good ola oi bom boa dia tarde noite saludos greetings alo""")
_THANKS = word_set("""gracias grax thanks thank thx ty cheers obrigado obrigada valeu muchas
    mil muito much many lot you so very perfecto perfect genial great vale ok okay bien
    estupendo excelente excellent awesome nice entendido understood listo perfeito otimo
    super""")
_THANK_WORDS = frozenset({"gracias", "grax", "thanks", "thank", "thx", "ty", "cheers",
                          "obrigado", "obrigada", "valeu"})
_FILLER = word_set("""a la el que tal como estas how are you there all team equipo e tudo
    bem and y tu usted senor senora""")
#: Goodbyes and wishes: "have a good one", "que tengas un buen día", "tenha um ótimo dia".
#: A message is one when it holds a goodbye word, or a wishing verb with a good word, and
#: otherwise only these words (and greetings and thanks), and no question mark.
_FAREWELL_WORDS = word_set("""bye goodbye byebye adios adeu chao chau ciao tchau luego logo
    cuidate cuidese care""")
_WISH_VERBS = word_set("have tengas tenga tenha")
_WISH_GOOD = word_set("good nice great lovely buen buena feliz bom boa otimo otima")
_FAREWELL = _FAREWELL_WORDS | _WISH_VERBS | _WISH_GOOD | word_set("""hasta ate mais see ya you
    later soon pronto take manana que un una um day one weekend week rest fin de semana dia
    resto""")


def _is_farewell(tokens: Sequence[str]) -> bool:
    present = set(tokens)
    return bool(present & _FAREWELL_WORDS) or bool(present & _WISH_VERBS
                                                   and present & _WISH_GOOD)


_COMPLAINT_PHRASES: tuple[tuple[str, ...], ...] = (
    ("no", "me", "sirve"), ("no", "sirve"), ("no", "me", "ayuda"), ("no", "ayuda"),
    ("no", "entiendo"), ("no", "es", "lo", "que"), ("eso", "no"), ("no", "contesta"),
    ("no", "responde"), ("sigo", "sin"), ("doesn", "t", "help"), ("does", "not", "help"),
    ("didn", "t", "help"), ("not", "helpful"), ("not", "what", "i"), ("that", "s", "not"),
    ("still", "don", "t"), ("useless",), ("inutil",), ("nao", "ajuda"), ("nao", "ajudou"),
    ("nao", "entendi"), ("nao", "e", "isso"), ("no", "me", "has", "ayudado"),
    ("you", "didn", "t", "answer"), ("no", "has", "respondido"), ("otra", "vez"),
    ("again",), ("wrong", "answer"), ("respuesta", "incorrecta"),
)

# Only the person words are typo-corrected: verbs come in too many forms, and correcting
# them turns ordinary words into requests ("precio" is one letter from "preciso").
_CORRECTOR = TypoCorrector(_PERSON, min_length=4)


def _norm(word: str) -> str:
    return _CORRECTOR.correct(word) or word


def asks_for_person(text: str) -> bool:
    """Whether the customer asks to be passed to a human ("agente humano", "hablar con
    alguien", "talk to a human", "falar com atendente", typos and no accents included).

    "Can another person pick up my order?" is *not* such a request: a person word counts
    only next to a contact or wanting verb, in a fixed phrase, or alone in the message."""
    tokens = [_norm(w) for w in words(text)]
    content = [t for t in tokens if t not in STOPWORDS or t in _PERSON]
    if content and len(content) <= 2 and all(t in _ALONE or t in _WANT for t in content) \
            and any(t in _ALONE for t in content):
        return True
    if any(pair in _STRONG_PAIRS for pair in pairwise(tokens)):
        return True
    for i, token in enumerate(tokens):
        if token not in _PERSON:
            continue
        window = tokens[max(0, i - 4): i] + tokens[i + 1: i + 4]
        if any(w in _CONTACT for w in window):
            return True
        if any(w in _WANT for w in tokens[max(0, i - 3): i]):
            return True
    return False


def smalltalk_kind(text: str) -> str | None:
    """``"thanks"`` or ``"greeting"`` when the message is only that (no question in it)."""
    tokens = words(text)
    if not tokens or len(tokens) > 8:
        return None
    asks = "?" in text or "¿" in text  # "¿y mañana?" asks; "¿qué tal?" still greets
    allowed = _GREETING | _THANKS | _FILLER | (frozenset() if asks else _FAREWELL)
    if not all(t in allowed for t in tokens):
        return None
    if any(t in _THANK_WORDS for t in tokens) or (not asks and _is_farewell(tokens)):
        return "thanks"
    if any(t in _GREETING for t in tokens):
        return "greeting"
    return "thanks"  # "ok", "perfecto", "genial": an acknowledgement


def is_complaint(text: str) -> bool:
    """Whether the customer says the previous answer did not help."""
    tokens = words(text)
    for phrase in _COMPLAINT_PHRASES:
        n = len(phrase)
        if any(tuple(tokens[i: i + n]) == phrase for i in range(len(tokens) - n + 1)):
            return True
    return False


def same_question(a: str, b: str, threshold: float = 0.5) -> bool:
    """Whether two customer messages ask much the same thing (Jaccard of index terms)."""
    ta, tb = set(terms(a)), set(terms(b))
    if not ta or not tb:
        return False
    return len(ta & tb) / len(ta | tb) >= threshold


def unhelpful_streak(questions_and_answers: Sequence[tuple[str, str, str]]) -> int:
    """How many of the latest AI answers in a row did not help.

    Each item is ``(question, ai_answer, reaction)``: the customer message an AI answer
    replied to, the answer, and what the customer wrote next. An answer did not help when
    the reaction complains or asks the same question again."""
    streak = 0
    for question, _answer, reaction in reversed(questions_and_answers):
        if is_complaint(reaction) or same_question(question, reaction):
            streak += 1
        else:
            break
    return streak
