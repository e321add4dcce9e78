"""Team settings (buffer, price guard; admins change them) and the eBay account connection
(OAuth consent → /ebay/callback → tokens stored encrypted on the EbayAccount)."""

import secrets
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from autoorder.auth import admin_required, team_get_or_404, team_select
from autoorder.ebay import accounts
from autoorder.ebay.client import EbayError
from autoorder.extensions import db
from autoorder.forms import EbayConnectForm, TeamSettingsForm
from autoorder.models import EbayAccount, EbayOrderProblem, Team

bp = Blueprint("settings", __name__)

PENDING_KEY = "ebay_oauth"
STATE_MAX_AGE = 15 * 60  # seconds between "Connect" and eBay's answer
EBAY_SETTINGS = ("EBAY_CLIENT_ID", "EBAY_CLIENT_SECRET", "EBAY_REDIRECT_URI")


@bp.get("/settings/")
def index():
    team = db.session.get(Team, current_user.team_id)
    form = TeamSettingsForm(
        formdata=None,
        data={
            "buffer_minutes": None
            if team.order_buffer_seconds is None
            else team.order_buffer_seconds // 60,
            "max_buy_price": team.max_buy_price,
            "min_profit": team.min_profit,
            "send_as_gift": team.send_as_gift,
        },
    )
    return _page(team, form)


@bp.post("/settings/")
@admin_required
def save():
    team = db.session.get(Team, current_user.team_id)
    form = TeamSettingsForm()
    if not form.validate():
        return _page(team, form, status=422)
    minutes = form.buffer_minutes.data
    team.order_buffer_seconds = None if minutes is None else minutes * 60
    team.max_buy_price, team.min_profit = form.max_buy_price.data, form.min_profit.data
    team.send_as_gift = bool(form.send_as_gift.data)
    db.session.commit()
    flash("Settings saved. They apply to new sales.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/settings/ebay/connect")
@admin_required
def connect_ebay():
    form = EbayConnectForm()
    form.validate()
    return _start_consent(account_id=None, name=form.name.data or "")


@bp.post("/settings/ebay/<int:account_id>/reconnect")
@admin_required
def reconnect_ebay(account_id):
    account = team_get_or_404(EbayAccount, account_id)
    return _start_consent(account_id=account.id, name=account.name)


@bp.get("/ebay/callback")
@admin_required
def ebay_callback():
    """eBay's consent answer: check the state, trade the code for tokens, store them encrypted."""
    pending = session.pop(PENDING_KEY, None)
    state = request.args.get("state", "")
    if (
        not pending
        or not state
        or not secrets.compare_digest(state, pending.get("state", ""))
        or pending.get("user_id") != current_user.id
    ):
        return _refused(
            "eBay's answer does not belong to a connection started here (state mismatch). "
            "Nothing was saved; start again with “Connect eBay account”."
        )
    if time.time() - pending.get("started", 0) > STATE_MAX_AGE:
        return _refused("The connection took too long and expired. Nothing was saved; start again.")
    if request.args.get("error"):
        flash(f"eBay did not grant access ({request.args['error']}). Nothing was saved.", "error")
        return redirect(url_for("settings.index"))
    code = request.args.get("code")
    if not code:
        return _refused("eBay's answer has no authorization code. Nothing was saved; start again.")
    account = (
        team_get_or_404(EbayAccount, pending["account_id"]) if pending.get("account_id") else None
    )
    try:
        tokens = accounts.client_for().exchange_code(code)
    except EbayError as exc:
        flash(
            f"eBay did not accept the authorization ({type(exc).__name__}: {exc}). "
            "Nothing was saved; start again.",
            "error",
        )
        return redirect(url_for("settings.index"))
    if account is None:
        account = EbayAccount(
            team_id=current_user.team_id, name=pending.get("name") or "eBay account"
        )
        db.session.add(account)
    account.status, account.last_error, account.poll_failures, account.next_poll_at = (
        accounts.CONNECTED,
        None,
        0,
        None,
    )
    accounts.AccountTokenStore(account).save(tokens)  # commits
    flash(
        f"eBay account {account.name} connected. New sales appear within a minute or two.",
        "success",
    )
    return redirect(url_for("settings.index"))


def _start_consent(*, account_id, name):
    missing = [key for key in EBAY_SETTINGS if not current_app.config.get(key)]
    if missing:
        flash(
            "eBay is not configured on this server (missing " + ", ".join(missing) + "). "
            "Ask whoever runs autoorder to set them.",
            "error",
        )
        return redirect(url_for("settings.index"))
    state = secrets.token_urlsafe(32)
    session[PENDING_KEY] = {
        "state": state,
        "account_id": account_id,
        "name": name[:120],
        "user_id": current_user.id,
        "started": time.time(),
    }
    return redirect(accounts.client_for().consent_url(state))


def _refused(message):
    return render_template(
        "errors.html", code=400, title="eBay connection refused", message=message
    ), 400


def _page(team, form, status=200):
    config = current_app.config
    ebay_accounts = db.session.scalars(
        team_select(EbayAccount).order_by(EbayAccount.created_at)
    ).all()
    problems: dict[int, list] = {}
    if ebay_accounts:
        for problem in db.session.scalars(
            select(EbayOrderProblem)
            .where(
                EbayOrderProblem.ebay_account_id.in_([a.id for a in ebay_accounts]),
                EbayOrderProblem.resolved_at.is_(None),
            )
            .order_by(EbayOrderProblem.first_seen_at)
        ):
            problems.setdefault(problem.ebay_account_id, []).append(problem)
    return render_template(
        "settings/index.html",
        team=team,
        form=form,
        ebay_accounts=ebay_accounts,
        problems=problems,
        connect_form=EbayConnectForm(formdata=None),
        default_buffer_minutes=config["ORDER_BUFFER_SECONDS"] // 60,
        default_min_profit=config.get("MIN_PROFIT"),
        tracking={
            "first": config["TRACKING_FIRST_CHECK_SECONDS"],
            "retry": config["TRACKING_RETRY_SECONDS"],
            "give_up": config["TRACKING_GIVE_UP_SECONDS"],
        },
        ebay_configured=all(config.get(key) for key in EBAY_SETTINGS),
    ), status


@bp.app_template_filter("duration")
def duration(seconds) -> str:
    """Return 86400 as "1 day", 14400 as "4 hours", 90 as "1 min 30 s"."""
    seconds = int(seconds or 0)
    for unit, size in (("day", 86400), ("hour", 3600)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "") if minutes else f"{rest} s"
