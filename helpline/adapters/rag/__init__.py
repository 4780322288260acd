"""adapters/rag: ms-rag's AI agent on Haystack, implementing the ``Answerer`` port.

``KnowledgeBaseAnswerer.from_path("examples/kb")`` loads a knowledge base (Markdown with
front matter, FAQ CSV or JSON), retrieves with BM25 (or hybrid BM25 + embeddings with the
``[embeddings]`` extra), answers in the customer's language and hands over to a person when
it should. ``helpline kb index PATH`` (``cli.py``) checks a knowledge base.
"""

from helpline.adapters.rag.answerer import DEFAULT_THRESHOLD, KnowledgeBaseAnswerer
from helpline.adapters.rag.index import Embedder, Hit, Index
from helpline.adapters.rag.kb import Entry, KnowledgeBase, load_knowledge_base
from helpline.adapters.rag.llm import Generation, OpenAIChatGenerator

__all__ = [
    "DEFAULT_THRESHOLD",
    "Embedder",
    "Entry",
    "Generation",
    "Hit",
    "Index",
    "KnowledgeBase",
    "KnowledgeBaseAnswerer",
    "OpenAIChatGenerator",
    "load_knowledge_base",
]
