"""Order bots: one per supplier account. Secrets are write-only: never rendered back, shown masked,
replaced only when entered again."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import exists, func, select

from autoorder import bot_limits, gift_cards, jobs, notifications, otp
from autoorder.auth import team_get_or_404, team_select
from autoorder.extensions import db
from autoorder.forms import INLINE_FIELDS, BotForm, bot_field_errors
from autoorder.inputs import bounded_int, money, text_problem
from autoorder.models import Listing, Order, OrderBot
from autoorder.routes import back_in_line, is_htmx, render_form
from autoorder.suppliers import registered_suppliers

bp = Blueprint("bots", __name__, url_prefix="/bots")

BILLING_FIELDS = {
    "billing_line1": "addressLine1",
    "billing_city": "city",
    "billing_state": "stateOrProvince",
    "billing_postal_code": "postalCode",
    "billing_country": "countryCode",
}
SECRET_FIELDS = (
    "password",
    "totp_secret",
    "card_number",
    "card_cvc",
    "card_expiry",
    "card_holder",
)


@bp.get("/")
def index():
    bots = db.session.scalars(team_select(OrderBot).order_by(OrderBot.name)).all()
    checks = jobs.load_login_checks(bot.id for bot in bots)
    return render_template("bots/index.html", bots=bots, checks=checks)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    if form.is_submitted() and _validate(form, None):
        bot = OrderBot(team_id=current_user.team_id)
        _apply(form, bot)
        db.session.add(bot)
        db.session.commit()
        _tell_if_gift_card_low(bot)
        flash(f"Bot {bot.name} created. Use “Test login” to check it can sign in.", "success")
        return redirect(url_for("bots.index"))
    return render_form("bots/form.html", form, bot=None, check=None)


@bp.route("/<int:bot_id>", methods=["GET", "POST"])
def edit(bot_id):
    bot = team_get_or_404(OrderBot, bot_id)
    form = _form(obj=bot)
    if form.is_submitted() and _validate(form, bot):
        _apply(form, bot)
        db.session.commit()
        _tell_if_gift_card_low(bot)
        flash(f"Bot {bot.name} saved.", "success")
        return redirect(url_for("bots.index"))
    check = jobs.load_login_checks([bot.id]).get(bot.id)
    return render_form("bots/form.html", form, bot=bot, check=check, **_limits_and_balance(bot))


def _limits_and_balance(bot) -> dict:
    """Where the bot stands against its limits, its gift-card balance and ledger (the bot page)."""
    return {
        "standing": bot_limits.standing(bot),
        "balance": gift_cards.balance(bot.id),
        "ledger": gift_cards.ledger(bot.id),
        "waiting_low": db.session.scalar(
            select(func.count(Order.id)).where(
                Order.team_id == bot.team_id,
                Order.status == "waiting",
                Order.wait_reason == gift_cards.LOW,
            )
        ),
    }


@bp.post("/<int:bot_id>/top-up")
def top_up(bot_id):
    """Record money added to the bot's gift card; sales waiting for it go back in line."""
    bot = team_get_or_404(OrderBot, bot_id)
    note = (request.form.get("note") or "").strip()
    try:
        amount = money(request.form.get("amount"))
        if amount <= 0:
            raise ValueError("Enter the amount added, above 0.")
        if len(note) > 200 or text_problem(note):
            raise ValueError("Note: at most 200 characters, no control characters.")
    except ValueError as exc:
        flash(f"Top-up not recorded: {exc}", "error")
        return redirect(url_for("bots.edit", bot_id=bot.id))
    gift_cards.top_up(bot, amount, actor=current_user.email, note=note or None)
    db.session.commit()
    resumed = jobs.resume_after_top_up([bot.id])  # commits
    flash(
        f"Top-up of {amount} recorded; the balance is {gift_cards.balance(bot.id)}."
        + back_in_line(resumed, "Sales back in line:"),
        "success",
    )
    return redirect(url_for("bots.edit", bot_id=bot.id))


