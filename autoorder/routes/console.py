"""Auto Order console: the credits add-on. Packages, the team's balance and ledger, and recording a
package purchase (payment first, through autoorder.payments; then the credits, exactly once).

Recording a payment adds credits, so only the server operator does it (for any team); a team admin
manages the team's own packages; packages offered to every team are the operator's."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from autoorder import credits, jobs, keyset, payments
from autoorder.auth import admin_required, operator_required, team_select
from autoorder.extensions import db
from autoorder.forms import CreditPackageForm, PurchaseForm
from autoorder.inputs import arg_int
from autoorder.models import CreditEntry, CreditPackage, Order, Team
from autoorder.orders import OrderStatus
from autoorder.routes import is_htmx

bp = Blueprint("console", __name__, url_prefix="/console")

LEDGER_PAGE_SIZE = 25


@bp.app_context_processor
def navigation_context():
    return {"nav_credit_balance": _nav_balance}


def _nav_balance():
    """The balance shown in the navigation; None if it cannot be read (e.g. on an error page)."""
    if not current_user.is_authenticated:
        return None
    try:
        return credits.balance(current_user.team_id)
    except SQLAlchemyError:
        db.session.rollback()
        return None


@bp.get("/")
def index():
    ledger = _ledger()
    if is_htmx():
        return render_template("console/_ledger.html", ledger=ledger)
    return _page()


@bp.post("/packages/<int:package_id>/purchase")
@operator_required
def purchase(package_id):
    """The operator records that a team paid for a package (default: the operator's own team)."""
    form = PurchaseForm()
    if not form.validate():
        flash("The purchase form is incomplete. Reload the page and try again.", "error")
        return redirect(url_for("console.index"))
    team_id = form.team_id.data or current_user.team_id
    if db.session.get(Team, team_id) is None:
        abort(404)
    package = db.session.scalar(
        _packages_of(team_id).where(CreditPackage.id == package_id, CreditPackage.active)
    )
    if package is None:
        abort(404)
    try:
        payment = payments.provider().charge(
            payments.PaymentRequest(
                team_id=team_id,
                package_id=package.id,
                amount=package.price,
                currency=package.currency,
                idempotency_key=form.idempotency_key.data,
                actor=current_user.email,
                confirmed=form.confirmed.data,
            )
        )
    except payments.PaymentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.index"))
    entry = credits.record_package_purchase(
        team_id, package, actor=current_user.email, payment_reference=payment.reference
    )
    created = entry.id is None
    try:
        db.session.commit()
    except IntegrityError:  # the same payment booked by a concurrent submit
        db.session.rollback()
        created = False
    if not created:
        flash("This payment was already recorded; no credits were added twice.", "info")
        return redirect(url_for("console.index"))
    held_before = _held_count(team_id)
    jobs.resume_out_of_credits()  # commits; the due-orders duty then enqueues the resumed sales
    resumed = held_before - _held_count(team_id)
    team = (
        "" if team_id == current_user.team_id else f" for team {db.session.get(Team, team_id).name}"
    )
    message = f"{package.name}: {package.credits} credits added{team}."
    if resumed:
        message += f" Sales held for lack of credits and now back in line: {resumed}."
    flash(message, "success")
    return redirect(url_for("console.index"))


@bp.post("/packages")
@admin_required
def create_package():
    form = CreditPackageForm()
    if not form.validate():
        return _page(package_form=form, status=422)
    every_team = bool(form.every_team.data) and current_user.is_operator
    package = CreditPackage(
        team_id=None if every_team else current_user.team_id,
        name=form.name.data,
        credits=form.credits.data,
        price=form.price.data,
        currency=form.currency.data.upper(),
        active=True,
    )
    db.session.add(package)
    db.session.commit()
    flash(f"Package {package.name} created.", "success")
    return redirect(url_for("console.index"))


@bp.post("/packages/<int:package_id>/deactivate")
@admin_required
def deactivate_package(package_id):
    return _set_active(package_id, False)


@bp.post("/packages/<int:package_id>/activate")
@admin_required
def activate_package(package_id):
    return _set_active(package_id, True)


def _set_active(package_id, active):
    package = _package_or_404(package_id, own_only=not current_user.is_operator)
    package.active = active
    db.session.commit()
    flash(f"Package {package.name} {'is on sale again' if active else 'deactivated'}.", "success")
    return redirect(url_for("console.index"))


def _visible_packages(own_only=False):
    """Packages this team sees: its own, and (unless own_only) the server operator's (team_id
    NULL)."""
    if own_only:
        return select(CreditPackage).where(CreditPackage.team_id == current_user.team_id)
    return _packages_of(current_user.team_id)


def _packages_of(team_id):
    """Packages offered to this team: its own and those offered to every team."""
    return select(CreditPackage).where(
        or_(CreditPackage.team_id == team_id, CreditPackage.team_id.is_(None))
    )


def _package_or_404(package_id, own_only=False):
    package = db.session.scalar(_visible_packages(own_only).where(CreditPackage.id == package_id))
    if package is None:
        abort(404)
    return package


def _page(package_form=None, status=200):
    team_id = current_user.team_id
    query = _visible_packages().order_by(
        CreditPackage.active.desc(), CreditPackage.credits, CreditPackage.id
    )
    if not current_user.is_admin:
        query = query.where(CreditPackage.active.is_(True))
    return render_template(
        "console/index.html",
        balance=credits.balance(team_id),
        ledger=_ledger(),
        packages=db.session.scalars(query).all(),
        held=_held_count(team_id),
        ever_bought=db.session.scalar(
            team_select(CreditEntry)
            .where(CreditEntry.reason == "purchase")
            .with_only_columns(CreditEntry.id)
            .limit(1)
        )
        is not None,
        package_form=package_form or CreditPackageForm(formdata=None),
        purchase_form=PurchaseForm(formdata=None),
        teams=db.session.scalars(select(Team).order_by(Team.name, Team.id)).all()
        if current_user.is_operator
        else [],
        purchase_key=uuid.uuid4().hex,
    ), status


def _ledger():
    """A page of the team's ledger, newest first: keyset pages (``before``/``after`` an entry)
    through (team_id, created_at, id), so a deep page costs what page 2 does and entries booked
    meanwhile shift nothing. ``?page=N`` alone (old links) still works, by OFFSET."""
    page = arg_int(request.args, "page", default=1, minimum=1, maximum=1_000_000)
    before = keyset.parse_cursor(request.args.get("before"))
    after = keyset.parse_cursor(request.args.get("after")) if before is None else None
    ledger = keyset.page(
        team_select(CreditEntry),
        CreditEntry.created_at,
        CreditEntry.id,
        size=LEDGER_PAGE_SIZE,
        before=before,
        after=after,
        offset=0 if before or after else (page - 1) * LEDGER_PAGE_SIZE,
    )
    ledger.page = 1 if after is not None and ledger.first else page
    return ledger


def _held_count(team_id) -> int:
    return db.session.scalar(
        select(Order)
        .where(
            Order.team_id == team_id,
            Order.status == OrderStatus.NEEDS_ATTENTION,
            Order.failure_code == "out_of_credits",
        )
        .with_only_columns(func.count())
    )
