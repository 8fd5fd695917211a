"""The bureau's FAQ review page: the county's candidates (masked), the edit form with field errors,
publishing into a temporary knowledge base through the CLI's code path, rejecting, and who may do it."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from bot.auth import issue_login_code
from bot.cli import cli
from bot.config import PROJECT_ROOT
from bot.knowledge.faq import load_faq
from bot.ledger import repo, states
from bot.ledger.tables import Adviser, AuditLog, Consultation, FaqCandidate, Town, Village, Villager
from tests.conftest import NOW
from tests.test_bureau_support import csrf, logged_in, make_user

PHONE, ID_NUMBER = "13912345678", "370303198001011234"
QUESTION = "和邻居宅基地边界有争议怎么办？"
CANDIDATES = {  # village, adviser, question, answer, category, hours before NOW
    "land": (
        "370303001",
        "王明",
        f"邻居占了我家宅基地，我电话{PHONE}，身份证{ID_NUMBER}，咋办",
        "宅基地边界争议先由村委会调解，不成可申请乡镇政府处理。",
        "land",
        48,
    ),
    "labor": ("370304001", "张伟", "工地老板拖欠工资不给怎么办", "可以先投诉，也可以申请劳动仲裁。", "labor", 24),
    "elsewhere": ("371101001", "孙强", "另一县的问题", "另一县的答复", "other", 1),
}
REPO_PUBLISHED = PROJECT_ROOT / "knowledge" / "faq" / "published.yaml"


@pytest.fixture
def settings(settings, tmp_path):
    """The conftest settings with a copy of knowledge/: publishing must never touch the real one."""
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", target)
    return settings.with_overrides(knowledge_dir=target)


@pytest.fixture
def published_file(settings):
    path = settings.knowledge_dir / "faq" / "published.yaml"
    before = REPO_PUBLISHED.read_bytes() if REPO_PUBLISHED.exists() else None
    yield path
    assert (REPO_PUBLISHED.read_bytes() if REPO_PUBLISHED.exists() else None) == before


def propose(session, village_code: str, adviser_name: str, question: str, answer: str, category: str, hours_ago):
    """A closed consultation of the village and its answer proposed as an FAQ (as propose_faq leaves it)."""
    village = session.scalar(select(Village).where(Village.code == village_code))
    adviser = session.scalar(select(Adviser).where(Adviser.name == adviser_name))
    when = NOW - dt.timedelta(hours=hours_ago)
    n = session.scalar(select(Villager.id).order_by(Villager.id.desc()).limit(1)) or 0
    villager = Villager(openid=f"oReview{n:04d}", pseudonym=f"VR{n:07d}", village_id=village.id, created_at=when)
    session.add(villager)
    session.flush()
    text = {"category": category, "question": question, "answer": answer}
    consultation = Consultation(
        **text,
        village_id=village.id,
        villager_id=villager.id,
        adviser_id=adviser.id,
        answered_by_id=adviser.id,
        channel="wechat",
        route=states.ROUTE_ADVISER,
        status=states.ADVISER_ANSWERED,
        created_at=when,
        faq_candidate=True,
    )
    session.add(consultation)
    session.flush()
    proposed = FaqCandidate(**text, consultation_id=consultation.id, adviser_id=adviser.id, status="proposed")
    proposed.created_at = when + dt.timedelta(minutes=30)
    session.add(proposed)
    session.flush()
    return proposed.id


@pytest.fixture
def candidates(roster) -> dict[str, int]:
    """Two waiting candidates in 示范县 (the older one with a phone and an ID number), one in another county."""
    with roster.sessions.begin() as session:
        other = Town(county="另一县", name="东关镇")
        sun = Adviser(name="孙强", phone="13800000005")
        session.add_all([other, sun])
        session.flush()
        session.add(Village(code="371101001", name="东关村", town_id=other.id, adviser_a_id=sun.id))
        session.flush()
        return {key: propose(session, *row) for key, row in CANDIDATES.items()}


@pytest.fixture
def reviewer(client, roster):
    make_user(roster, "bureau.zhang")
    logged_in(client, "bureau.zhang")
    return client


def good_form(client, **changes) -> dict[str, str]:
    form = {
        "csrf_token": csrf(client),
        "category": "land",
        "question": QUESTION,
        # A blank line, a repeat and the question itself are dropped: three paraphrases remain.
        "paraphrases": "\n".join(
            [
                "俺家跟邻居地界吵起来了咋办",
                "",
                "宅基地边界纠纷找谁",
                "宅基地边界纠纷找谁",
                QUESTION,
                "邻居盖房占了俺家地界",
            ]
        ),
        "answer": "宅基地边界有争议，先请村委会调解；调解不成，可以申请乡镇人民政府处理。",
        "law_1": "《中华人民共和国土地管理法》",
        "article_1": "14",
        "law_2": "",
        "article_2": "",
        "next_step": "带上宅基地证去村委会申请调解。",
    }
    return {**form, **changes}


def candidate(services, number: int) -> FaqCandidate:
    with services.sessions() as session:
        return session.get(FaqCandidate, number)


def audit_entries(services, action: str) -> list[tuple[str, str, str | None]]:
    with services.sessions() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [(e.actor, e.target, e.detail) for e in rows]


@pytest.mark.parametrize("url", ["/bureau/faq", "/bureau/faq/1", "/bureau/faq?status=published"])
def test_the_review_pages_need_a_login(client, roster, url):
    resp = client.get(url)
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]


def test_an_adviser_is_sent_to_the_staff_login_like_on_every_bureau_page(client, roster, candidates, clock):
    with roster.sessions.begin() as session:
        code = issue_login_code(session, clock.now(), adviser_id=repo.adviser_by_phone(session, "13800000001").id)
    client.get("/adviser/login")
    assert client.post("/adviser/login", data={"code": code, "csrf_token": csrf(client)}).status_code == 303
    assert client.get("/adviser/").status_code == 200
    for url in ["/bureau/ledger", "/bureau/faq", f"/bureau/faq/{candidates['land']}"]:
        resp = client.get(url)
        assert resp.status_code == 303 and "/login" in resp.headers["Location"], url
    resp = client.post(f"/bureau/faq/{candidates['land']}/publish", data=good_form(client))
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]
    assert candidate(roster, candidates["land"]).status == "proposed"


def test_a_town_office_gets_the_same_403_as_on_the_audit_page(client, roster, candidates, published_file):
    make_user(roster, "town.li", role="town", town="城关镇")
    logged_in(client, "town.li")
    dashboard = client.get("/bureau/").get_data(as_text=True)
    assert "常见问题审核" not in dashboard
    assert client.get("/bureau/audit").status_code == 403
    number = candidates["land"]
    for url in ["/bureau/faq", f"/bureau/faq/{number}"]:
        resp = client.get(url)
        assert resp.status_code == 403 and "由县司法局负责" in resp.get_data(as_text=True), url
    assert client.post(f"/bureau/faq/{number}/publish", data=good_form(client)).status_code == 403
    assert client.post(f"/bureau/faq/{number}/reject", data={"csrf_token": csrf(client)}).status_code == 403
    assert candidate(roster, number).status == "proposed" and not published_file.exists()


def test_another_countys_candidate_is_403_and_an_unknown_one_404(reviewer, candidates):
    assert reviewer.get(f"/bureau/faq/{candidates['elsewhere']}").status_code == 403
    assert reviewer.get("/bureau/faq/9999").status_code == 404
    assert reviewer.get("/bureau/faq?status=nonsense").status_code == 400


def test_the_list_shows_waiting_candidates_newest_first_with_numbers_masked(reviewer, roster, candidates):
    page = reviewer.get("/bureau/faq").get_data(as_text=True)
    assert 'href="/bureau/faq"' in page and "常见问题审核" in page  # the navigation link
    table = page.split('id="candidates"')[1].split("</table>")[0]
    labor, land = table.index(f"#{candidates['labor']}<"), table.index(f"#{candidates['land']}<")
    assert labor < land  # newest first
    assert "河口镇河东村" in table and "张伟" in table and "劳动" in table
    assert "城关镇河东村" in table and "王明" in table and "土地" in table
    assert "2026-11-18 10:30" in table  # proposed 48 hours before NOW, 10:00 Asia/Shanghai, plus 30 minutes
    assert "139****5678" in table and PHONE not in page
    assert "370***********1234" in table and ID_NUMBER not in page
    assert "另一县" not in table and "东关村" not in table  # another county's candidate
    assert "待审核（2）" in page and "已发布（0）" in page
    assert ("user:bureau.zhang", "faq_candidates:proposed", None) in audit_entries(roster, "view")


def test_the_form_starts_from_the_advisers_text_masked(reviewer, roster, candidates):
    number = candidates["land"]
    page = reviewer.get(f"/bureau/faq/{number}").get_data(as_text=True)
    assert PHONE not in page and ID_NUMBER not in page and "139****5678" in page
    assert 'name="question" value="邻居占了我家宅基地，我电话139****5678' in page
    assert '<option value="land" selected>' in page and 'name="csrf_token"' in page
    assert "示范县城关镇河东村（370303001）" in page and "王明" in page
    assert ("user:bureau.zhang", f"faq_candidate:{number}", None) in audit_entries(roster, "view")


def test_publish_writes_the_edited_entry_and_says_how_it_takes_effect(reviewer, roster, candidates, published_file):
    number = candidates["land"]
    resp = reviewer.post(f"/bureau/faq/{number}/publish", data=good_form(reviewer, category="tort_neighbor"))
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/bureau/faq/{number}")
    entry_id = f"tort_neighbor-p{number:03d}"
    [written] = yaml.safe_load(published_file.read_text(encoding="utf-8"))
    assert written == {
        "id": entry_id,
        "category": "tort_neighbor",
        "question": QUESTION,
        "paraphrases": ["俺家跟邻居地界吵起来了咋办", "宅基地边界纠纷找谁", "邻居盖房占了俺家地界"],
        "answer": "宅基地边界有争议，先请村委会调解；调解不成，可以申请乡镇人民政府处理。",
        "citations": [{"law": "土地管理法", "article": "第十四条"}],
        "next_step": "带上宅基地证去村委会申请调解。",
        "reviewed": "2026-11-20",
    }
    assert entry_id in {e.id for e in load_faq(published_file.parent)}
    stored = candidate(roster, number)
    assert (stored.status, stored.faq_id, stored.reviewed_by) == ("published", entry_id, "bureau.zhang 同志")
    assert audit_entries(roster, "faq_publish") == [("user:bureau.zhang", f"faq_candidate:{number}", entry_id)]
    page = reviewer.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"已发布为常见问题 {entry_id}" in page and "legalbot train" in page and "重新训练" in page
    assert 'action="/bureau/faq/' not in page  # no form once reviewed
    listing = reviewer.get("/bureau/faq?status=published").get_data(as_text=True)
    assert entry_id in listing.split('id="candidates"')[1] and "已发布（1）" in listing
    assert "发布常见问题" in reviewer.get("/bureau/audit").get_data(as_text=True)


def test_publishing_twice_is_refused_by_the_page_and_the_cli(reviewer, roster, candidates, published_file, monkeypatch):
    number = candidates["land"]
    reviewer.post(f"/bureau/faq/{number}/publish", data=good_form(reviewer))
    first = published_file.read_text(encoding="utf-8")
    again = reviewer.post(f"/bureau/faq/{number}/publish", data=good_form(reviewer, question="换一个问法"))
    assert "不能再发布" in reviewer.get(again.headers["Location"]).get_data(as_text=True)
    settings = roster.settings
    for key, value in {
        "LEGALBOT_DATABASE_URL": settings.database_url,
        "LEGALBOT_INSTANCE_DIR": str(settings.instance_dir),
        "LEGALBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "LEGALBOT_MODEL_DIR": str(settings.model_dir),
    }.items():
        monkeypatch.setenv(key, value)
    args = ["faq", "publish", str(number), "--paraphrase", "a", "--citation", "民法典:第一条"]
    result = CliRunner().invoke(cli, [*args, "--next-step", "x", "--reviewer", "张科长"])
    assert result.exit_code == 1 and "已发布" in result.output
    assert published_file.read_text(encoding="utf-8") == first
    assert len(audit_entries(roster, "faq_publish")) == 1


def test_an_invalid_citation_is_refused_with_a_field_error_and_nothing_written(
    reviewer, roster, candidates, published_file
):
    number = candidates["land"]
    form = good_form(reviewer, law_1="婚姻法", article_1="第三十二条", law_2="民法典", article_2="第X条")
    resp = reviewer.post(f"/bureau/faq/{number}/publish", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "还没有发布" in page
    first = page.split('id="error-citation_1">')[1].split("</span>")[0]
    assert first == "《婚姻法》已于2021年1月1日废止，请改引《民法典》的相应条文"
    assert "看不懂" in page.split('id="error-citation_2">')[1].split("</span>")[0]
    assert f'value="{QUESTION}"' in page and 'value="第三十二条"' in page  # the edit is kept
    assert not published_file.exists()
    assert candidate(roster, number).status == "proposed" and audit_entries(roster, "faq_publish") == []


def test_a_citation_must_exist_in_the_statutes(reviewer, roster, candidates, published_file, shared_dir):
    number = candidates["land"]
    form = good_form(reviewer, law_1="民法典", article_1="第九千条", law_2="村规民约", article_2="第一条")
    page = reviewer.post(f"/bureau/faq/{number}/publish", data=form).get_data(as_text=True)
    assert "《民法典》没有第九千条，请核对条号" in page.split('id="error-citation_1">')[1]
    assert "条文库里没有《村规民约》" in page.split('id="error-citation_2">')[1]
    assert not published_file.exists() and candidate(roster, number).status == "proposed"


def test_every_other_field_is_checked_in_plain_chinese(reviewer, roster, candidates, published_file):
    number = candidates["land"]
    form = good_form(
        reviewer,
        category="",
        question=" ",
        paraphrases="只有一种问法\n只有一种问法\n\n",
        answer="字" * 301,
        law_1="",
        article_1="",
        next_step="",
    )
    resp = reviewer.post(f"/bureau/faq/{number}/publish", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400

    def error(key: str) -> str:
        return page.split(f'id="error-{key}">')[1].split("</span>")[0]

    assert error("category") == "请选择类别"
    assert error("question").startswith("请填写标准问题")
    assert error("paraphrases").startswith("至少要写3种不同问法") and "现在有1种" in error("paraphrases")
    assert error("answer") == "答复有301个字，最多300字，请精简"
    assert error("citations").startswith("至少要写一条法律依据")
    assert error("next_step").startswith("请写下一步怎么办")
    assert not published_file.exists() and candidate(roster, number).status == "proposed"


def test_reject_records_the_reviewer_and_writes_nothing(reviewer, roster, candidates, published_file):
    number = candidates["labor"]
    resp = reviewer.post(f"/bureau/faq/{number}/reject", data={"csrf_token": csrf(reviewer)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/bureau/faq")
    stored = candidate(roster, number)
    assert (stored.status, stored.reviewed_by, stored.faq_id) == ("rejected", "bureau.zhang 同志", None)
    assert stored.reviewed_at is not None and not published_file.exists()
    assert audit_entries(roster, "faq_reject") == [("user:bureau.zhang", f"faq_candidate:{number}", None)]
    listing = reviewer.get("/bureau/faq").get_data(as_text=True)
    assert f"已退回候选 #{number}" in listing and f"#{number}<" not in listing.split('id="candidates"')[1]
    rejected = reviewer.get("/bureau/faq?status=rejected").get_data(as_text=True)
    assert f"#{number}<" in rejected.split('id="candidates"')[1] and "已退回（1）" in rejected
    late = reviewer.post(f"/bureau/faq/{number}/publish", data=good_form(reviewer))
    assert late.status_code == 303 and not published_file.exists()
    assert candidate(roster, number).status == "rejected"
    assert "退回常见问题" in reviewer.get("/bureau/audit").get_data(as_text=True)


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_the_sessions_csrf_token_change_nothing(reviewer, roster, candidates, published_file, token):
    number = candidates["land"]
    form = good_form(reviewer)
    form.pop("csrf_token")
    if token:
        form["csrf_token"] = token
    for action in ("publish", "reject"):
        resp = reviewer.post(f"/bureau/faq/{number}/{action}", data=form)
        assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)
    assert candidate(roster, number).status == "proposed" and not published_file.exists()
    assert audit_entries(roster, "faq_publish") == [] and audit_entries(roster, "faq_reject") == []


def test_a_villagers_numbers_cannot_reach_the_published_faq(reviewer, roster, candidates, published_file):
    number = candidates["land"]
    masked = "邻居占了我家宅基地，我电话139****5678，咋办"  # the form's start, left unedited
    form = good_form(reviewer, question=masked, paraphrases=f"我电话{PHONE}\n问法二\n问法三")
    page = reviewer.post(f"/bureau/faq/{number}/publish", data=form).get_data(as_text=True)
    for key in ("question", "paraphrases"):
        assert "不能有电话、身份证号" in page.split(f'id="error-{key}">')[1].split("</span>")[0]
    assert not published_file.exists() and candidate(roster, number).status == "proposed"