@bp.post("/validate/<field>")
@bp.post("/<int:bot_id>/validate/<field>")
def validate_field(field, bot_id=None):
    """Check one field as typed (HTMX, on change); answer its feedback fragment."""
    bot = team_get_or_404(OrderBot, bot_id) if bot_id is not None else None
    if field not in INLINE_FIELDS:
        abort(404)
    form = BotForm(meta={"csrf": False})
    errors = bot_field_errors(form, field)
    if (
        field == "name"
        and not errors
        and _name_taken(form.name.data, request.form.get("supplier_id"), bot)
    ):
        errors.append(_NAME_TAKEN)
    value = getattr(form, field).data
    return render_template(
        "bots/_feedback.html",
        name=field,
        errors=errors,
        ok=bool(value) and field in ("account_email", "card_number", "card_expiry"),
    )


@bp.post("/<int:bot_id>/delete")
def delete(bot_id):
    bot = team_get_or_404(OrderBot, bot_id)
    if db.session.scalar(select(exists().where(Order.bot_id == bot.id))):
        flash(f"Bot {bot.name} has orders; disable it instead.", "error")
        return redirect(url_for("bots.index"))
    if db.session.scalar(select(exists().where(Listing.bot_id == bot.id))):
        flash(
            f"Bot {bot.name} buys for mapped listings; "
            "move them to another bot or disable it instead.",
            "error",
        )
        return redirect(url_for("bots.index"))
    db.session.delete(bot)
    db.session.commit()
    flash(f"Bot {bot.name} deleted.", "success")
    return redirect(url_for("bots.index"))


@bp.post("/<int:bot_id>/disable")
def disable(bot_id):
    return _set_enabled(bot_id, False)


@bp.post("/<int:bot_id>/enable")
def enable(bot_id):
    return _set_enabled(bot_id, True)


def _set_enabled(bot_id, enabled):
    bot = team_get_or_404(OrderBot, bot_id)
    bot.enabled = enabled
    db.session.commit()
    if is_htmx():
        checks = jobs.load_login_checks([bot.id])
        return render_template("bots/_row.html", bot=bot, check=checks.get(bot.id))
    flash(f"Bot {bot.name} {'enabled' if enabled else 'disabled'}.", "success")
    return redirect(url_for("bots.index"))


@bp.post("/<int:bot_id>/test-login")
def test_login(bot_id):
    """Queue a sign-in test (no purchase); the fragment polls until the worker reports."""
    bot = team_get_or_404(OrderBot, bot_id)
    try:
        jobs.enqueue_login_test(bot.id)
    except RedisError:
        message = (
            "The job queue (Redis) cannot be reached, so the test was not started. "
            "Try again shortly."
        )
        if is_htmx():
            return render_template("bots/_login_check.html", bot=bot, check=None, error=message)
        flash(message, "error")
        return redirect(url_for("bots.edit", bot_id=bot.id))
    if is_htmx():
        return login_check(bot.id)
    flash(f"Login test for {bot.name} started.", "info")
    return redirect(url_for("bots.edit", bot_id=bot.id))


@bp.get("/<int:bot_id>/login-check")
def login_check(bot_id):
    bot = team_get_or_404(OrderBot, bot_id)
    check = jobs.load_login_checks([bot.id]).get(bot.id)
    if not is_htmx():
        return redirect(url_for("bots.edit", bot_id=bot.id))
    return render_template("bots/_login_check.html", bot=bot, check=check)


@bp.post("/<int:bot_id>/check-checkout")
def check_checkout(bot_id):
    """Queue the dry-run canary (to the review page, never placing an order)."""
    bot = team_get_or_404(OrderBot, bot_id)
    try:
        jobs.enqueue_checkout_check(bot.id)
    except RedisError:
        flash("The job queue (Redis) cannot be reached; the check was not started.", "error")
    else:
        flash(f"Checkout check for {bot.name} started; reload in a minute for its result.", "info")
    return redirect(url_for("bots.edit", bot_id=bot.id))


@bp.post("/<int:bot_id>/canary")
def set_canary(bot_id):
    """Switch the daily checkout check on or off."""
    bot = team_get_or_404(OrderBot, bot_id)
    bot.canary_enabled = request.form.get("enabled") == "1"
    db.session.commit()
    flash(f"Daily checkout check {'on' if bot.canary_enabled else 'off'}.", "success")
    return redirect(url_for("bots.edit", bot_id=bot.id))


