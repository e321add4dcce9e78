"""Order bots: one per supplier account. Secrets are write-only."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import exists, select

from autoorder.auth import team_get_or_404, team_select
from autoorder.extensions import db
from autoorder.forms import BotForm
from autoorder.models import Order, OrderBot, Supplier

bp = Blueprint("bots", __name__, url_prefix="/bots")

BILLING_FIELDS = {"billing_line1": "addressLine1", "billing_city": "city",
                  "billing_state": "stateOrProvince", "billing_postal_code": "postalCode",
                  "billing_country": "countryCode"}


@bp.get("/")
def index():
    bots = db.session.scalars(team_select(OrderBot).order_by(OrderBot.name)).all()
    return render_template("bots/index.html", bots=bots)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    if form.is_submitted() and form.validate_for(None):
        bot = OrderBot(team_id=current_user.team_id)
        _apply(form, bot)
        db.session.add(bot)
        db.session.commit()
        flash(f"Bot {bot.name} created.", "success")
        return redirect(url_for("bots.index"))
    return render_template("bots/form.html", form=form, bot=None), 422 if form.errors else 200


@bp.route("/<int:bot_id>", methods=["GET", "POST"])
def edit(bot_id):
    bot = team_get_or_404(OrderBot, bot_id)
    form = _form(obj=bot)
    if form.is_submitted() and form.validate_for(bot):
        _apply(form, bot)
        db.session.commit()
        flash(f"Bot {bot.name} saved.", "success")
        return redirect(url_for("bots.index"))
    return render_template("bots/form.html", form=form, bot=bot), 422 if form.errors else 200


@bp.post("/<int:bot_id>/delete")
def delete(bot_id):
    bot = team_get_or_404(OrderBot, bot_id)
    if db.session.scalar(select(exists().where(Order.bot_id == bot.id))):
        flash(f"Bot {bot.name} has orders; disable it instead.", "error")
        return redirect(url_for("bots.index"))
    db.session.delete(bot)
    db.session.commit()
    flash(f"Bot {bot.name} deleted.", "success")
    return redirect(url_for("bots.index"))


def _form(obj=None):
    form = BotForm(obj=obj)
    if obj is not None:  # never send a stored secret back to the browser
        for name in ("password", "card_number", "card_cvc", "card_expiry", "card_holder"):
            getattr(form, name).data = None
        for name, key in BILLING_FIELDS.items():
            getattr(form, name).data = (obj.billing_address or {}).get(key)
    form.supplier_id.choices = [(s.id, s.name) for s in db.session.scalars(
        select(Supplier).order_by(Supplier.name))]
    return form


def _apply(form, bot):
    bot.supplier_id = form.supplier_id.data
    bot.name = form.name.data.strip()
    bot.account_email = form.account_email.data.strip().lower()
    bot.payment_method = form.payment_method.data
    bot.enabled = form.enabled.data
    if form.password.data:
        bot.password = form.password.data
    if bot.payment_method == "gift_card":
        bot.gift_card_balance = form.gift_card_balance.data
    elif form.card_number.data:
        bot.set_card(
            number=form.card_number.data, expiry=form.card_expiry.data.strip(),
            cvc=form.card_cvc.data, holder=form.card_holder.data.strip(),
            billing_address={key: getattr(form, name).data for name, key in BILLING_FIELDS.items()},
        )
