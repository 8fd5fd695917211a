"""The wechatpy-based gateway against a fake WeChat API server on loopback (real HTTP, scripted errcodes)."""

from __future__ import annotations

import pytest

from bot.delivery import DeliveryError, wechat_gateway
from bot.delivery.wechat_gateway import WeChatGateway
from tests.fake_wechat import FakeWeChat, Step

APPID, SECRET = "wx5f2a6c0d9b8e7a11", "app-secret-for-tests"
OPENID = "oVillagerGateway0000001"


@pytest.fixture
def fake():
    with FakeWeChat() as server:
        yield server


@pytest.fixture
def gateway(fake) -> WeChatGateway:
    return WeChatGateway(APPID, SECRET, base_url=fake.base_url)


def test_token_comes_from_stable_token_once_and_chinese_is_sent_unescaped(fake, gateway):
    gateway.send_text(OPENID, "您好，王律师已答复。")
    gateway.send_text(OPENID, "第二条")
    [token] = fake.token_requests()
    assert token.body == {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": False}
    first, second = fake.delivered()
    assert first.query["access_token"] == second.query["access_token"] == "TOKEN-1"
    assert first.body == {"touser": OPENID, "msgtype": "text", "text": {"content": "您好，王律师已答复。"}}
    assert "您好".encode() in first.raw  # UTF-8, not \\u escapes (escaped Chinese has shown up literally: 40033)


@pytest.mark.parametrize("code", [40001, 40014, 42001])
def test_an_invalid_token_is_refreshed_by_force_and_the_send_retried_once(fake, gateway, code):
    fake.sends = [Step(errcode=code)]
    gateway.send_text(OPENID, "答复")
    tokens = fake.token_requests()
    assert [t.body["force_refresh"] for t in tokens] == [False, True]
    assert [c.query["access_token"] for c in fake.calls if c.path.endswith("/send")] == ["TOKEN-1", "TOKEN-2"]
    assert len(fake.delivered()) == 1


def test_a_token_that_stays_invalid_fails_after_one_retry(fake, gateway):
    fake.sends = [Step(errcode=40001), Step(errcode=40001), Step()]
    with pytest.raises(DeliveryError) as failure:
        gateway.send_text(OPENID, "答复")
    assert failure.value.code == 40001
    assert len([c for c in fake.calls if c.path.endswith("/send")]) == 2  # no unbounded retrying
    assert fake.delivered() == []


def test_system_busy_is_retried_once_after_a_pause(fake, gateway, monkeypatch):
    monkeypatch.setattr(wechat_gateway, "BUSY_RETRY_AFTER", 0.05)
    fake.sends = [Step(errcode=-1)]
    gateway.send_text(OPENID, "答复")
    assert len(fake.delivered()) == 1
    fake.sends = [Step(errcode=-1), Step(errcode=-1)]
    with pytest.raises(DeliveryError) as failure:
        gateway.send_text(OPENID, "答复")
    assert failure.value.code == -1  # the outbox takes it from here, with backoff


@pytest.mark.parametrize("code", [45015, 45047, 43004, 48001])
def test_window_and_account_errors_are_reported_with_their_code_and_not_retried(fake, gateway, code):
    fake.sends = [Step(errcode=code)]
    with pytest.raises(DeliveryError) as failure:
        gateway.send_text(OPENID, "答复")
    assert failure.value.code == code
    assert len([c for c in fake.calls if c.path.endswith("/send")]) == 1


def test_a_hung_request_times_out_as_a_network_error(fake, monkeypatch):
    monkeypatch.setattr(wechat_gateway, "TIMEOUT", (1.0, 0.3))
    gateway = WeChatGateway(APPID, SECRET, base_url=fake.base_url)
    fake.sends = [Step(delay=2.0)]
    with pytest.raises(DeliveryError) as failure:
        gateway.send_text(OPENID, "答复")
    assert failure.value.code is None and "Timeout" in str(failure.value)


def test_token_errors_reach_the_outbox_with_their_code(fake, gateway):
    fake.token_errcode = 40164  # the server's IP is not whitelisted in the Official Account
    with pytest.raises(DeliveryError) as failure:
        gateway.send_text(OPENID, "答复")
    assert failure.value.code == 40164
    assert not [c for c in fake.calls if c.path.endswith("/send")]


def test_template_fields_are_cut_to_twenty_characters_on_one_line(fake, gateway):
    notice = "您的法律咨询已有答复\n请回复任意文字查看，谢谢您的耐心等待"
    gateway.send_template(OPENID, "TPL1", {"thing1": notice, "time2": "2026-11-20 10:00"})
    [call] = fake.delivered()
    assert call.path == "/cgi-bin/message/template/send"
    assert call.body["touser"] == OPENID and call.body["template_id"] == "TPL1"
    assert call.body["data"]["thing1"]["value"] == "您的法律咨询已有答复 请回复任意文字查看"  # 20 characters
    assert call.body["data"]["time2"]["value"] == "2026-11-20 10:00"
