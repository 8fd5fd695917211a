"""An adviser's answer proposed as an FAQ, published by a reviewer, and used to retrain."""

from __future__ import annotations

import shutil

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from bot.config import PROJECT_ROOT
from bot.ledger.learning import confirmed_examples
from bot.ledger.tables import FaqCandidate
from tests.helpers import ADVISER_WANG, PERSONAL_CASE, consultations

V = "oVillagerLearning00001"


@pytest.fixture
def knowledge_copy(tmp_path, monkeypatch, settings):
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", target)
    for key, value in {
        "LEGALBOT_DATABASE_URL": settings.database_url,
        "LEGALBOT_INSTANCE_DIR": str(settings.instance_dir),
        "LEGALBOT_KNOWLEDGE_DIR": str(target),
        "LEGALBOT_MODEL_DIR": str(settings.model_dir),
    }.items():
        monkeypatch.setenv(key, value)
    return target


def test_candidate_published_into_the_knowledge_base(wechat, roster, knowledge_copy):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, PERSONAL_CASE)
    case = consultations(roster)[0]
    wechat.text(ADVISER_WANG, f"#{case.id} 宅基地边界争议先由村委会调解，不成可申请乡镇政府处理。")
    wechat.text(ADVISER_WANG, f"#{case.id} 可作为常见问题")
    with roster.sessions() as session:
        [candidate] = session.scalars(select(FaqCandidate)).all()
    runner = CliRunner()
    bad = runner.invoke(
        cli,
        [
            "faq",
            "publish",
            str(candidate.id),
            "--paraphrase",
            "a",
            "--citation",
            "民法典",
            "--next-step",
            "x",
            "--reviewer",
            "张科长",
        ],
    )
    assert bad.exit_code == 1 and "法律名:第X条" in bad.output
    result = runner.invoke(
        cli,
        [
            "faq",
            "publish",
            str(candidate.id),
            "--question",
            "和邻居宅基地边界有争议怎么办？",
            "--answer",
            "宅基地边界有争议，先请村委会调解；调解不成，可以申请乡镇人民政府处理。",
            "--paraphrase",
            "俺家跟邻居地界吵起来了咋办",
            "--paraphrase",
            "宅基地边界纠纷找谁",
            "--paraphrase",
            "邻居盖房占了俺家地界",
            "--citation",
            "土地管理法:第十四条",
            "--next-step",
            "带上宅基地证去村委会申请调解。",
            "--reviewer",
            "张科长",
        ],
    )
    assert result.exit_code == 0, result.output
    published = yaml.safe_load((knowledge_copy / "faq" / "published.yaml").read_text(encoding="utf-8"))
    assert published[0]["id"] == f"{candidate.category}-p{candidate.id:03d}"
    assert published[0]["citations"] == [{"law": "土地管理法", "article": "第十四条"}]
    with roster.sessions() as session:
        assert session.get(FaqCandidate, candidate.id).status == "published"


def test_category_corrections_feed_training(wechat, roster):
    from bot.advisers import correct_category
    from bot.context import Context

    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, PERSONAL_CASE)
    with roster.sessions.begin() as session:
        case = consultations(roster)[0]
        ctx = Context.for_action(roster, session)
        from bot.ledger.tables import Adviser, Consultation

        correct_category(ctx, session.get(Consultation, case.id), session.scalar(select(Adviser)), "land")
    with roster.sessions() as session:
        assert confirmed_examples(session) == [(PERSONAL_CASE, "land")]
