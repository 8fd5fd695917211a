"""``legalbot stats --week 2026-W47 --json|--csv|--xlsx`` as a user runs it (environment variables only)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import cli
from bot.stats.periods import parse_week
from tests.stats_ledger import SH, counted, generate


@pytest.fixture
def env(settings, monkeypatch, roster):
    for key, value in {
        "LEGALBOT_DATABASE_URL": settings.database_url,
        "LEGALBOT_SECRET_KEY": "test-secret",
        "LEGALBOT_INSTANCE_DIR": str(settings.instance_dir),
        "LEGALBOT_MODEL_DIR": str(settings.model_dir),
    }.items():
        monkeypatch.setenv(key, value)
    return generate(roster)


def week_rows(ledger, label: str) -> list[dict]:
    period = parse_week(label)
    return [
        r
        for r in ledger.records
        if period.first_day <= r["created_at"].astimezone(SH).date() <= period.last_day and counted(r)
    ]


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_json_has_the_breakdowns_and_the_right_numbers(env):
    data = json.loads(invoke("stats", "--week", "2026-W47", "--json").stdout)
    assert {"total", "by_category", "by_village", "by_town", "by_adviser", "by_route"} <= set(data)
    rows = week_rows(env, "2026-W47")
    assert data["total"] == len(rows)
    assert {c["category"]: c["total"] for c in data["by_category"] if c["total"]} == dict(
        Counter(r["category"] for r in rows)
    )
    assert data["period"]["label"] == "2026-W47" and data["scope"]["county"] is None


def test_county_and_town_options(env):
    rows = week_rows(env, "2026-W47")
    town = json.loads(invoke("stats", "--week", "2026-W47", "--town", "城关镇", "--json").stdout)
    assert town["total"] == sum(1 for r in rows if env.village_town[r["village_id"]] == env.towns["城关镇"])
    county = json.loads(invoke("stats", "--week", "2026-W47", "--county", "另一县", "--json").stdout)
    assert county["total"] == sum(1 for r in rows if env.town_county[env.village_town[r["village_id"]]] == "另一县")
    bad = CliRunner().invoke(cli, ["stats", "--town", "没有镇"])
    assert bad.exit_code != 0 and "找不到镇" in bad.output
    bad = CliRunner().invoke(cli, ["stats", "--week", "W47"])
    assert bad.exit_code != 0 and "2026-W47" in bad.output


def test_csv_sections_with_chinese_headers(env):
    text = invoke("stats", "--week", "2026-W47", "--csv").stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["法律咨询统计 全部 2026年第47周（2026年11月16日至11月22日）"]
    start = rows.index(["【按办理方式】"])
    assert rows[start + 1] == ["办理方式", "咨询量"]
    routes = dict(r for r in rows[start + 2 : start + 6])
    assert sum(int(v) for v in routes.values()) == len(week_rows(env, "2026-W47"))
    only = list(
        csv.reader(io.StringIO(invoke("stats", "--week", "2026-W47", "--csv", "--breakdown", "by_town").stdout))
    )
    assert only[0][:3] == ["县", "镇", "咨询量"] and len(only) == 1 + 4


def test_xlsx_has_one_sheet_per_breakdown(env, tmp_path):
    target = tmp_path / "w47.xlsx"
    result = invoke("stats", "--week", "2026-W47", "--xlsx", "--output", str(target))
    assert "已写入" in result.stderr
    book = load_workbook(target)
    assert book.sheetnames[:3] == ["总览", "按办理方式", "按县"] and "按顾问" in book.sheetnames
    assert book["总览"]["A2"].value == "指标" and book["总览"]["B3"].value == len(week_rows(env, "2026-W47"))
    sheet = book["按类别"]
    assert sheet["A2"].value == "类别" and sheet["B2"].value == "咨询量"


def test_text_summary_and_audit(env):
    out = invoke("stats", "--week", "2026-W47").stdout
    assert out.startswith("法律咨询统计 全部 2026年第47周") and "按时答复率" in out and "驻点未达标" in out
