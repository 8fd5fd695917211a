"""``legalbot stats --week 2026-W47 --json|--csv|--xlsx``: the bureau's statistics for one period."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from bot.bureau.audit import record_audit
from bot.cli import cli, command_services, database_errors
from bot.stats.export import SHEETS, heading, summary_lines, to_csv, to_xlsx
from bot.stats.periods import PeriodError, resolve_period
from bot.stats.report import build_stats
from bot.stats.scope import Scope, town_scope


@cli.command("stats")
@click.option("--week", help="ISO week, e.g. 2026-W47, or this / last (default: this week).")
@click.option("--month", help="Month, e.g. 2026-11, or this / last.")
@click.option("--quarter", help="Quarter, e.g. 2026-Q4, or this / last.")
@click.option("--from", "start", help="First day of a custom period, e.g. 2026-11-01.")
@click.option("--to", "end", help="Last day of a custom period (inclusive).")
@click.option("--county", help="Only this county (default: everything in the database).")
@click.option("--town", help="Only this town (with --county when town names repeat).")
@click.option("--json", "fmt", flag_value="json", help="JSON with total, by_category, by_village, by_town …")
@click.option("--csv", "fmt", flag_value="csv", help="CSV: every breakdown as a section, Chinese headers.")
@click.option("--xlsx", "fmt", flag_value="xlsx", help="XLSX: one sheet per breakdown (needs --output).")
@click.option("--breakdown", type=click.Choice([k for k in SHEETS if k != "summary"]), help="CSV of one table only.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def stats(week, month, quarter, start, end, county, town, fmt, breakdown, output) -> None:
    """Consultation statistics for a week (default), month, quarter or custom dates (Asia/Shanghai)."""
    services = command_services()
    now = services.clock.now()
    try:
        period = resolve_period(now, week=week, month=month, quarter=quarter, start=start, end=end)
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.ClickException("XLSX 是二进制文件：请用 --output 统计.xlsx 指定输出文件")
    with database_errors(), services.sessions.begin() as session:
        scope = Scope(county) if county else Scope()
        if town:
            found = town_scope(session, county, town)
            if found is None:
                raise click.ClickException(f"找不到镇“{town}”（或重名）：请核对镇名，必要时加 --county")
            scope = found
        result = build_stats(session, period, scope, services.settings, now)
        record_audit(
            session,
            f"cli:{getpass.getuser()}",
            "export",
            f"stats:{period.label}:{scope.title}",
            now,
            detail=fmt or "text",
        )
    title = heading(result, period)
    if fmt == "json":
        data = json.dumps(result, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    elif fmt == "csv":
        data = to_csv(result, title, only=breakdown).encode("utf-8-sig" if output else "utf-8")
    elif fmt == "xlsx":
        data = to_xlsx(result, title)
    else:
        data = (title + "\n" + "\n".join(summary_lines(result)) + "\n").encode("utf-8")
    if output is None:
        sys.stdout.buffer.write(data if data.endswith(b"\n") or fmt == "xlsx" else data + b"\n")
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        click.echo(f"已写入 {output}（{period.label}，{result['total']} 件咨询）", err=True)
