"""``legalbot ledger export --village CODE --from DATE --to DATE --format csv|xlsx [--output FILE]``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from bot.cli import cli, command_services, database_errors
from bot.ledger import repo
from bot.ledger.export import consultations_for, ledger_rows, to_csv, to_xlsx


@cli.group()
def ledger() -> None:
    """The consultation ledger (工作台账)."""


@ledger.command("export")
@click.option("--village", "village_code", required=True, help="Village code (村代码).")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day, e.g. 2026-11-01.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day (inclusive).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def ledger_export(village_code: str, start: dt.datetime, end: dt.datetime, fmt: str, output: Path | None) -> None:
    """Export one village's volume (一村一卷) for a period, dates in Asia/Shanghai."""
    if end < start:
        raise click.ClickException("--to 不能早于 --from")
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.ClickException("XLSX 是二进制文件：请用 --output 文件名.xlsx 指定输出文件")
    services = command_services()
    with database_errors(), services.sessions() as session:
        village = repo.village_by_code(session, village_code)
        if village is None:
            raise click.ClickException(f"没有村代码 {village_code}：请核对代码或先导入花名册")
        rows = ledger_rows(consultations_for(session, village, start.date(), end.date()))
        title = (
            f"{village.town.county}{village.town.name}{village.name} 法律咨询台账 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
        )
    data = to_csv(rows).encode("utf-8-sig") if fmt == "csv" else to_xlsx(rows, title)
    if output is None:
        sys.stdout.buffer.write(data if fmt == "xlsx" else to_csv(rows).encode("utf-8"))
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        click.echo(f"已导出 {len(rows)} 条记录到 {output}", err=True)
