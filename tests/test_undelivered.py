"""An adviser's answer that has not reached the villager a day later: the adviser is told once to pass it on."""

from __future__ import annotations

from bot.jobs.outbox import deliver_due
from bot.jobs.undelivered import chase_undelivered
from tests.helpers import ADVISER_WANG, PERSONAL_CASE, consultations, outbox
from tests.test_bridge import bridge  # noqa: F401 (fixture)
from tests.test_outbox import RecordingGateway

V = "oVillagerUndelivered01"


def answered_after_the_window(wechat, roster, clock, failures=None):
    """The villager asks, goes quiet for 50 hours, then the adviser answers: WeChat holds the answer."""
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, PERSONAL_CASE)
    [case] = consultations(roster)
    clock.advance(hours=50)
    wechat.text(ADVISER_WANG, f"#{case.id} 建议先申请乡镇政府调处。")
    deliver_due(roster, RecordingGateway(failures))
    return case


def notices(roster) -> list[str]:
    return [m.text for m in outbox(roster, ADVISER_WANG) if m.text.startswith("【答复未送达")]


def test_a_held_answer_is_flagged_to_the_adviser_once_after_a_day(wechat, roster, clock):
    case = answered_after_the_window(wechat, roster, clock)
    assert outbox(roster, V)[0].status == "held"
    clock.advance(hours=23)
    assert chase_undelivered(roster) == 0  # not yet a day
    clock.advance(hours=2)
    assert chase_undelivered(roster) == 1
    assert chase_undelivered(roster) == 0  # never twice
    [notice] = notices(roster)
    assert f"#{case.id}" in notice and "河东村" in notice and "48小时内没有再发消息" in notice
    assert [e.kind for e in consultations(roster)[0].events][-1] == "undelivered_notice"


def test_an_answer_refused_for_good_says_so(wechat, roster, clock):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, PERSONAL_CASE)
    [case] = consultations(roster)
    deliver_due(roster, RecordingGateway())  # the adviser's notice of the new question
    wechat.text(ADVISER_WANG, f"#{case.id} 建议先申请乡镇政府调处。")
    deliver_due(roster, RecordingGateway([43004]))  # the villager unfollowed the account
    assert [m.status for m in outbox(roster, V)] == ["failed"]
    clock.advance(hours=25)
    assert chase_undelivered(roster) == 1
    assert "取消关注" in notices(roster)[0]


def test_delivered_and_offline_answers_need_no_notice(wechat, roster, clock):
    case = answered_after_the_window(wechat, roster, clock)
    wechat.text(V, "你好")  # the held answer rides on this passive reply
    assert consultations(roster)[0].delivered_at is not None
    clock.advance(hours=30)
    assert chase_undelivered(roster) == 0
    assert notices(roster) == []
    assert case.id == consultations(roster)[0].id


def test_the_worker_runs_it_every_ten_minutes(roster):
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.jobs.worker import schedule_jobs

    jobs = {job.id: job for job in schedule_jobs(BackgroundScheduler(), roster, gateway=None).get_jobs()}
    assert jobs["chase_undelivered_answers"].trigger.interval.total_seconds() == 600


def test_a_villager_who_asked_through_a_group_bridge_cannot_be_written_to(bridge, services, wechat, clock):  # noqa: F811
    bridge.send("绑定 河西村", chat_type="private", sender="wxid_quiet1")
    bridge.send(PERSONAL_CASE, chat_type="private", sender="wxid_quiet1")
    [case] = consultations(services)
    assert case.channel == "bridge" and case.status == "waiting_adviser"
    wechat.text(ADVISER_WANG, f"#{case.id} 建议先申请乡镇政府调处。")
    deliver_due(services, RecordingGateway())
    clock.advance(hours=25)
    assert chase_undelivered(services) == 1
    [notice] = [m.text for m in outbox(services, ADVISER_WANG) if m.text.startswith("【答复未送达")]
    assert "群里提问" in notice
