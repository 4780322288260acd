"""adapters/rag: ms-rag's AI agent on Haystack, implementing the ``Answerer`` port.

``KnowledgeBaseAnswerer.from_path("examples/kb")`` loads a knowledge base (Markdown with
front matter, FAQ CSV or JSON), retrieves with BM25 (or hybrid BM25 + embeddings with the
USE multilingual v3 embeddings by default), checks that the entry found actually answers
the question (``answerability.py``), answers in the customer's language and hands over to a
person when it should. ``helpline kb index PATH`` checks a knowledge base and
``helpline kb eval KB QUESTIONS`` measures the agent on it (``cli.py``).
"""

import os

# Haystack sends usage telemetry to PostHog from every Pipeline.run unless this is off when
# it is first imported: customer questions run through our pipeline, and these machines
# reach no network anyway. An explicit setting by the operator is kept.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

from helpline.adapters.rag.answerability import Answerability, Verdict
from helpline.adapters.rag.answerer import (
    DEFAULT_THRESHOLD,
    KnowledgeBaseAnswerer,
)
from helpline.adapters.rag.index import Embedder, Hit, Index
from helpline.adapters.rag.kb import Entry, KnowledgeBase, load_knowledge_base
from helpline.adapters.rag.llm import Declined, Generation, OpenAIChatGenerator

__all__ = [
    "DEFAULT_THRESHOLD",
    "Answerability",
    "Declined",
    "Embedder",
    "Entry",
    "Generation",
    "Hit",
    "Index",
    "KnowledgeBase",
    "KnowledgeBaseAnswerer",
    "OpenAIChatGenerator",
    "Verdict",
    "load_knowledge_base",
]
