"""Training and loading the model artifacts in ``models/`` (seeded, reproducible, a few seconds)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
import pickle
import platform
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from bot.classifier.answerer import Answerer, Thresholds
from bot.classifier.legal_aid import LegalAidDetector
from bot.classifier.sensitive import SensitiveDetector
from bot.classifier.tokenizer import LegalTokenizer, load_typos
from bot.knowledge.examples import load_examples, load_jsonl
from bot.knowledge.faq import load_faq

log = logging.getLogger(__name__)

ARTIFACT = "classifier.joblib"  # the fitted scikit-learn objects: evaluation, retraining, reference
RUNTIME = "runtime.pkl"  # the compiled arrays a serving process loads (bot.classifier.runtime)
SIDECAR = "classifier.json"
# 2: compiled runtime beside the joblib; 3: packed character keys, float32 NB; 4: SVM + NB;
# 5: the runtime's classes moved to bot.classifier.analysis and .weights (the pickle names their modules)
FORMAT_VERSION = 7


class ModelError(RuntimeError):
    """The model cannot be trained or loaded; the message says what to do."""


def knowledge_hash(knowledge_dir: Path, extra: Iterable[tuple[str, str]] = ()) -> str:
    """sha256 over every knowledge file (name and bytes) and any extra examples: staleness check."""
    digest = hashlib.sha256(f"format:{FORMAT_VERSION}".encode())
    # Thresholds, the lexicon and the evaluation sets are read at load time, not learned: they do not
    # make the model stale.
    learned = [p for p in knowledge_dir.rglob("*") if p.is_file() and p.suffix in (".txt", ".yaml", ".tsv")]
    skip = {"thresholds.yaml", "sensitive.yaml", "legal_aid.yaml"}
    for path in sorted(p for p in learned if p.name not in skip and "eval" not in p.relative_to(knowledge_dir).parts):
        digest.update(str(path.relative_to(knowledge_dir)).encode())
        digest.update(path.read_bytes())
    for text, label in extra:
        digest.update(f"{label}\t{text}".encode())
    return digest.hexdigest()


def load_lines(path: Path) -> list[str]:
    """Non-empty lines of an optional text file."""
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_tokenizer(knowledge_dir: Path) -> LegalTokenizer:
    return LegalTokenizer(knowledge_dir / "jieba_userdict.txt", load_typos(knowledge_dir / "typos.tsv"))


def load_thresholds(knowledge_dir: Path) -> Thresholds:
    path = knowledge_dir / "thresholds.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return Thresholds.from_mapping((data or {}).get("thresholds", {}))


def load_sensitive(knowledge_dir: Path) -> SensitiveDetector:
    path = knowledge_dir / "sensitive.yaml"
    if not path.exists():
        raise ModelError(f"{path} is missing: the sensitive-matter lexicon is required; restore it from git")
    return SensitiveDetector.from_yaml(path)


def training_data(knowledge_dir: Path, extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Examples plus every FAQ phrasing (labelled with the entry's category) plus extra (ledger) examples."""
    pairs = load_examples(knowledge_dir / "examples")
    for entry in load_faq(knowledge_dir / "faq"):
        pairs.extend((p, entry.category) for p in entry.phrasings)
    pairs.extend(extra)
    return pairs


