"""The compiled runtime scores exactly like the fitted scikit-learn objects, without importing them."""

from __future__ import annotations

import subprocess
import sys

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.classifier.train import ARTIFACT
from bot.config import PROJECT_ROOT
from bot.knowledge.examples import load_jsonl

EVAL = PROJECT_ROOT / "knowledge" / "eval"
EDGE_CASES = ["", "   ", "zzzz", "😀", "a  b\t\tc", "离婚", "工姿 拖欠　三个月了 ！！", "x" * 400]


def _questions() -> list[str]:
    rows = load_jsonl(EVAL / "heldout.jsonl")[:150] + load_jsonl(EVAL / "faq_heldout.jsonl")[:150]
    return [r["text"] for r in rows] + EDGE_CASES


def test_character_ngrams_are_scikit_learns(answerer):
    analyzer = answerer.runtime.analyzer
    reference = TfidfVectorizer(
        analyzer="char", ngram_range=(1, analyzer.max_n), preprocessor=analyzer.tokenizer.normalize
    ).build_analyzer()
    for text in _questions():
        assert analyzer.char_ngrams(analyzer.tokenizer.normalize(text)) == reference(text)


def test_compiled_faq_match_equals_the_sklearn_index(answerer, model_dir):
    reference = joblib.load(model_dir / ARTIFACT)["faq_index"]
    for text in _questions():
        expected, got = reference.match(text), answerer.faq_index.match(text)
        assert (expected is None) == (got is None), text
        if expected is None:
            continue
        assert got.entry.id == expected.entry.id, text
        # The compiled arrays are float32 (idf, weights, phrasings): equal to about 1e-7.
        assert abs(got.score - expected.score) < 1e-6 and abs(got.margin - expected.margin) < 1e-6, text
        assert abs(got.similarity - expected.similarity) < 1e-6, text
        assert abs(got.near_miss - expected.near_miss) < 1e-6, text


def test_a_serving_process_never_imports_scikit_learn(model_dir):
    """Nor pkg_resources, which jieba would import to find its own files (~10 MB per web worker)."""
    code = (
        "import sys; from pathlib import Path\n"
        "from bot.classifier.train import load_answerer\n"
        f"a = load_answerer(Path({str(PROJECT_ROOT / 'knowledge')!r}), Path({str(model_dir)!r}))\n"
        "assert a.decide('离婚冷静期多久').action == 'answer'\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'joblib', 'pkg_resources'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
