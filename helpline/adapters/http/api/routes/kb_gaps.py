"""``GET /admin/kb-gaps``: the questions the AI handed over, grouped by similarity, biggest
group first, so the business that owns the knowledge base sees where it fails most
("12 customers asked about a student discount") and which tickets to read (admin).

The grouping is ms-rag's (``helpline.adapters.rag.grouping``), by meaning across languages
with ms-rag's embedder when this process has one, else by the questions' words. It is
imported on the first request: the agent API does not load the retrieval stack otherwise.
Grouping costs about the square of the questions (and an embedding each): ``limit`` is
capped at 1,000.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from helpline.adapters.http.api.deps import Admin, Ctx
from helpline.domain.conversation import LATE_AI_ANSWER
from helpline.domain.handover import reason_kind

router = APIRouter(tags=["admin"])

#: How many example questions and tickets a group lists.
EXAMPLES = 10


class KbGap(BaseModel):
    """Handed-over questions that ask much the same thing."""

    representative: str = Field(description="the question most like the others")
    size: int = Field(description="how many handed-over questions the group holds")
    words: list[str] = Field(description="words most of them use: a hint of what is missing")
    languages: list[str] = Field(description="the languages they were asked in")
    reasons: list[str] = Field(description="why the AI handed them over, most common first")
    questions: list[str] = Field(description=f"up to {EXAMPLES} of them, newest first")
    tickets: list[str] = Field(description=f"the tickets of up to {EXAMPLES} of them")


class KbGaps(BaseModel):
    """The groups, biggest first."""

    questions: int = Field(description="how many handed-over questions were grouped")
    person_requests: int = Field(description="hand-overs because the customer asked for a "
                                 "person (not grouped: they are no gap in the knowledge base)")
    late_answers: int = Field(description="hand-overs because the AI's answer came after the "
                              "customer's 24-hour window closed (not grouped either)")
    grouped_by: Literal["meaning", "words"]
    groups: list[KbGap]


@router.get("/admin/kb-gaps", response_model=KbGaps)
def kb_gaps(ctx: Ctx, _: Admin,
            limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> KbGaps:
    """The latest ``limit`` questions the AI handed over, grouped by similarity (admin)."""
    latest = ctx.views.handed_over(limit=limit)
    late = sum(h.reason == LATE_AI_ANSWER for h in latest)
    people = sum(reason_kind(h.reason) == "person" for h in latest)
    handed = [h for h in latest
              if h.reason != LATE_AI_ANSWER and reason_kind(h.reason) != "person"]
    embedder = ctx.question_embedder
    grouped_by: Literal["meaning", "words"] = "meaning" if embedder is not None else "words"
    if not handed:
        return KbGaps(questions=0, person_requests=people, late_answers=late,
                      grouped_by=grouped_by, groups=[])
    from helpline.adapters.rag.grouping import group_questions
    from helpline.adapters.rag.text import guess_language

    groups = []
    for group in group_questions([h.question for h in handed], embedder):
        members = [handed[m] for m in group.members]
        languages = {guess_language(m.question, default=(m.language or "")[:2] or None)
                     for m in members}
        reasons = Counter(m.reason for m in members)
        groups.append(KbGap(
            representative=group.representative, size=group.size, words=list(group.words),
            languages=sorted(lang for lang in languages if lang),
            reasons=[r for r, _ in reasons.most_common(3)],
            questions=[m.question for m in members[:EXAMPLES]],
            tickets=[m.ticket_id for m in members[:EXAMPLES]]))
    return KbGaps(questions=len(handed), person_requests=people, late_answers=late,
                  grouped_by=grouped_by, groups=groups)