@bp.get("/<int:bot_id>/canary/<kind>")
def canary_file(bot_id, kind):
    """The failed step's screenshot / HTML / trace of the bot's last checkout check."""
    bot = team_get_or_404(OrderBot, bot_id)
    name = ((bot.last_canary_result or {}).get("files") or {}).get(kind)
    if name not in ("screenshot.png", "page.html", "trace.zip"):
        abort(404)
    path = jobs.canary_folder(bot.id) / name
    if not path.is_file():
        abort(404)
    image = name.endswith(".png")
    response = send_file(
        path,
        mimetype="image/png" if image else "application/octet-stream",
        as_attachment=not image,
        download_name=f"bot-{bot.id}-canary-{name}",
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


_NAME_TAKEN = "This team already has a bot with this name for this source; choose another name."


def _name_taken(name, supplier_id, bot) -> bool:
    supplier_id = bounded_int(supplier_id)
    if supplier_id is None:
        return False
    query = team_select(OrderBot).where(
        OrderBot.supplier_id == supplier_id, OrderBot.name == (name or "").strip()
    )
    if bot is not None:
        query = query.where(OrderBot.id != bot.id)
    return db.session.scalar(query.with_only_columns(OrderBot.id).limit(1)) is not None


def _validate(form, bot) -> bool:
    ok = form.validate_for(bot)
    if (
        form.name.data
        and not form.name.errors
        and _name_taken(form.name.data, form.supplier_id.data, bot)
    ):
        form.name.errors.append(_NAME_TAKEN)
        ok = False
    return ok


def _form(obj=None):
    form = BotForm(obj=obj)
    if (
        obj is not None and not form.is_submitted()
    ):  # never send a stored secret back to the browser
        for name in SECRET_FIELDS:
            getattr(form, name).data = None
        for name, key in BILLING_FIELDS.items():
            getattr(form, name).data = (obj.billing_address or {}).get(key)
    form.supplier_id.choices = [(s.id, s.name) for s in registered_suppliers()]
    return form


def _tell_if_gift_card_low(bot):
    """A typed gift-card balance under the team's threshold tells the team (once a day; the
    message is sent by a job, not here)."""
    if bot.payment_method == "gift_card" and bot.enabled:
        if notifications.gift_card_low(bot, bot.gift_card_balance) is not None:
            db.session.commit()


def _apply(form, bot):
    for name in ("max_orders_per_hour", "max_orders_per_day", "min_gap_seconds"):
        value = getattr(form, name).data  # blank: the default
        setattr(bot, name, bot_limits.DEFAULTS[name] if value is None else value)
    bot.quiet_start = (form.quiet_start.data or "").strip() or None
    bot.quiet_end = (form.quiet_end.data or "").strip() or None
    bot.supplier_id = form.supplier_id.data
    bot.name = form.name.data.strip()
    bot.account_email = form.account_email.data.strip().lower()
    bot.payment_method = form.payment_method.data
    bot.enabled = form.enabled.data
    if form.password.data:
        bot.password = form.password.data
    if form.clear_totp.data:
        bot.totp_secret = None
    elif form.totp_secret.data:
        bot.totp_secret = otp.normalize_secret(form.totp_secret.data)
    if bot.payment_method == "gift_card":
        if form.gift_card_balance.data is not None:
            if bot.id is None:
                db.session.add(bot)
                db.session.flush()
            gift_cards.set_balance(bot, form.gift_card_balance.data, actor=current_user.email)
        return
    billing = {
        key: (getattr(form, name).data or "").strip() for name, key in BILLING_FIELDS.items()
    }
    if form.card_number.data:
        bot.set_card(
            number=form.card_number.data,
            expiry=form.card_expiry.data.strip(),
            cvc=form.card_cvc.data,
            holder=form.card_holder.data.strip(),
            billing_address=billing,
        )
    else:  # the stored card stays; its (not secret) billing address may change
        bot.billing_address = billing
