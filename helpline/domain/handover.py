"""What the AI agent's hand-over reasons mean, recognised in one place.

The answerers (the demo's keyword answerer, ms-rag's knowledge-base answerer and earlier
versions of both) say in their own words why they handed a conversation to a person. The
console's transcript and ticket panel, the knowledge-base gaps and the reply assistant each
explain that reason to an agent in their own sentence; :func:`reason_kind` is what they
share, so a new answerer's wording is taught here once.
"""

from __future__ import annotations

import re
from typing import Literal

#: ``person``: the customer asked for one; ``nothing``: the knowledge base has no answer;
#: ``unsure``: the AI's best answer scored too low; ``asked``: the AI asked for a person
#: without saying why.
ReasonKind = Literal["person", "nothing", "unsure", "asked"]

_KINDS: tuple[tuple[re.Pattern[str], ReasonKind], ...] = (
    (re.compile(r"customer asked for a person", re.I), "person"),
    (re.compile(r"no (document|topic|entry) passes the threshold|^no answer in the "
                r"knowledge base\.?$", re.I), "nothing"),
    # a figure, as earlier answerers wrote them: "coverage 0.31 < 0.50", "score 0.2 below the
    # threshold" (a word alone is not one: ms-rag quotes what the customer asked)
    (re.compile(r"\b(threshold|coverage|confidence|score)\b\W*\d|\d\.\d+\s*[<>]|"
                r"\bbelow the threshold\b", re.I), "unsure"),
    (re.compile(r"^the ai agent asked for a human\.?$", re.I), "asked"),
)

_QUOTED = re.compile(r"“[^”]*”")


def reason_kind(reason: str | None) -> ReasonKind | None:
    """Which of the known hand-over reasons ``reason`` is, or ``None`` for one written for
    people already (kept as it is) or for no reason at all."""
    # What ms-rag quotes (the customer's words, an entry's title) is never the reason's kind.
    text = _QUOTED.sub("“”", " ".join((reason or "").split()))
    return next((kind for pattern, kind in _KINDS if pattern.search(text)), None)
