"""Roster import: CSV/XLSX, Chinese headers, idempotent upsert, all-or-nothing with row-level errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.ledger.tables import Adviser, Town, Village
from bot.roster import RosterError, import_roster

HEADER = "county,town,village_code,village_name,adviser_a_name,adviser_a_phone,adviser_a_openid,adviser_b_name,adviser_b_phone,adviser_b_openid,office_hours"  # noqa: E501


def write(tmp_path: Path, text: str, name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def counts(services) -> tuple[int, int, int]:
    with services.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Town, Adviser, Village))


def run(services, path: Path):
    with services.sessions.begin() as session:
        return import_roster(session, path)


def test_import_is_an_idempotent_upsert(services, roster_file):
    first = run(services, roster_file)
    assert first.created == {"towns": 2, "advisers": 3, "villages": 3}
    again = run(services, roster_file)
    assert again.created == {"towns": 0, "advisers": 0, "villages": 0}
    assert again.updated["villages"] == 0 and again.updated["advisers"] == 0
    assert counts(services) == (2, 3, 3)


def test_adviser_serving_many_villages_is_one_adviser(services, roster_file):
    run(services, roster_file)
    with services.sessions() as s:
        wang = s.scalar(select(Adviser).where(Adviser.phone == "13800000001"))
        served = s.scalars(select(Village.code).where(Village.adviser_a_id == wang.id)).all()
    assert sorted(served) == ["370303001", "370303002"]


def test_update_changes_name_and_b_post(services, tmp_path):
    run(services, write(tmp_path, HEADER + "\n县,镇,001,东村,甲,13900000001,,,,,\n"))
    run(services, write(tmp_path, HEADER + "\n县,镇,001,东村新,甲,13900000001,,乙,13900000002,,周二\n"))
    with services.sessions() as s:
        village = s.scalar(select(Village))
        assert (village.name, village.adviser_b.name, village.office_hours) == ("东村新", "乙", "周二")


def test_chinese_headers_gbk_csv_and_optional_columns(services, tmp_path):
    text = "县,镇,村代码,村名,A岗顾问,A岗电话\n示范县,城关镇,9001,南村,赵律师,13700000000\n"
    result = run(services, write(tmp_path, text, encoding="gb18030"))
    assert result.created["villages"] == 1


def test_xlsx_roster(services, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["县", "镇", "村代码", "村名", "A岗顾问", "A岗电话", "B岗顾问", "B岗电话"])
    ws.append(["示范县", "城关镇", 9002, "北村", "钱律师", 13600000000, "孙律师", "13600000001"])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    run(services, path)
    with services.sessions() as s:
        village = s.scalar(select(Village))
    assert (village.code, village.adviser_a.phone, village.adviser_b.name) == ("9002", "13600000000", "孙律师")


def test_bad_rows_change_nothing_and_are_each_named(services, tmp_path):
    text = (
        HEADER + "\n"
        "县,镇,001,东村,甲,13900000001,,,,,\n"
        "县,镇,002,西村,乙,12345,,,,,\n"  # bad phone
        "县,镇,001,又一个,丙,13900000003,,,,,\n"  # duplicate code
        "县,,003,南村,丁,13900000004,,,,,\n"  # missing town
        "县,镇,004,北村,戊,13900000001,,,,,\n"  # same phone, other name
    )
    with pytest.raises(RosterError) as err:
        run(services, write(tmp_path, text))
    problems = "\n".join(err.value.problems)
    assert "第3行" in problems and "12345" in problems
    assert "第4行" in problems and "重复" in problems
    assert "第5行" in problems and "镇" in problems
    assert "第6行" in problems and "甲" in problems
    assert not any(p.startswith("第2行") for p in err.value.problems)
    assert counts(services) == (0, 0, 0)


def test_unknown_and_missing_columns(services, tmp_path):
    with pytest.raises(RosterError, match="不认识的列"):
        run(services, write(tmp_path, "county,town,village_code,village_name,adviser_a_name,adviser_a_phone,foo\n"))
    with pytest.raises(RosterError, match="adviser_a_phone"):
        run(services, write(tmp_path, "county,town,village_code,village_name,adviser_a_name\n"))


def test_unsupported_or_broken_files(services, tmp_path):
    with pytest.raises(RosterError, match="不支持"):
        run(services, write(tmp_path, "x", name="roster.pdf"))
    with pytest.raises(RosterError, match="Excel"):
        run(services, write(tmp_path, "not a zip", name="roster.xlsx"))
    with pytest.raises(RosterError, match="不存在"):
        run(services, tmp_path / "missing.csv")


def test_cli_reports_problems_and_exits_nonzero(tmp_path, settings, monkeypatch):
    from click.testing import CliRunner

    from bot.cli import cli

    for key, value in {
        "LEGALBOT_DATABASE_URL": settings.database_url,
        "LEGALBOT_SECRET_KEY": "x",
        "LEGALBOT_INSTANCE_DIR": str(settings.instance_dir),
    }.items():
        monkeypatch.setenv(key, value)
    bad = write(tmp_path, HEADER + "\n县,镇,001,东村,甲,999,,,,,\n")
    result = CliRunner().invoke(cli, ["roster", "import", str(bad)])
    assert result.exit_code == 1
    assert "第2行" in result.output and "未导入" in result.output
