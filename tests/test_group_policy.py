"""Group etiquette and privacy (through the bridge): silent unless addressed or asked a clear general
question; general FAQ answered and masked; a personal case goes private with a consultation; sensitive
matters are alerted; groups map to villages through the roster's 群ID column."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from bot.handlers.group import GROUP_ALERT
from bot.jobs.outbox import deliver_due
from bot.ledger.tables import Consultation, InboundMessage, OutboxMessage, Village, VillageGroup, Villager
from bot.roster import RosterError, import_roster
from tests.group_chats import (
    BRIDGE_KEY,
    BRIDGE_SECRET,
    HEDONG_GROUP,
    HEDONG_GROUP_2,
    HEXI_GROUP,
    PERSONAL_STORY,
    BridgeClient,
    group_roster,
)
from tests.helpers import ADVISER_WANG
from tests.test_outbox import RecordingGateway

SENDER = "bridge:k1:wxid_villager1"


@pytest.fixture
def group(services, client, clock, tmp_path) -> BridgeClient:
    services.settings = services.settings.with_overrides(bridge_keys={BRIDGE_KEY: BRIDGE_SECRET})
    with services.sessions.begin() as session:
        import_roster(session, group_roster(tmp_path))
    return BridgeClient(client, clock)


def cases(services) -> list[Consultation]:
    with services.sessions() as session:
        return list(session.scalars(select(Consultation).order_by(Consultation.id)))


def outbox_to(services, recipient: str) -> list[OutboxMessage]:
    with services.sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)))


# ---- when to speak ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["明天上午村委会开会，大家记得来", "大家好", PERSONAL_STORY, "离婚冷静期是30天"])
def test_silent_when_not_addressed_and_not_a_clear_general_question(group, services, text):
    resp = group.send(text)
    assert resp.status == 200 and resp.reply is None
    assert cases(services) == []
    with services.sessions() as session:
        [row] = session.scalars(select(InboundMessage)).all()
    assert (row.channel, row.text, row.status) == ("bridge", text, "done")  # logged with its channel


def test_clear_general_question_is_answered_without_being_addressed(group, services):
    resp = group.send("离婚冷静期多久？")
    assert "《民法典》第一千零七十七条" in resp.text and resp.reply["mention"] == ["wxid_villager1"]
    [case] = cases(services)
    assert (case.channel, case.route, case.status) == ("bridge", "bot", "bot_answered")


@pytest.mark.parametrize("text", ["问律师：离婚冷静期多久", "请问律师 离婚冷静期多久"])
def test_prefix_addresses_the_bot(group, text):
    assert "《民法典》第一千零七十七条" in group.send(text).text


def test_greeting_when_addressed_is_a_short_introduction_not_a_ledger_record(group, services):
    resp = group.send("@法律助手", mentioned_bot=True)
    assert "请私信我" in resp.text and "12348" in resp.text
    assert group.send("@法律助手 你好", mentioned_bot=True).text == resp.text
    assert cases(services) == []


def test_a_longer_greeting_with_something_to_ask_goes_private_when_addressed(group, services):
    """Past smalltalk_max_chars characters a greeting-like message is a question, in a group too."""
    resp = group.send("@法律助手 你好 律师 在不在 有个事想问问你", mentioned_bot=True)
    assert "涉及个人情况，请私信" in resp.text
    [case] = cases(services)
    assert (case.status, case.channel) == ("waiting_adviser", "bridge")


# ---- what is posted ------------------------------------------------------------------------------------
def test_faq_answer_posted_in_a_group_is_masked(group, services, monkeypatch):
    """Whatever an FAQ answer carries, phone and ID numbers are masked before it reaches a group."""
    answerer = services.answerer
    real = answerer.decide

    def with_numbers(text):
        decision = real(text)
        extra = "\n咨询电话13812345678，示例身份证370303199001011234，座机0533-2345678。"
        return dataclasses.replace(decision, answer=decision.answer + extra)

    monkeypatch.setattr(answerer, "decide", with_numbers)
    resp = group.send("@法律助手 离婚冷静期多久", mentioned_bot=True)
    assert "《民法典》第一千零七十七条" in resp.text
    assert "13812345678" not in resp.text and "138****5678" in resp.text
    assert "370303199001011234" not in resp.text and "370***********1234" in resp.text
    assert "2345678" not in resp.text


def test_faq_entry_not_marked_general_is_not_answered_in_a_group(group, services, monkeypatch):
    index = services.answerer.faq_index
    faq_id = services.answerer.decide("离婚冷静期多久").faq_id
    position = index.by_id[faq_id]
    entries = list(index.entries)
    entries[position] = dataclasses.replace(entries[position], general=False)
    monkeypatch.setattr(index, "entries", entries)
    resp = group.send("@法律助手 离婚冷静期多久", mentioned_bot=True)
    assert "涉及个人情况，请私信" in resp.text and "第一千零七十七条" not in resp.text
    [case] = cases(services)
    assert (case.status, case.route) == ("waiting_adviser", "adviser")


# ---- personal cases ------------------------------------------------------------------------------------
def test_personal_case_goes_private_with_a_consultation_and_the_answer_never_reaches_the_group(group, services, wechat):
    resp = group.send(f"@法律助手 {PERSONAL_STORY}", mentioned_bot=True)
    assert resp.text.startswith("涉及个人情况，请私信") and "王明律师" in resp.text and "河东村" in resp.text
    assert "宅基地" not in resp.text and "树" not in resp.text  # the case itself is not repeated in the group
    [case] = cases(services)
    assert (case.channel, case.status, case.route, case.village.name) == (
        "bridge",
        "waiting_adviser",
        "adviser",
        "河东村",
    )
    [notice] = [m for m in outbox_to(services, ADVISER_WANG) if m.purpose == "adviser_notice"]
    assert PERSONAL_STORY in notice.text and f"#{case.id}" in notice.text  # the adviser sees it in full, privately

    wechat.text(ADVISER_WANG, f"#{case.id} 您好，请先拍照留证，再申请村委会重新确认四至。")
    gateway = RecordingGateway()
    deliver_due(services, gateway)
    assert SENDER not in [recipient for recipient, _ in gateway.sent]  # a bridge sender cannot be pushed to
    assert [m.status for m in outbox_to(services, SENDER)] == ["held"]

    in_group = group.send("@法律助手 离婚冷静期多久", mentioned_bot=True)
    assert "四至" not in in_group.text  # someone's answer is never posted into a group
    private = group.send("在吗", chat_type="private")
    assert "四至" in private.text and private.reply["mention"] == []
    with services.sessions() as session:
        assert session.get(Consultation, case.id).delivered_at is not None


def test_human_request_in_the_group_opens_a_private_consultation(group, services):
    resp = group.send("@法律助手 人工", mentioned_bot=True)
    assert "涉及个人情况，请私信" in resp.text
    [case] = cases(services)
    assert (case.status, case.channel) == ("waiting_adviser", "bridge") and "群里请求人工" in case.question


def test_a_second_personal_message_joins_the_open_consultation(group, services):
    group.send(f"@法律助手 {PERSONAL_STORY}", mentioned_bot=True)
    group.send("@法律助手 他昨天又来我家闹了，还说下个月要起诉我，我该怎么办", mentioned_bot=True)
    [case] = cases(services)
    with services.sessions() as session:
        texts = [m.text for m in session.get(Consultation, case.id).messages]
    assert len(texts) == 2 and "起诉" in texts[1]


# ---- sensitive matters ---------------------------------------------------------------------------------
def test_sensitive_matter_is_alerted_and_answered_with_one_calm_line(group, services):
    resp = group.send("@法律助手 活着没意思，我不想活了", mentioned_bot=True)
    assert resp.text == GROUP_ALERT and "不想活" not in resp.text
    [case] = cases(services)
    assert (case.status, case.alert_kind, case.channel) == ("alert", "self_harm", "bridge")
    assert any(m.purpose == "adviser_notice" for m in outbox_to(services, ADVISER_WANG))
    assert [m.purpose for m in outbox_to(services, "oDemoOfficeChengguan")] == ["alert_office"]


def test_sensitive_matter_not_addressed_to_the_bot_is_alerted_silently(group, services):
    resp = group.send("他再不还钱我就拿刀去砍死他全家")
    assert resp.reply is None
    [case] = cases(services)
    assert (case.status, case.alert_kind) == ("alert", "violence")


# ---- group → village through the roster ----------------------------------------------------------------
def test_each_group_maps_to_its_village(group, services):
    group.send(f"@法律助手 {PERSONAL_STORY}", mentioned_bot=True, chat_id=HEXI_GROUP, sender="wxid_hexi")
    group.send("离婚冷静期多久？", chat_id=HEDONG_GROUP_2, sender="wxid_hedong")
    hexi, hedong = cases(services)
    assert (hexi.village.name, hexi.village.code) == ("河西村", "370303002")
    assert (hedong.village.name, hedong.village.code) == ("河东村", "370303001")
    with services.sessions() as session:
        bound = session.scalar(select(Villager).where(Villager.openid == "bridge:k1:wxid_hexi"))
        assert bound.village.code == "370303002" and bound.pseudonym.startswith("V")


def test_unmapped_group_keeps_the_question_until_the_sender_names_a_village(group, services):
    resp = group.send(f"@法律助手 {PERSONAL_STORY}", mentioned_bot=True, chat_id="grp-unknown")
    assert "涉及个人情况，请私信" in resp.text and "绑定" in resp.text
    assert cases(services) == []
    bound = group.send("绑定 河西村", chat_type="private")
    assert "河西村" in bound.text
    [case] = cases(services)
    assert (case.village.name, case.status, case.question) == (
        "河西村",
        "waiting_adviser",
        f"@法律助手 {PERSONAL_STORY}",
    )


def test_roster_group_ids_are_imported_and_validated(services, tmp_path):
    with services.sessions.begin() as session:
        result = import_roster(session, group_roster(tmp_path))
    assert result.groups == 4
    with services.sessions() as session:
        mapped = {g.chat_id: g.village.code for g in session.scalars(select(VillageGroup))}
    assert mapped[HEDONG_GROUP] == mapped[HEDONG_GROUP_2] == "370303001" and mapped[HEXI_GROUP] == "370303002"

    twice = group_roster(tmp_path, (HEDONG_GROUP, f"{HEXI_GROUP}；{HEDONG_GROUP}", ""))
    with pytest.raises(RosterError) as err, services.sessions.begin() as session:
        import_roster(session, twice)
    assert err.value.problems == [f"第3行：群ID {HEDONG_GROUP} 已在第2行出现，一个群只能属于一个村"]

    bad = group_roster(tmp_path, ("群 一", "", ""))
    with pytest.raises(RosterError, match="第2行：群ID“群”格式不对"), services.sessions.begin() as session:
        import_roster(session, bad)


def test_roster_moves_and_removes_groups_and_refuses_a_group_of_a_village_not_in_the_file(services, tmp_path):
    with services.sessions.begin() as session:
        import_roster(session, group_roster(tmp_path))
    moved = group_roster(tmp_path, ("", f"{HEXI_GROUP};{HEDONG_GROUP}", HEDONG_GROUP_2))
    with services.sessions.begin() as session:
        import_roster(session, moved)
    with services.sessions() as session:
        mapped = {g.chat_id: g.village.code for g in session.scalars(select(VillageGroup))}
    assert mapped == {HEXI_GROUP: "370303002", HEDONG_GROUP: "370303002", HEDONG_GROUP_2: "370304001"}

    header = "county,town,village_code,village_name,adviser_a_name,adviser_a_phone,group_ids\n"
    other = tmp_path / "one_village.csv"
    other.write_text(header + f"示范县,城关镇,370303001,河东村,王明,13800000001,{HEXI_GROUP}\n", encoding="utf-8")
    with pytest.raises(RosterError) as err, services.sessions.begin() as session:
        import_roster(session, other)
    [problem] = err.value.problems
    assert problem.startswith(f"第2行：群ID {HEXI_GROUP} 已属于河西村（村代码 370303002）")
    with services.sessions() as session:  # nothing changed
        assert (
            session.scalar(select(VillageGroup).where(VillageGroup.chat_id == HEXI_GROUP)).village.code == "370303002"
        )


def test_roster_without_the_column_leaves_groups_alone(services, tmp_path, roster_file):
    with services.sessions.begin() as session:
        import_roster(session, group_roster(tmp_path))
        import_roster(session, roster_file)  # the demo roster has no 群ID column
    with services.sessions() as session:
        assert len(session.scalars(select(VillageGroup)).all()) == 4
        assert session.scalar(select(Village).where(Village.code == "370303001")) is not None
