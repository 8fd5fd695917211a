"""Scheduled reports (worker only): every Monday 08:00 Asia/Shanghai last week's report per county,
and on the 1st at 08:00 last month's adviser ranking (每月排名通报). Each is an XLSX kept under
``instance/reports/`` and listed in the dashboard, plus a short notice to the county's subscribed
bureau users through the outbox.

A ``job_runs`` row (unique job + key) is written in the same transaction as the report and its notices,
so a second run, a restart or a second worker never builds or sends the same report twice; a run that
fails leaves nothing behind and the next run tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import SHANGHAI
from bot.ledger import repo
from bot.ledger.tables import JobRun, Report, Town, User
from bot.services import Services
from bot.stats.export import summary_lines, to_xlsx
from bot.stats.periods import Period, local_date, month_of, week_of
from bot.stats.report import build_stats
from bot.stats.scope import Scope

log = logging.getLogger(__name__)
REPORT_TIME = dt.time(8, 0)
JOBS = {"weekly": "weekly_report", "monthly": "monthly_ranking"}


def due_week(now: dt.datetime) -> Period:
    """The last ISO week whose report is due: last week once this Monday 08:00 (Shanghai) has passed."""
    this_week = week_of(local_date(now))
    if now < dt.datetime.combine(this_week.first_day, REPORT_TIME, SHANGHAI):
        return this_week.previous().previous()
    return this_week.previous()


def due_month(now: dt.datetime) -> Period:
    """The last month whose ranking is due: last month once the 1st 08:00 (Shanghai) has passed."""
    this_month = month_of(local_date(now))
    if now < dt.datetime.combine(this_month.first_day, REPORT_TIME, SHANGHAI):
        return this_month.previous().previous()
    return this_month.previous()


def run_due_reports(services: Services) -> list[Report]:
    """Build whatever weekly report and monthly ranking is due and not yet built, for every county."""
    now = services.clock.now()
    with services.sessions() as session:
        counties = list(session.scalars(select(Town.county).distinct().order_by(Town.county)))
    built = []
    for county in counties:
        for kind, period in (("weekly", due_week(now)), ("monthly", due_month(now))):
            report = build_report(services, kind, county, period)
            if report is not None:
                built.append(report)
    return built


def build_report(services: Services, kind: str, county: str, period: Period) -> Report | None:
    """Build, file and announce one report exactly once; None if it was already built."""
    now = services.clock.now()
    try:
        with services.sessions.begin() as session:
            key = f"{county}:{period.label}"
            if session.scalar(select(JobRun.id).where(JobRun.job == JOBS[kind], JobRun.key == key)) is not None:
                return None
            session.add(JobRun(job=JOBS[kind], key=key, created_at=now))
            session.flush()  # another worker holding the same key makes this fail: nothing is sent twice
            stats = build_stats(session, period, Scope(county), services.settings, now)
            path = _report_path(services.settings.instance_dir, kind, county, period)
            title = ("法律咨询周报 " if kind == "weekly" else "顾问每月排名通报 ") + f"{county} {period.title}"
            _write(path, to_xlsx(stats, title) if kind == "weekly" else ranking_xlsx(stats, title))
            report = Report(kind=kind, period=period.label, county=county, path=str(path), created_at=now)
            session.add(report)
            text = weekly_notice(stats, county, period) if kind == "weekly" else monthly_notice(stats, county, period)
            for user in subscribers(session, county):
                repo.enqueue(session, user.openid, text, now, purpose="report")
    except IntegrityError:
        log.info("%s %s %s was built by another worker", kind, county, period.label)
        return None
    log.info("built %s report %s for %s: %s", kind, period.label, county, path)
    return report


def subscribers(session: Session, county: str) -> list[User]:
    """Active bureau users of the county who follow the Official Account and want report notices."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.county == county,
                User.role == "bureau",
                User.active.is_(True),
                User.subscribed_reports.is_(True),
                User.openid.is_not(None),
            )
            .order_by(User.id)
        )
    )


