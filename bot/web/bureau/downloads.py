"""Downloads: the period's statistics (XLSX, CSV), the scheduled reports, and the audit log page."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, render_template, request, send_file
from sqlalchemy import select

from bot.bureau.access import AccessDenied
from bot.bureau.audit import recent_audit
from bot.ledger.tables import Report
from bot.stats.export import heading, to_csv, to_xlsx
from bot.stats.report import build_stats
from bot.web import services
from bot.web.bureau import bp
from bot.web.bureau.access import audit, current_user, login_required
from bot.web.bureau.params import attachment, page_period, scope_from

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/bureau/stats.<fmt>")
@login_required
def stats_download(fmt: str):
    """The statistics of a period as XLSX (one sheet per breakdown) or CSV (sections), Chinese headers."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    svc = services()
    now = svc.clock.now()
    period = page_period(request.args, now)
    with svc.sessions.begin() as db:
        user = current_user(db)
        scope = scope_from(db, user, request.args)
        stats = build_stats(db, period, scope, svc.settings, now)
        audit(db, user, "export", f"stats:{period.label}:{scope.title}", detail=fmt)
    title = heading(stats, period)
    name = f"法律咨询统计-{scope.title}-{period.label}.{fmt}"
    if fmt == "xlsx":
        return Response(to_xlsx(stats, title), mimetype=XLSX, headers={"Content-Disposition": attachment(name)})
    return Response(
        to_csv(stats, title).encode("utf-8-sig"),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(name)},
    )


@bp.get("/bureau/reports")
@login_required
def reports():
    """Weekly reports and monthly rankings built by the worker (county-wide: bureau users only)."""
    svc = services()
    with svc.sessions() as db:
        user = current_user(db)
        items = []
        if user.role == "bureau":
            items = list(
                db.scalars(select(Report).where(Report.county == user.county).order_by(Report.created_at.desc()))
            )
        return render_template("bureau/reports.html", reports=items)


@bp.get("/bureau/reports/<int:report_id>/download")
@login_required
def report_download(report_id: int):
    """One scheduled report's XLSX (county-wide: bureau users of that county only), audited."""
    svc = services()
    with svc.sessions.begin() as db:
        user = current_user(db)
        report = db.get(Report, report_id)
        if report is None:
            abort(404, description="没有这份报表")
        if user.role != "bureau" or report.county != user.county:
            raise AccessDenied("全县报表只供县司法局查看；司法所可在“总览”下载本镇统计")
        path = Path(report.path)
        if not path.is_file():
            abort(404, description="报表文件不在了：请联系管理员检查 instance/reports 目录")
        audit(db, user, "export", f"report:{report.kind}:{report.period}", detail=report.county)
        kind = "周报" if report.kind == "weekly" else "月度排名"
        name = f"法律咨询{kind}-{report.county}-{report.period}.xlsx"
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/bureau/audit")
@login_required
def audit_log():
    """Who viewed or exported what (bureau users of the county only)."""
    svc = services()
    with svc.sessions() as db:
        user = current_user(db)
        if user.role != "bureau":
            raise AccessDenied("审计日志只供县司法局查看")
        entries = recent_audit(db, user.county)
        return render_template("bureau/audit.html", entries=entries)
