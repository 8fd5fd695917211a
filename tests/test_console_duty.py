"""The duty page (签到/签退, talks, mediations) and the adviser's monthly ledger."""

from __future__ import annotations

from sqlalchemy import select

from bot.ledger import repo
from bot.ledger.tables import DutyRecord, Village
from tests.test_console_support import CHENGGUAN_HEDONG, HEKOU_HEDONG, WANG, ZHANG, ask, login, post


def village_id(services, code: str) -> int:
    with services.sessions() as session:
        return repo.village_by_code(session, code).id


def records(services) -> list[DutyRecord]:
    with services.sessions() as session:
        return list(session.scalars(select(DutyRecord).order_by(DutyRecord.id)))


def test_check_in_and_out_records_hours_shown_against_the_minimum(client, roster, clock):
    login(client, roster, WANG)
    resp = post(client, "/adviser/duty/check-in", follow=True, village_id=str(village_id(roster, CHENGGUAN_HEDONG)))
    body = resp.get_data(as_text=True)
    assert "已签到：河东村（城关镇），10:00" in body and "正在 <b>河东村（城关镇）</b> 驻点" in body
    [record] = records(roster)
    assert (record.kind, record.ended_at, record.started_at) == ("onsite", None, clock.now())
    clock.advance(hours=2, minutes=30)
    body = post(client, "/adviser/duty/check-out", follow=True).get_data(as_text=True)
    assert "本次驻点2.5小时" in body and "累计2.5小时（要求8小时）" in body
    [record] = records(roster)
    assert record.ended_at == clock.now()
    assert "没有签到" in post(client, "/adviser/duty/check-out", follow=True).get_data(as_text=True)
    ledger = client.get("/adviser/ledger?month=2026-11").get_data(as_text=True)
    assert '<tr class="short">' in ledger and "2.5 / 8" in ledger and "不足" in ledger


def test_checking_in_elsewhere_closes_the_open_record(client, roster, clock, services, settings):
    services.settings = settings.with_overrides(onsite_min_hours=6.0)  # LEGALBOT_ONSITE_MIN_HOURS=6
    login(client, roster, WANG)
    with roster.sessions() as session:
        other = session.scalar(select(Village).where(Village.code == "370303002"))
    post(client, "/adviser/duty/check-in", village_id=str(village_id(roster, CHENGGUAN_HEDONG)))
    clock.advance(hours=7)
    post(client, "/adviser/duty/check-in", village_id=str(other.id))
    first, second = records(roster)
    assert first.ended_at == clock.now() and second.village_id == other.id and second.ended_at is None
    ledger = client.get("/adviser/ledger").get_data(as_text=True)
    assert "7 / 6" in ledger and "0 / 6" in ledger
    assert ledger.count('<tr class="short">') == 1  # only 河西村 is short now


def test_talks_and_mediations_are_recorded_with_their_note(client, roster):
    login(client, roster, WANG)
    hedong = str(village_id(roster, CHENGGUAN_HEDONG))
    talk = "讲民法典婚姻家庭编"
    resp = post(client, "/adviser/duty/activity", follow=True, village_id=hedong, kind="talk", note=talk)
    assert "已记录法治讲座" in resp.get_data(as_text=True)
    post(client, "/adviser/duty/activity", village_id=hedong, kind="mediation", note="调解宅基地边界纠纷，达成协议")
    bad = post(client, "/adviser/duty/activity", follow=True, village_id=hedong, kind="party", note="x")
    assert "请选择是法治讲座还是调解" in bad.get_data(as_text=True)
    assert [(r.kind, r.note) for r in records(roster)] == [
        ("talk", "讲民法典婚姻家庭编"),
        ("mediation", "调解宅基地边界纠纷，达成协议"),
    ]
    page = client.get("/adviser/duty").get_data(as_text=True)
    assert "讲民法典婚姻家庭编" in page and "调解宅基地边界纠纷" in page
    ledger = client.get("/adviser/ledger?month=2026-11").get_data(as_text=True)
    assert "<td>1</td><td>1</td>" in ledger


def test_duty_only_in_my_villages(client, roster):
    login(client, roster, ZHANG)
    theirs = str(village_id(roster, CHENGGUAN_HEDONG))
    assert post(client, "/adviser/duty/check-in", village_id=theirs).status_code == 404
    assert post(client, "/adviser/duty/activity", village_id=theirs, kind="talk", note="x").status_code == 404
    assert records(roster) == []
    page = client.get("/adviser/duty").get_data(as_text=True)
    assert "河东村（河口镇）" in page and "城关镇" not in page


def test_monthly_ledger_counts_my_consultations(client, roster, wechat, clock):
    answered = ask(wechat, roster, "oVillagerLedger000001", CHENGGUAN_HEDONG)
    offline = ask(wechat, roster, "oVillagerLedger000002", CHENGGUAN_HEDONG)
    ask(wechat, roster, "oVillagerLedger000003", CHENGGUAN_HEDONG)  # still waiting
    ask(wechat, roster, "oVillagerLedger000004", HEKOU_HEDONG)  # 张伟's, not mine
    login(client, roster, WANG)
    post(client, f"/adviser/consultations/{answered.id}/answer", answer="您好，先找村委会调解。")
    clock.advance(hours=6)  # Friday 16:00, after the 15:30 deadline
    post(client, f"/adviser/consultations/{offline.id}/offline", note="已电话答复")
    body = client.get("/adviser/ledger?month=2026-11").get_data(as_text=True)
    figures = {
        name: body.split(f'id="count-{name}">', 1)[1].split("<", 1)[0]
        for name in ("responsible", "answered", "offline", "late", "open")
    }
    assert figures == {"responsible": "3", "answered": "2", "offline": "1", "late": "1", "open": "1"}
    assert "本月咨询（3条）" in body and "（我答复）" in body and "2026年11月" in body
    october = client.get("/adviser/ledger?month=2026-10").get_data(as_text=True)
    assert "本月咨询（0条）" in october and 'id="count-answered">0<' in october
    assert "month=2026-10" in body and "month=2026-12" in body


def test_malformed_month_is_explained(client, roster):
    login(client, roster, WANG)
    for month in ("2026-13", "november", "2026/11"):
        resp = client.get(f"/adviser/ledger?month={month}")
        assert resp.status_code == 400 and "2026-11" in resp.get_data(as_text=True)
