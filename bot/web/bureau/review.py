"""FAQ review (常见问题审核): the county's candidates proposed by advisers, and one candidate's edit form to
publish it into the knowledge base or reject it. Bureau users only; every view and decision is audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from bot.bureau.access import AccessDenied
from bot.categories import CATEGORIES
from bot.knowledge.faq import MAX_ANSWER_CHARS, MIN_PARAPHRASES
from bot.knowledge.publish import (
    RETRAIN_HINT,
    CandidateError,
    ReviewError,
    default_statutes,
    publish_candidate,
    reject_candidate,
)
from bot.ledger.tables import User
from bot.privacy import mask_personal
from bot.web import services
from bot.web.bureau import bp
from bot.web.bureau.access import audit, current_user, login_required
from bot.web.bureau.candidates import (
    PAGE_SIZE,
    STATUSES,
    CandidatePlace,
    ReviewForm,
    candidate_for,
    list_candidates,
    reviewed_label,
    status_counts,
)


def _reviewer(db: Session) -> User:
    """The logged-in user, who must be a county bureau user (a town office gets the usual 403)."""
    user = current_user(db)
    if user.role != "bureau":
        raise AccessDenied("常见问题审核由县司法局负责；司法所可以在“台账”查看本镇的咨询")
    return user


def _place(db: Session, user: User, number: int, *, lock: bool = False) -> CandidatePlace:
    place = candidate_for(db, user, number, lock=lock)
    if place is None:
        abort(404, description=f"没有编号为 {number} 的常见问题候选")
    return place


def _name(user: User) -> str:
    return user.display_name or user.username


def _form_page(place: CandidatePlace, form: ReviewForm, errors: dict[str, str]) -> str:
    return render_template(
        "bureau/faq_candidate.html",
        place=place,
        c=place.candidate,
        question=mask_personal(place.candidate.question),
        answer=mask_personal(place.candidate.answer),
        form=form,
        errors=errors,
        categories=CATEGORIES,
        reviewed=reviewed_label(place.candidate),
        statutes_checked=default_statutes(services().settings) is not None,
        retrain_hint=RETRAIN_HINT,
        max_answer=MAX_ANSWER_CHARS,
        min_paraphrases=MIN_PARAPHRASES,
    )


@bp.get("/bureau/faq")
@login_required
def faq_candidates():
    """Candidates of the county in one status (default: waiting), newest first, 50 per page."""
    status = request.args.get("status") or "proposed"
    if status not in STATUSES:
        abort(400, description="状态只能是 proposed（待审核）、published（已发布）或 rejected（已退回）")
    page = max(1, request.args.get("page", 1, type=int) or 1)
    svc = services()
    with svc.sessions.begin() as db:
        user = _reviewer(db)
        rows, total = list_candidates(db, user.county, status, page)
        counts = status_counts(db, user.county)
        audit(db, user, "view", f"faq_candidates:{status}", detail=f"page {page}" if page > 1 else None)
        return render_template(
            "bureau/faq_candidates.html",
            rows=rows,
            total=total,
            status=status,
            statuses=STATUSES,
            counts=counts,
            page=page,
            pages=(total + PAGE_SIZE - 1) // PAGE_SIZE,
        )


@bp.get("/bureau/faq/<int:number>")
@login_required
def faq_candidate(number: int):
    """One candidate: where it came from, the adviser's text (masked) and, while it waits, the edit form."""
    svc = services()
    with svc.sessions.begin() as db:
        user = _reviewer(db)
        place = _place(db, user, number)
        audit(db, user, "view", f"faq_candidate:{number}")
        return _form_page(place, ReviewForm.from_candidate(place.candidate), {})


@bp.post("/bureau/faq/<int:number>/publish")
@login_required
def faq_publish(number: int):
    """Publish the edited entry into knowledge/faq/published.yaml (the same path as `legalbot faq publish`)."""
    svc = services()
    form = ReviewForm.from_form(request.form)
    with svc.sessions.begin() as db:
        user = _reviewer(db)
        place = _place(db, user, number, lock=True)
        try:
            entry = publish_candidate(
                place.candidate,
                form.review(),
                reviewer=_name(user),
                now=svc.clock.now(),
                faq_dir=svc.settings.knowledge_dir / "faq",
                statutes=default_statutes(svc.settings),
            )
        except ReviewError as exc:
            return _form_page(place, form, exc.problems), 400
        except CandidateError as exc:
            flash(str(exc), "error")
            return redirect(url_for("bureau.faq_candidate", number=number), 303)
        audit(db, user, "faq_publish", f"faq_candidate:{number}", detail=entry.id)
    flash(f"已发布为常见问题 {entry.id}。", "info")  # the page itself says how it takes effect
    return redirect(url_for("bureau.faq_candidate", number=number), 303)


@bp.post("/bureau/faq/<int:number>/reject")
@login_required
def faq_reject(number: int):
    """Decline the candidate; nothing is written to the knowledge base."""
    svc = services()
    with svc.sessions.begin() as db:
        user = _reviewer(db)
        place = _place(db, user, number, lock=True)
        try:
            reject_candidate(place.candidate, reviewer=_name(user), now=svc.clock.now())
        except CandidateError as exc:
            flash(str(exc), "error")
            return redirect(url_for("bureau.faq_candidate", number=number), 303)
        audit(db, user, "faq_reject", f"faq_candidate:{number}")
    flash(f"已退回候选 #{number}，知识库没有改动。", "info")
    return redirect(url_for("bureau.faq_candidates"), 303)