def train(
    knowledge_dir: Path,
    model_dir: Path,
    seed: int = 0,
    extra: list[tuple[str, str]] | None = None,
    progress: Callable[[str], None] = log.info,
) -> dict:
    """Fit the classifier and FAQ index, evaluate on the held-out file, write artifact and sidecar."""
    # scikit-learn only here: a serving process loads the compiled runtime and never imports it.
    import joblib
    import sklearn

    from bot.classifier.compiled import compile_runtime
    from bot.classifier.faq_index import FaqIndex
    from bot.classifier.model import build_pipeline

    extra = extra or []
    started = time.perf_counter()
    progress("读取知识库…")
    pairs = training_data(knowledge_dir, extra)
    if len({label for _, label in pairs}) < 2:
        raise ModelError(f"{knowledge_dir / 'examples'} has too few labelled examples to train")
    tokenizer = build_tokenizer(knowledge_dir)
    progress(f"分词器准备中（{len(pairs)} 条训练样本）…")
    tokenizer.warm_up()
    pipeline = build_pipeline(tokenizer, seed=seed)
    progress("训练分类器…")
    pipeline.fit([t for t, _ in pairs], [label for _, label in pairs])
    progress("建立常见问题索引…")
    faq_index = FaqIndex(
        tokenizer, load_faq(knowledge_dir / "faq"), seed=seed, negatives=load_lines(knowledge_dir / "faq_negatives.txt")
    )
    progress("编译运行时模型…")
    runtime = compile_runtime(pipeline, faq_index)
    answerer = Answerer(
        runtime,
        load_sensitive(knowledge_dir),
        load_thresholds(knowledge_dir),
        LegalAidDetector.from_yaml(knowledge_dir / "legal_aid.yaml"),
        load_pipeline=lambda: pipeline,
    )
    metrics: dict = {}
    heldout = knowledge_dir / "eval" / "heldout.jsonl"
    if heldout.exists():
        from bot.classifier.evaluate import evaluate_rows

        progress("在自有留出集上评估…")
        rows = [(r["text"], r["category"]) for r in load_jsonl(heldout)]
        metrics["heldout"] = evaluate_rows(answerer, rows, summary_only=True)
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump({"pipeline": pipeline, "faq_index": faq_index, "format": FORMAT_VERSION}, model_dir / ARTIFACT)
    with open(model_dir / RUNTIME, "wb") as fh:
        pickle.dump(runtime, fh, protocol=pickle.HIGHEST_PROTOCOL)
    sidecar = {
        "labels": list(pipeline.classes_),
        "seed": seed,
        "examples": len(pairs),
        "ledger_examples": len(extra),
        "faq_entries": len(faq_index.entries),
        "knowledge_hash": knowledge_hash(knowledge_dir, extra),
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "jieba": importlib.metadata.version("jieba"),
            "format": FORMAT_VERSION,
        },
        "metrics": metrics,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
    }
    (model_dir / SIDECAR).write_text(json.dumps(sidecar, ensure_ascii=False, indent=2), encoding="utf-8")
    progress(f"完成，用时 {sidecar['seconds']} 秒，模型在 {model_dir}")
    return sidecar


def is_stale(knowledge_dir: Path, model_dir: Path) -> str | None:
    """Why the artifacts must be rebuilt, or None when they match the knowledge base and libraries."""
    sidecar_path = model_dir / SIDECAR
    if not all(p.exists() for p in (model_dir / ARTIFACT, model_dir / RUNTIME, sidecar_path)):
        return "no trained model yet"
    try:
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return "the sidecar is unreadable"
    versions = sidecar.get("versions", {})
    # The installed version from metadata: importing scikit-learn would cost a serving process ~70 MB.
    installed = importlib.metadata.version("scikit-learn")
    if versions.get("scikit-learn") != installed or versions.get("format") != FORMAT_VERSION:
        return "library versions changed"
    if sidecar.get("ledger_examples"):
        return None  # trained with ledger data on purpose; retrain explicitly with `legalbot train`
    if sidecar.get("knowledge_hash") != knowledge_hash(knowledge_dir):
        return "the knowledge base changed"
    return None


def load_answerer(knowledge_dir: Path, model_dir: Path, progress: Callable[[str], None] = log.info) -> Answerer:
    """Load the artifacts, training first when they are missing or stale."""
    reason = is_stale(knowledge_dir, model_dir)
    if reason:
        progress(f"模型需要重新训练（{reason}）")
        train(knowledge_dir, model_dir, progress=progress)
    try:
        with open(model_dir / RUNTIME, "rb") as fh:
            runtime = pickle.load(fh)
    except Exception as exc:  # a corrupt or foreign pickle
        raise ModelError(f"cannot load {model_dir / RUNTIME} ({exc}); run `legalbot train`") from exc
    answerer = Answerer(
        runtime,
        load_sensitive(knowledge_dir),
        load_thresholds(knowledge_dir),
        LegalAidDetector.from_yaml(knowledge_dir / "legal_aid.yaml"),
        load_pipeline=lambda: load_pipeline(model_dir),
    )
    answerer.decide("你好")  # warm every code path now, not on the first villager's message
    return answerer


def load_pipeline(model_dir: Path):
    """The fitted scikit-learn pipeline from the joblib artifact (evaluation and the equivalence tests)."""
    import joblib

    try:
        return joblib.load(model_dir / ARTIFACT)["pipeline"]
    except Exception as exc:  # a corrupt or foreign pickle
        raise ModelError(f"cannot load {model_dir / ARTIFACT} ({exc}); run `legalbot train`") from exc
