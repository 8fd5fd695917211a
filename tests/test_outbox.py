"""Outbox delivery: retries with backoff, WeChat's 48-hour window and quota, held answers delivered passively."""

from __future__ import annotations

import datetime as dt

from bot.delivery import DeliveryError
from bot.jobs.outbox import deliver_due
from bot.ledger import repo
from tests.helpers import ADVISER_WANG, PERSONAL_CASE, consultations, outbox

V = "oVillagerOutbox0000001"


class RecordingGateway:
    """The one interface tests replace: WeChat's servers. Fails with the given codes first."""

    def __init__(self, failures: list[int | None] | None = None):
        self.failures = list(failures or [])
        self.sent: list[tuple[str, str]] = []

    def _maybe_fail(self) -> None:
        if self.failures:
            raise DeliveryError(self.failures.pop(0), "simulated")

    def send_text(self, openid: str, text: str) -> None:
        self._maybe_fail()
        self.sent.append((openid, text))

    def send_template(self, openid: str, template_id: str, fields: dict[str, str]) -> None:
        self._maybe_fail()
        self.sent.append((openid, f"template:{template_id}:{fields['thing1']}"))

    def send_wecom_text(self, userid: str, text: str) -> None:
        self._maybe_fail()
        self.sent.append((f"wecom:{userid}", text))


def queue(services, recipient: str, text: str = "通知", window_at: dt.datetime | None = None) -> int:
    now = services.clock.now()
    with services.sessions.begin() as session:
        if window_at is not None:
            repo.open_window(session, recipient, window_at)
        return repo.enqueue(session, recipient, text, now)


def test_pending_message_inside_the_window_is_sent_once(services):
    queue(services, V, window_at=services.clock.now())
    gateway = RecordingGateway()
    assert deliver_due(services, gateway) == 1
    assert deliver_due(services, gateway) == 0
    assert gateway.sent == [(V, "通知")]
    assert outbox(services)[0].status == "sent"


def test_outside_the_48_hour_window_the_message_is_held(services, clock):
    queue(services, V, window_at=clock.now() - dt.timedelta(hours=49))
    gateway = RecordingGateway()
    deliver_due(services, gateway)
    assert gateway.sent == [] and outbox(services)[0].status == "held"


def test_window_quota_is_five_messages(services, clock):
    for i in range(7):
        queue(services, V, f"消息{i}", window_at=clock.now() if i == 0 else None)
    gateway = RecordingGateway()
    deliver_due(services, gateway)
    assert len(gateway.sent) == 5
    assert [m.status for m in outbox(services)].count("held") == 2


def test_transient_errors_are_retried_with_backoff(services, clock):
    queue(services, V, window_at=clock.now())
    gateway = RecordingGateway(failures=[-1, None])
    deliver_due(services, gateway)
    [msg] = outbox(services)
    assert msg.status == "pending" and msg.attempts == 1 and msg.next_attempt_at > clock.now()
    assert deliver_due(services, gateway) == 0  # not due yet
    clock.advance(seconds=10)
    gateway.failures = []
    assert deliver_due(services, gateway) == 1
    assert outbox(services)[0].attempts == 2


def test_45015_and_45047_hold_the_message(services, clock):
    queue(services, V, window_at=clock.now())
    queue(services, "oOther000000000000001", window_at=clock.now())
    deliver_due(services, RecordingGateway(failures=[45015, 45047]))
    assert [m.status for m in outbox(services)] == ["held", "held"]


def test_unfollowed_user_fails_for_good(services, clock):
    queue(services, V, window_at=clock.now())
    deliver_due(services, RecordingGateway(failures=[43004]))
    assert outbox(services)[0].status == "failed"


def test_held_answer_rides_on_the_next_passive_reply(wechat, roster, clock):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(
        V,
        PERSONAL_CASE,
    )
    case = consultations(roster)[0]
    clock.advance(hours=50)  # the villager's 48-hour window has closed
    wechat.text(ADVISER_WANG, f"#{case.id} 建议先申请乡镇政府调处。")
    deliver_due(roster, RecordingGateway())
    assert outbox(roster, V)[0].status == "held"
    resp = wechat.text(V, "你好")
    assert "建议先申请乡镇政府调处" in resp.text and "法律咨询助手" in resp.text
    assert outbox(roster, V)[0].status == "sent_passive"
    assert consultations(roster)[0].delivered_at == clock.now()


def test_claim_is_exclusive(services, clock):
    from bot.jobs.outbox import claim

    msg_id = queue(services, V, window_at=clock.now())
    with services.sessions.begin() as session:
        assert claim(session, msg_id, clock.now())
    with services.sessions.begin() as session:
        assert not claim(session, msg_id, clock.now())
    clock.advance(minutes=2)  # a dead worker's claim expires
    with services.sessions.begin() as session:
        assert claim(session, msg_id, clock.now())


def test_held_answer_sends_one_template_notice(wechat, roster, clock):
    roster.settings = roster.settings.with_overrides(wechat_template_id="TPL_ANSWER_READY")
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(
        V,
        PERSONAL_CASE,
    )
    case = consultations(roster)[0]
    clock.advance(hours=50)
    wechat.text(ADVISER_WANG, f"#{case.id} 建议先申请乡镇政府调处。")
    wechat.text(ADVISER_WANG, f"#{case.id} 补充：带上宅基地证。")
    gateway = RecordingGateway()
    deliver_due(roster, gateway)
    deliver_due(roster, gateway)
    assert [sent for sent in gateway.sent if sent[0] == V] == [(V, "template:TPL_ANSWER_READY:您的法律咨询已有答复")]
    assert [m.status for m in outbox(roster, V) if m.kind == "text"] == ["held", "held"]


def test_advisers_with_wecom_are_notified_there(wechat, roster):
    from bot.ledger.tables import Adviser

    roster.settings = roster.settings.with_overrides(
        wecom_corp_id="ww0123456789",
        wecom_agent_id=1000002,
        wecom_secret="s",
        wecom_token="t",
        wecom_aes_key="a" * 43,
    )
    with roster.sessions.begin() as session:
        session.query(Adviser).filter_by(phone="13800000001").one().wecom_userid = "WangMing"
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(
        V,
        PERSONAL_CASE,
    )
    [notice] = outbox(roster, "WangMing")
    assert notice.kind == "wecom"
    gateway = RecordingGateway()
    deliver_due(roster, gateway)  # no 48-hour window for WeCom members
    assert gateway.sent[0][0] == "wecom:WangMing"
