"""Benchmark: per-question latency of the answering pipeline, by stage, and the model's memory.

Prints figures; asserts nothing. Run: `.venv/bin/python bench/classify.py` (or `make bench`); the model is read from
``LEGALBOT_MODEL_DIR`` when set, else ``models/``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


PASSES = 7


def timed(fn, items, repeat: int = 3) -> list[float]:
    samples = []
    for _ in range(repeat):
        for item in items:
            t0 = time.perf_counter_ns()
            fn(item)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def describe(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return f"{name:<34} median {statistics.median(samples):7.3f} ms   p90 {p(0.9):7.3f} ms   p99 {p(0.99):7.3f} ms"


def main() -> None:
    from bot.classifier.train import load_answerer

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    model_dir = Path(os.environ.get("LEGALBOT_MODEL_DIR") or ROOT / "models")  # as `legalbot train` uses
    answerer = load_answerer(ROOT / "knowledge", model_dir, progress=lambda m: print(m, file=sys.stderr))
    load_s = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    questions = [json.loads(line)["text"] for line in (ROOT / "knowledge/eval/heldout.jsonl").open(encoding="utf-8")]
    analyzer = answerer.runtime.analyzer  # normalise once, character n-grams, jieba words: shared by every model
    print(f"questions: {len(questions)} (knowledge/eval/heldout.jsonl), 3 passes each")
    print(f"model load (incl. jieba dictionary): {load_s:.2f} s; max RSS {rss0 / 1024:.0f} MB -> {rss1 / 1024:.0f} MB")
    print(describe("sensitive lexicon", timed(answerer.sensitive.detect, questions)))
    print(describe("text analysis (jieba + n-grams)", timed(analyzer.analyze, questions)))
    print(describe("classify (compiled)", timed(answerer.fast.predict_proba, questions)))
    print(describe("classify (sklearn pipeline)", timed(lambda q: answerer.pipeline.predict_proba([q]), questions, 1)))
    print(describe("FAQ retrieval (compiled)", timed(lambda q: answerer.faq_index.match(q), questions)))
    print(describe("whole decision (decide)", timed(answerer.decide, questions)))
    # The VM's speed moves with its neighbours' load; the median of each pass over all questions shows it,
    # and the quietest pass is the closest to the code's own cost.
    passes = [statistics.median(timed(answerer.decide, questions, 1)) for _ in range(PASSES)]
    listed = " ".join(f"{m:.3f}" for m in passes)
    print(f"decide, median of each of {PASSES} more passes: {listed} ms (quietest {min(passes):.3f} ms)")


if __name__ == "__main__":
    main()
