"""Answerability: whether an entry that retrieval found actually answers the question.

Retrieval ranks entries that *share words* with a question; that is not the same as
answering it ("Do you have a student discount?" shares "discount" with "My discount code
does not work"). The check looks at the question's salient words — its content words minus
the words any question is made of ("can", "quero", "tenéis") — and asks, for each, whether
the entry speaks of it:

- lexically: the same index term (accents, light stems, prefixes and one-typo corrections,
  as in retrieval), in any language of the topic;
- or, with an embedder, by meaning: the word's vector is close to one of the topic's words
  (``word_match``), which covers translations and synonyms ("senha" ~ "password").

``coverage`` is the share of the salient words' weight the entry speaks of, each word
weighing its IDF in the knowledge base (a word the knowledge base never uses weighs most:
it is the likeliest to be what the question is really about). Below the answerer's
threshold the question is handed over, and the words the entry says nothing about make the
reason a person reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from helpline.adapters.rag.index import Embedder, Index
from helpline.adapters.rag.text import STOPWORDS, terms_of, word_set, words

#: Words that make up questions without saying what they are about (es, en, pt; folded):
#: asking verbs, pronouns, question words, quantities and fillers. Not content.
QUESTION_FILLERS: frozenset[str] = word_set("""
quero queria faco faz fazem fazer consigo consegue consigue devo deve posso pode podem
podeis podemos voces voce tem teem tenho temos haceis hace hacen hago hacer mandais teneis
tienen tengo tiene tenemos puedo puedes puede pueden quisiera queria queda vas va ir vai vou
vamos dar da dan dais dame deme offer offers have has had do does did can could would like
want wanna need needs get gets got give let make know tell see look say go going come its
been being yet still already ever also just really much many more most less lot bit any
every one thing things something anything way ser estar estou estao sao era vez hoy hoje
ayer ontem manana amanha aqui ahi ali alla ja ainda todavia nada nothing algo someone
alguien alguem porfa pls please favor obrigado gracias thanks que qual quais cual cuales
cuanto cuanta cuantos cuantas quanto quanta quantos quantas como cuando quando donde onde
porque why what which who whom how when where me mi mis meu minha meus minhas my mine your
you yo eu tu te lo la le los las les um uma uns umas the an hi hello hola ola oi oye
buenas buenos bom boa dia dias tardes noches morning afternoon evening saber sabe sabes
sei know knows possible posible possivel ok vale si sim yes no nao not
voy vas va vamos van fui fue fuimos foi fomos vino vinieron viene vienen veio vem came comes
pongo pone puse puso put coloquei falta hace hacia ago since desde already soon pronto luego
later despues depois antes before after ages week weeks semana semanas yesterday today
tomorrow tonight last next long mas menos poco pouco muito mucho muy bastante enough too
dont doesnt didnt isnt arent wasnt wont cant couldnt nunca never siempre sempre always
sigo sigue seguimos siguen continuo continua keep keeps kept ayuda ayudar ayudas help helps
ajuda ajudar problema problemas problem problems duda dudas duvida question questions pregunta
hasta ate until till durante during hacia toward towards tras segun via per through across
around within upon into onto off out over under bajo abaixo acima
""")

_ADVERB_ENDINGS = ("mente", "ly")

#: Question words whose vectors an ``Answerability`` keeps between questions.
WORD_CACHE = 50_000

#: Cosine above which two words count as the same (a translation or a synonym). Calibrated
#: on the dev sets with USE multilingual v3: co-hyponyms ("barcelona" ~ "madrid" 0.59,
#: "bitcoin" ~ "paypal" 0.45) stay below it, translations ("senha" ~ "password" 0.92,
#: "quebrado" ~ "roto" 0.74) above.
WORD_MATCH = 0.7


#: What a salient word counts for when only a topic's answer speaks of it (its title,
#: question and tags say what the entry is *about*; its answer also mentions other things).
ANSWER_WEIGHT = 0.7


def _content(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 2 and not w.isdigit() and w not in STOPWORDS}


@dataclass(frozen=True)
class Salient:
    """A salient word of a question: as written, folded, its index terms, its weight."""

    written: str
    word: str
    terms: list[str]
    weight: float


@dataclass(frozen=True)
class Verdict:
    """How far ``topic`` answers a question: ``coverage`` (0..1) of its salient words, and
    the salient words (as the customer wrote them) the topic says nothing about."""

    topic: str
    coverage: float
    missing: tuple[str, ...] = ()


Matrix = npt.NDArray[np.float32]
_TOKEN = re.compile(r"[^\W_]+")


def _written_words(text: str) -> list[tuple[str, str]]:
    """``(as written, folded)`` for each word of ``text`` (the folded form as ``words``
    gives it; the written one for reasons a person reads)."""
    return [(token, word) for token in _TOKEN.findall(text) for word in words(token)]


class Answerability:
    """The check over one ``Index`` (rebuilt with it); ``embedder`` adds matching by
    meaning."""

    def __init__(self, index: Index, embedder: Embedder | None = None, *,
                 word_match: float = WORD_MATCH, answer_weight: float = ANSWER_WEIGHT) -> None:
        self.index = index
        self.embedder = embedder
        self.word_match = word_match
        self.answer_weight = answer_weight
        self._vocabulary: dict[str, list[int]] = {}
        self._head_vocabulary: dict[str, list[int]] = {}
        self._vectors: Matrix = np.zeros((0, 0), dtype=np.float32)
        self._cache: dict[str, Matrix] = {}
        if embedder is not None:
            self._embed_vocabulary(embedder)

    def _embed_vocabulary(self, embedder: Embedder) -> None:
        positions: dict[str, int] = {}
        for topic, entries in self.index.entries.items():
            head = _content(" ".join(f"{e.title} {e.question} {' '.join(e.tags)}"
                                     for e in entries))
            body = _content(" ".join(e.answer for e in entries)) - head
            self._head_vocabulary[topic] = [positions.setdefault(w, len(positions))
                                            for w in sorted(head)]
            self._vocabulary[topic] = self._head_vocabulary[topic] + [
                positions.setdefault(w, len(positions)) for w in sorted(body)]
        if positions:
            self._vectors = np.asarray(embedder(list(positions)), dtype=np.float32)

    def salient(self, question: str) -> list[Salient]:
        """The question's salient words."""
        out = []
        seen: set[str] = set()
        for written, word in _written_words(question):
            if (word in STOPWORDS or word in QUESTION_FILLERS or len(word) < 2
                    or word.isdigit() or word in seen):
                continue
            seen.add(word)
            if word.endswith(_ADVERB_ENDINGS) and word not in self.index.corrector:
                continue  # "normalmente", "usually": how, not what, unless the KB uses it
            fixed = word if word in self.index.corrector else (
                self.index.corrector.correct(word) or word)
            found = terms_of([fixed])
            if not found:
                continue
            weight = max(self.index.idf.get(t, self.index.unknown_idf) for t in found)
            out.append(Salient(written, word, found, weight))
        return out

    def _vectors_of(self, words_: Sequence[str]) -> dict[str, Matrix]:
        """Vectors of folded words, embedded in one call and kept (bounded) for later
        questions: customers reuse words, and each embedder call has a fixed cost."""
        if self.embedder is None:
            return {}
        new = [w for w in dict.fromkeys(words_) if w not in self._cache]
        if new:
            if len(self._cache) + len(new) > WORD_CACHE:
                self._cache.clear()
            vectors = np.asarray(self.embedder(new), dtype=np.float32)
            self._cache.update(zip(new, vectors, strict=True))
        return {w: self._cache[w] for w in words_}

    def _matched(self, salient: Sequence[Salient], vectors: dict[str, Matrix], topic: str,
                 head_only: bool) -> set[str]:
        """The folded salient words ``topic`` speaks of, lexically or by meaning."""
        known = self.index.topic_terms(topic, head_only=head_only)
        matched = {s.word for s in salient if any(t in known for t in s.terms)}
        rows = (self._head_vocabulary if head_only else self._vocabulary).get(topic)
        unmatched = [s.word for s in salient if s.word not in matched and s.word in vectors]
        if rows and unmatched:
            best = (self._vectors[rows] @ np.stack([vectors[w] for w in unmatched]).T).max(0)
            matched.update(w for w, score in zip(unmatched, best, strict=True)
                           if score >= self.word_match)
        return matched

    def verdicts(self, question: str, topics: Sequence[str]) -> list[Verdict]:
        """How far each of ``topics`` answers ``question``: a word a topic's titles,
        questions or tags speak of counts whole, one only its answer speaks of
        ``answer_weight``."""
        salient = self.salient(question)
        if not salient:
            return [Verdict(t, 0.0) for t in topics]
        vectors = self._vectors_of([s.word for s in salient])
        total = sum(s.weight for s in salient)
        out = []
        for topic in topics:
            anywhere = self._matched(salient, vectors, topic, head_only=False)
            head = self._matched(salient, vectors, topic, head_only=True)
            covered = sum(s.weight * (1.0 if s.word in head else self.answer_weight)
                          for s in salient if s.word in anywhere)
            missing = tuple(s.written for s in salient if s.word not in anywhere)
            out.append(Verdict(topic, covered / total if total > 0 else 0.0, missing))
        return out

    def check(self, question: str, topic: str) -> Verdict:
        """How far ``topic`` answers ``question`` (see ``verdicts``)."""
        return self.verdicts(question, [topic])[0]

    def best(self, question: str, topics: Sequence[str]) -> Verdict | None:
        """The verdict of the topic that answers ``question`` best, earlier topics
        winning ties (``topics`` come in retrieval order); ``None`` without topics."""
        verdicts = self.verdicts(question, topics)
        return max(verdicts, key=lambda v: v.coverage) if verdicts else None
