"""The classifier and answering decisions, measured on our own held-out questions."""

from __future__ import annotations

import numpy as np

from bot import texts
from bot.classifier.evaluate import evaluate_rows
from bot.config import PROJECT_ROOT
from bot.knowledge.examples import load_jsonl

EVAL = PROJECT_ROOT / "knowledge" / "eval"


def test_compiled_scorer_equals_the_sklearn_pipeline(answerer):
    texts = [*[r["text"] for r in load_jsonl(EVAL / "heldout.jsonl")][:200], "", "   ", "zzzz", "😀"]
    expected = answerer.pipeline.predict_proba(texts)
    got = np.array([answerer.fast.predict_proba(t) for t in texts])
    assert np.allclose(expected, got, atol=1e-6)


def test_heldout_accuracy(answerer):
    rows = [(r["text"], r["category"]) for r in load_jsonl(EVAL / "heldout.jsonl")]
    report = evaluate_rows(answerer, rows)
    assert report["accuracy"] >= 0.90, report


def test_every_sensitive_example_is_alerted(answerer):
    rows = load_jsonl(EVAL / "sensitive.jsonl")
    missed = [r["text"] for r in rows if r["sensitive"] and answerer.decide(r["text"]).action != "alert"]
    false_alarms = [r["text"] for r in rows if not r["sensitive"] and answerer.decide(r["text"]).action == "alert"]
    assert missed == []
    assert len(false_alarms) <= 0.1 * sum(1 for r in rows if not r["sensitive"])


def test_kinds_of_sensitive_matters(answerer):
    assert answerer.decide("我们全村人明天去县政府门口拉横幅").alert_kind == "petition"
    assert answerer.decide("再不还钱我就拿刀去砍死他").alert_kind == "violence"
    assert answerer.decide("俺不想活了 喝农药算了").alert_kind == "self_harm"
    assert answerer.decide("交通事故死亡赔偿金怎么算").action != "alert"


def test_smalltalk_and_uncertain_questions(answerer):
    assert answerer.decide("在吗").action == "smalltalk"
    assert answerer.decide("谢谢").action == "smalltalk"
    long_story = (
        "我爸前年去世了，留下老家两间房和一块宅基地，我哥说他一直照顾老人房子都该归他，"
        "我姐嫁出去了也想要一份，村里又说宅基地不能继承，我们现在谁也不让谁，该怎么办"
    )
    assert answerer.decide(long_story).action == "forward"


def test_a_longer_message_that_opens_with_a_greeting_is_a_question(answerer):
    """The model hears the greeting; past smalltalk_max_chars characters the message goes to a person."""
    text = "你好 律师 在不在 有个事想问问你"
    _, _, top_label, top_prob = answerer.classify(text)
    assert top_label == "smalltalk" and top_prob >= answerer.thresholds.smalltalk_probability
    assert len(text.replace(" ", "")) > answerer.thresholds.smalltalk_max_chars
    assert answerer.decide(text).action == "forward"
    assert answerer.predict_label(text) != "smalltalk"
    assert answerer.decide("你好呀 在忙啥").action == "smalltalk"
    thanks = "谢谢律师 我明白了 回头再来问你"  # thanks run longer, and are still thanks
    assert len(thanks.replace(" ", "")) > answerer.thresholds.smalltalk_max_chars
    assert answerer.decide(thanks).action == "smalltalk" and answerer.decide(thanks).answer == texts.THANKS


def test_faq_answers_carry_citations(answerer):
    decision = answerer.decide("结婚年龄男的女的各是多少")
    assert decision.action == "answer" and decision.faq_id.startswith("marriage_family")
    assert decision.citations and decision.citations[0].startswith("《")


def test_decide_stops_early_without_changing_any_answer(answerer):
    """decide() checks the cheap signals first and the wording only for the preferred entry; it must answer
    exactly when every signal of the full FAQ match agrees (what the thresholds were tuned on)."""
    from bot.classifier.answerer import count_specifics

    t = answerer.thresholds
    rows = load_jsonl(EVAL / "faq_heldout.jsonl") + load_jsonl(EVAL / "heldout.jsonl")[:200]
    outcomes = {"answer": 0, "forward": 0}
    for text in (r["text"].strip() for r in rows):
        decision = answerer.decide(text)
        if decision.action not in outcomes:
            continue
        outcomes[decision.action] += 1
        category, confidence, _, _ = answerer.classify(text)
        match = answerer.faq_index.match(text)
        expected = (
            match is not None
            and match.entry.category == category
            and confidence >= t.answer_confidence
            and match.score >= t.faq_score
            and match.margin >= t.faq_margin
            and match.similarity >= t.answer_similarity
            and match.similarity - match.near_miss >= t.near_miss_lead
            and len(text) <= t.long_question_chars
            and count_specifics(text) <= t.max_specifics
        )
        assert (decision.action == "answer") == expected, text
        if expected:
            assert decision.faq_id == match.entry.id, text
    assert outcomes["answer"] > 50 and outcomes["forward"] > 50, outcomes


def test_smalltalk_is_decided_by_the_svm_alone(answerer):
    """Naive Bayes only splits the legal categories: greetings keep the SVM's calibrated smalltalk probability."""
    model = answerer.pipeline.named_steps["model"]
    features = answerer.pipeline.named_steps["features"].transform(["你好", "在吗", "宅基地被占了咋整"])
    gate = model.gate_index_
    assert np.allclose(model.predict_proba(features)[:, gate], model.svm_.predict_proba(features)[:, gate])
    assert np.allclose(model.predict_proba(features).sum(axis=1), 1.0)


def test_threshold_search_breaks_ties_towards_the_strictest_setting():
    """When every setting answers the same questions on the tune half, the strictest one is chosen."""
    from bot.classifier.answerer import Thresholds
    from bot.classifier.tuning import GRID, Signals, search

    signal = Signals("x-001", "tune", "x-001", "land", 1.0, 1.0, 0.5, 0.0, "land", 0.9, 10, 0)
    chosen = search([signal] * 40, Thresholds())
    strict = {
        name: values[0] if name in ("long_question_chars", "max_specifics") else values[-1]
        for name, values in GRID.items()
    }
    assert {name: getattr(chosen, name) for name in GRID} == strict