def weekly_notice(stats: dict, county: str, period: Period) -> str:
    """The short weekly summary sent to bureau users (numbers first, then what needs action)."""
    return "\n".join([f"【法律咨询周报】{county} {period.title}", *summary_lines(stats), "详表见管理后台“报表”。"])


def ranking(stats: dict) -> list[dict]:
    """Advisers ranked by on-time rate of their own answers, then satisfaction, then number answered,
    then fewer overdue; advisers who answered nothing are listed last."""

    def key(row: dict) -> tuple:
        answered = row["answered_by"]
        on_time = row["answered_by_in_time"] / answered if answered else -1.0
        satisfaction = row["satisfaction_rate"] if row["satisfaction_rate"] is not None else -1.0
        return (answered == 0, -on_time, -satisfaction, -answered, row["overdue"], row["name"])

    ranked = sorted(stats["by_adviser"], key=key)
    return [
        {
            "rank": index,
            **row,
            "own_in_time_rate": round(row["answered_by_in_time"] / row["answered_by"], 4)
            if row["answered_by"]
            else None,
        }
        for index, row in enumerate(ranked, start=1)
    ]


def ranking_xlsx(stats: dict, title: str) -> bytes:
    """The monthly workbook: the ranking sheet first, then the month's full statistics."""
    from io import BytesIO

    from openpyxl import load_workbook
    from openpyxl.styles import Font

    workbook = load_workbook(BytesIO(to_xlsx(stats, title)))
    sheet = workbook.create_sheet("顾问排名", 0)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    headers = [
        "名次",
        "顾问",
        "负责咨询",
        "本人答复",
        "按时答复率",
        "满意率",
        "超时未答",
        "驻点时长(小时)",
        "驻点未达标村数",
    ]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    pct = lambda v: "—" if v is None else f"{v * 100:.1f}%"  # noqa: E731
    for row in ranking(stats):
        sheet.append(
            [
                row["rank"],
                row["name"],
                row["total"],
                row["answered_by"],
                pct(row["own_in_time_rate"]),
                pct(row["satisfaction_rate"]),
                row["overdue"],
                row["onsite_hours"],
                row["onsite_below_minimum"],
            ]
        )
    sheet.freeze_panes = "A3"
    workbook.active = 0
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def monthly_notice(stats: dict, county: str, period: Period) -> str:
    """The month's ranking in a few lines: the best three, then who needs attention."""
    ranked = [r for r in ranking(stats) if r["answered_by"]]
    best = "，".join(f"{r['rank']}. {r['name']}（按时 {r['own_in_time_rate'] * 100:.0f}%）" for r in ranked[:3])
    attention = [r["name"] for r in ranking(stats) if r["overdue"] or r["onsite_below_minimum"]]
    lines = [
        f"【每月排名通报】{county} {period.title}",
        f"咨询量 {stats['total']} 件，顾问答复 {stats['summary']['answered']} 件。",
        f"按时答复前三：{best or '本月无顾问答复'}。",
        f"需关注（超时未答或驻点未达标）：{'、'.join(attention[:8]) or '无'}。",
        "完整排名见管理后台“报表”。",
    ]
    return "\n".join(lines)


def add_report_jobs(scheduler, services: Services, wrap) -> None:
    """Monday 08:00 and the 1st 08:00 (Asia/Shanghai); the first run also catches up at start-up."""
    run = wrap("reports", lambda: run_due_reports(services))
    common = {"max_instances": 1, "coalesce": True, "replace_existing": True, "misfire_grace_time": 3600}
    scheduler.add_job(
        run,
        CronTrigger(day_of_week="mon", hour=8, timezone=SHANGHAI),
        id="weekly_report",
        next_run_time=dt.datetime.now(SHANGHAI),
        **common,
    )
    scheduler.add_job(run, CronTrigger(day=1, hour=8, timezone=SHANGHAI), id="monthly_ranking", **common)


def _report_path(instance_dir: Path, kind: str, county: str, period: Period) -> Path:
    safe = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", county)
    return instance_dir / "reports" / safe / f"{kind}-{period.label}.xlsx"


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a reader never sees half a workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)
