"""Evaluation: accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from bot.classifier.answerer import Answerer
from bot.knowledge.examples import LABELS, load_jsonl
from bot.knowledge.faq import KnowledgeError


def evaluate_rows(
    answerer: Answerer,
    rows: list[tuple[str, str]],
    summary_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Score predictions against gold labels; macro-F1 is over the labels present in the gold data."""
    gold = [label for _, label in rows]
    pred = []
    for i, (text, _) in enumerate(rows):
        pred.append(answerer.predict_label(text))
        if progress and (i + 1) % 500 == 0:
            progress(i + 1, len(rows))
    present = [label for label in LABELS if label in set(gold)]
    report = {
        "n": len(rows),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(f1_score(gold, pred, labels=present, average="macro", zero_division=0)), 4),
    }
    if summary_only:
        return report
    shown = [label for label in LABELS if label in set(gold) | set(pred)]
    precision, recall, f1, support = precision_recall_fscore_support(gold, pred, labels=shown, zero_division=0)
    report["per_class"] = {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for label, p, r, f, s in zip(shown, precision, recall, f1, support, strict=True)
    }
    report["labels"] = shown
    report["confusion"] = confusion_matrix(gold, pred, labels=shown).tolist()
    return report


def load_eval_rows(
    path: Path, mapping_path: Path | None = None, source: str | None = None, subset: str | None = None
) -> tuple[list[tuple[str, str]], int]:
    """Read a JSONL benchmark (``question``/``text`` + ``category``), mapping source labels if asked.

    Returns the rows and how many were skipped because their label has no mapping.
    """
    mapping: dict[str, str] | None = None
    if mapping_path is not None:
        spec = json.loads(mapping_path.read_text(encoding="utf-8"))
        if source not in spec:
            known = ", ".join(k for k, v in spec.items() if isinstance(v, dict) and "map" in v)
            raise KnowledgeError(f"--source '{source}' is not in {mapping_path.name}; choose one of: {known}")
        mapping = spec[source]["map"]
    rows, skipped = [], 0
    for n, row in enumerate(load_jsonl(path), start=1):
        if subset and row.get("subset") != subset:
            continue
        text = row.get("text") or row.get("question")
        label = row.get("category")
        if not text or not label:
            raise KnowledgeError(f"{path.name} row {n}: needs 'text' (or 'question') and 'category'")
        if mapping is not None:
            if label not in mapping:
                skipped += 1
                continue
            label = mapping[label]
        if label not in LABELS:
            raise KnowledgeError(f"{path.name} row {n}: unknown category '{label}'; pass --mapping and --source")
        rows.append((text, label))
    return rows, skipped


def format_report(report: dict) -> str:
    """A plain-text table for the terminal."""
    lines = [f"样本数 n={report['n']}  accuracy={report['accuracy']:.4f}  macro-F1={report['macro_f1']:.4f}", ""]
    lines.append(f"{'label':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for label, m in report.get("per_class", {}).items():
        lines.append(f"{label:<16}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>9}")
    if "confusion" in report:
        labels = report["labels"]
        lines += ["", "confusion matrix (rows = gold, columns = predicted):"]
        short = [label[:6] for label in labels]
        lines.append(" " * 16 + "".join(f"{s:>7}" for s in short))
        for label, row in zip(labels, report["confusion"], strict=True):
            lines.append(f"{label:<16}" + "".join(f"{v:>7}" for v in row))
    return "\n".join(lines)
