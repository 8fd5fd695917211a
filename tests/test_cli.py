"""The ``legalbot`` console commands, invoked as a user would (environment variables only)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import cli
from bot.config import ConfigError, Settings
from tests.helpers import ADVISER_WANG, PERSONAL_CASE, consultations

V = "oVillagerCli0000000001"


@pytest.fixture
def env(settings, monkeypatch):
    values = {
        "LEGALBOT_DATABASE_URL": settings.database_url,
        "LEGALBOT_SECRET_KEY": "test-secret",
        "LEGALBOT_INSTANCE_DIR": str(settings.instance_dir),
        "LEGALBOT_MODEL_DIR": str(settings.model_dir),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_ask_json_answers_a_faq_question(env):
    result = invoke("ask", "离婚冷静期多久", "--json")
    data = json.loads(result.output)
    assert set(data) >= {"category", "confidence", "action", "answer", "faq_id", "citations"}
    assert data["action"] == "answer" and data["category"] == "marriage_family"
    assert "《民法典》第一千零七十七条" in data["citations"]


def test_ask_names_the_adviser_when_forwarding(env, roster):
    question = "俺男人在外头打工出事了，包工头跑了，工地说不管，医药费花了好几万，咋整"
    result = invoke("ask", question, "--village", "370303001", "--json")
    data = json.loads(result.output)
    assert data["action"] == "forward" and "王明律师" in data["answer"]
    assert consultations(roster) == []  # ask writes nothing to the ledger


def test_ask_reads_questions_from_stdin(env):
    result = invoke("ask", "-", "--json", input="你好\n我不想活了\n\n结婚年龄是多少\n")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["action"] for d in lines] == ["smalltalk", "alert", "answer"]


def test_ask_unknown_village(env, roster):
    result = CliRunner().invoke(cli, ["ask", "x", "--village", "000"])
    assert result.exit_code == 1 and "000" in result.output


def test_ledger_export_csv_to_stdout_and_xlsx_to_file(env, roster, wechat, tmp_path):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, "离婚冷静期多久")
    wechat.text(
        V,
        PERSONAL_CASE.replace("现在咋办", "我电话13912345678，现在咋办"),
    )
    case = consultations(roster)[-1]
    wechat.text(ADVISER_WANG, f"#{case.id} 先找村委会调解。")
    result = invoke("ledger", "export", "--village", "370303001", "--from", "2026-11-01", "--to", "2026-11-30")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:3] == ["编号", "村代码", "村名"]
    assert len(rows) == 3
    assert rows[2][12].count("139****5678") == 1 and "13912345678" not in result.output
    assert rows[2][10] == "顾问" and rows[2][17] != ""
    out = tmp_path / "volume.xlsx"
    invoke(
        "ledger",
        "export",
        "--village",
        "370303001",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "xlsx",
        "--output",
        str(out),
    )
    sheet = load_workbook(out).active
    assert sheet["A2"].value == "编号" and sheet.max_row == 4
    empty = invoke("ledger", "export", "--village", "370303001", "--from", "2026-10-01", "--to", "2026-10-31")
    assert len(list(csv.reader(io.StringIO(empty.output)))) == 1


def test_ledger_export_dates_are_asia_shanghai(env, roster, wechat, clock):
    import datetime as dt

    clock.at = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)  # 2026-12-01 01:00 in Shanghai
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(V, "离婚冷静期多久")
    nov = invoke("ledger", "export", "--village", "370303001", "--from", "2026-11-01", "--to", "2026-11-30")
    dec = invoke("ledger", "export", "--village", "370303001", "--from", "2026-12-01", "--to", "2026-12-01")
    assert len(list(csv.reader(io.StringIO(nov.output)))) == 1
    assert len(list(csv.reader(io.StringIO(dec.output)))) == 2


def test_outbox_list_json(env, roster, wechat):
    wechat.event(V, "subscribe", "qrscene_370303001")
    wechat.text(
        V,
        PERSONAL_CASE,
    )
    data = json.loads(invoke("outbox", "list", "--json").output)
    assert data[0]["to"] == ADVISER_WANG
    assert set(data[0]) >= {"id", "to", "text", "status", "attempts", "created_at"}


def test_commands_explain_a_missing_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("LEGALBOT_INSTANCE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["outbox", "list"])
    assert result.exit_code == 1 and "legalbot db upgrade" in result.output
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0
    assert CliRunner().invoke(cli, ["outbox", "list"]).exit_code == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEGALBOT_WECHAT_AES_KEY", "short"),
        ("LEGALBOT_WECHAT_TOKEN", "bad token!"),
        ("LEGALBOT_DELIVERY", "sms"),
        ("LEGALBOT_MAX_BODY_BYTES", "lots"),
        ("LEGALBOT_DATABASE_URL", "legalbot.db"),
        ("LEGALBOT_DATABASE_URL", "mysql://u:p@db/legalbot"),
        ("LEGALBOT_SIMULATOR", "maybe"),
        ("LEGALBOT_STATUTES_DIR", "/nonexistent/laws"),
    ],
)
def test_bad_configuration_names_the_variable(name, value, tmp_path):
    env = {"LEGALBOT_INSTANCE_DIR": str(tmp_path), "LEGALBOT_WECHAT_APPID": "wx1", name: value}
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_the_statutes_folder_is_configurable(tmp_path):
    (tmp_path / "laws").mkdir()
    env = {"LEGALBOT_INSTANCE_DIR": str(tmp_path), "LEGALBOT_STATUTES_DIR": str(tmp_path / "laws")}
    assert Settings.from_env(env).statutes_dir == (tmp_path / "laws").resolve()


def test_wechat_delivery_needs_credentials(tmp_path):
    with pytest.raises(ConfigError, match="LEGALBOT_WECHAT_SECRET"):
        Settings.from_env({"LEGALBOT_INSTANCE_DIR": str(tmp_path), "LEGALBOT_DELIVERY": "wechat"})


def test_cli_reports_bad_configuration(monkeypatch):
    monkeypatch.setenv("LEGALBOT_DELIVERY", "pigeon")
    result = CliRunner().invoke(cli, ["outbox", "list"])
    assert result.exit_code == 1 and "LEGALBOT_DELIVERY" in result.output
