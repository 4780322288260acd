"""Text analysis for retrieval and intent checks: stop words, a light Spanish/English/
Portuguese stemmer, language guessing and typo-tolerant word matching, over words folded by
``helpline.application.ai_agent.fold`` (lower case, no accents).

Pure functions and small immutable tables; no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from helpline.application.ai_agent import fold

_WORD = re.compile(r"[a-z0-9]+")


def word_set(text: str) -> frozenset[str]:
    """The blank-separated words of ``text`` (for writing word lists compactly)."""
    return frozenset(text.split())


#: Function words of the three languages customers write in (folded, without accents).
STOPWORDS: frozenset[str] = word_set("""
a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bien cada como con
contra cual cuales cuando cuanto cuantos de del desde donde dos el ella ellas ellos en entre
era eres es esa esas ese eso esos esta estan estas este esto estos estoy fue ha hace han has
hay he hola la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros o os otra
otro para pero poco por porque puede pueden puedo que quien se sea ser si sin sobre son su
sus tambien te tengo tiene tienen tu tus un una unas uno unos usted ustedes vosotros y ya yo
favor gracias saber quiero quisiera necesito hacer tener estar como pues vale ok okay
the a an and or but if of to in on at by for with from about as into is are was were be been
being am do does did doing have has had having i me my mine you your yours we our us he she
it its they them their this that these those what which who whom whose when where why how can
could would should will shall may might must not no yes please thanks thank hi hello hey
there here so too very just also any some all get got want need know tell im ive id dont cant
o os as um uma uns umas e em no na nos nas do da dos das ao aos pelo pela com sem para por
que se eu voce voces ele ela eles elas meu minha meus minhas seu sua isso isto esse essa
este esta aquele como quando onde qual quais tem ter foi ser estou esta sao nao sim obrigado
obrigada oi ola queria preciso gostaria pode posso
u ur r pls plz porfa porfavor oye wanna gonna gotta whats wheres hows todo todos toda todas
vuestro vuestra vuestros vuestras nuestro nuestra teneis tienes estais sois podeis hay ahi
alli ahora hoy ya etc vez veces lol jaja ah oh eh hmm uh um
""")

_SUFFIXES: tuple[str, ...] = (
    "amientos", "imientos", "amiento", "imiento", "aciones", "iciones", "uciones", "acion",
    "icion", "ucion", "mente", "ments", "ment", "ando", "iendo", "ados", "adas", "idos", "idas",
    "ado", "ada", "ido", "ida", "ais", "eis", "ing", "ers", "ar", "er", "ir", "ed", "es", "s",
)

#: Words that give a language away (folded): function words, pronouns and common verb forms
#: only that language uses. Words the languages share ("que", "como", "para", "pedido", and
#: "no", which is "not" in Spanish and "in the" in Portuguese) are in none of the lists.
_LANGUAGE_HINTS: dict[str, frozenset[str]] = {
    "es": word_set("""hola gracias el los las del cual cuanto cuanta cuantos cuando donde mi
        mis es estan quiero puedo puedes puede pueden necesito tengo tiene tienen teneis
        haceis hace hago hacer una y con si hay buenos buenas dias tardes noches muchas vale
        genial envio envios todavia ya llegado llega llego tarda muy pero tambien
        aqui ahora usted ustedes vosotros habeis han sois estoy soy seguimiento
        talla cambiar pagar"""),
    "en": word_set("""hi hello hey thanks thank the my is are how when where what can could
        i you it to of and does order want need please with for have get morning evening
        afternoon good great cheers u ur r pls deliver send ship still"""),
    "pt": word_set("""ola oi obrigado obrigada bom boa dia tarde noite o os meu minha meus
        minhas voce voces vc vcs nao sim com quero preciso posso pode podem uma um do da dos
        das na nas em ao aos pelo pela isso qual quais quanto quantos onde ja ainda tambem
        entao mais faco faz fazer queria gostaria pra pro tem teem sao estou estao falar
        atendente atendimento loja entrega frete recebi demora horas cadastro encomenda
        aceitam tenho outro outra"""),
}

#: Letters only one of the languages writes (counted before accents are folded away).
_LANGUAGE_LETTERS: dict[str, str] = {"es": "ñ¿¡", "en": "", "pt": "çãõêô"}


def words(text: str) -> list[str]:
    """The folded alphanumeric words of ``text``."""
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    """A light, language-agnostic suffix stripper for es/en/pt (folded input)."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    # "llega", "llego", "llegar" -> "lleg"; "envio", "enviar" -> "envi"
    if len(word) >= 5 and word[-1] in "aeo":
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Index terms of ``text``: stems of content words, plus a 5-letter prefix of long
    words so "devolver" and "devolucion" meet."""
    return terms_of(words(text))


def terms_of(folded_words: Iterable[str]) -> list[str]:
    """Index terms of already folded words (see ``terms``)."""
    out: list[str] = []
    for word in folded_words:
        if word in STOPWORDS or len(word) < 2:
            continue
        stemmed = stem(word)
        out.append(stemmed)
        if len(word) >= 7:
            out.append("p_" + word[:5])
    return out


def guess_language(text: str, default: str | None = None) -> str | None:
    """The language (es, en, pt) whose hint words and letters ``text`` uses most;
    ``default`` on a tie or when there is no hint."""
    tokens = words(text)
    lowered = text.lower()
    counts = {lang: sum(t in hints for t in tokens)
              + sum(lowered.count(c) for c in _LANGUAGE_LETTERS[lang])
              for lang, hints in _LANGUAGE_HINTS.items()}
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    if ranked[0][1] == 0 or ranked[0][1] == ranked[1][1]:
        return default if default else (ranked[0][0] if ranked[0][1] else None)
    return ranked[0][0]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class TypoCorrector:
    """Maps an unknown word to a vocabulary word one edit away (SymSpell-style deletes:
    substitution, insertion, deletion and most transpositions), preferring frequent words."""

    def __init__(self, vocabulary: Iterable[str], min_length: int = 5) -> None:
        self.counts: Counter[str] = Counter(vocabulary)
        self.min_length = min_length
        self._by_delete: dict[str, list[str]] = {}
        for word in self.counts:
            if len(word) < min_length - 1:
                continue
            for key in _deletes(word) | {word}:
                self._by_delete.setdefault(key, []).append(word)

    def __contains__(self, word: object) -> bool:
        return word in self.counts

    def correct(self, word: str) -> str | None:
        """``word`` itself when known, the closest known word, or ``None``."""
        if word in self.counts:
            return word
        if len(word) < self.min_length:
            return None
        candidates: set[str] = set()
        for key in _deletes(word) | {word}:
            candidates.update(self._by_delete.get(key, ()))
        if not candidates:
            return None
        return max(sorted(candidates), key=lambda w: self.counts[w])
