"""Checkout: shipping address -> payment -> (upsell interstitial) -> review -> place order ->
confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from .errors import ShopError
from .ordering import NOTE_MAX
from .validation import (
    ADDRESS_FIELDS,
    COUNTRIES,
    card_brand,
    normalize_card_number,
    validate_address,
    validate_card,
)
from .web import current_account, form_value, get_store, login_required, render_layout

bp = Blueprint("checkout", __name__, url_prefix="/checkout")

# Field names used by the alternate layout (the server accepts both).
ALT_ADDRESS_NAMES = {
    "full_name": "recipient",
    "address_line1": "street1",
    "address_line2": "street2",
    "city": "town",
    "state": "region",
    "postal_code": "zip",
    "country": "country_code",
    "phone": "mobile",
}


def _ctx():
    """(email, checkout state, cart slugs) for the signed-in buyer."""
    email = current_account()["email"]
    store = get_store()
    return email, store.checkout(email), store.cart_slugs(email)


def _needs_cart(slugs):
    if not slugs:
        flash("Your cart is empty.", "error")
        return redirect(url_for("cart.view"))
    return None


def _upsell_pending(state, slugs) -> bool:
    return get_store().fault("upsell", slugs) is not None and state.get("upsell") is None


@bp.route("")
@login_required
def start():
    return redirect(url_for("checkout.address"))


@bp.route("/address", methods=["GET", "POST"])
@login_required
def address():
    email, state, slugs = _ctx()
    if (resp := _needs_cart(slugs)) is not None:
        return resp
    values = state.get("address") or {"country": "US"}
    errors, rejected = {}, None
    if request.method == "POST":
        raw = {f: form_value(f, ALT_ADDRESS_NAMES[f]) for f in ADDRESS_FIELDS}
        values, errors, rejected = validate_address(raw)
        if not errors:
            get_store().update_checkout(email, address=values)
            return redirect(url_for("checkout.payment"))
    return render_layout(
        "checkout_address.html",
        slugs,
        values=values,
        errors=errors,
        rejected=rejected,
        countries=COUNTRIES,
        step="address",
    )


@bp.route("/payment", methods=["GET", "POST"])
@login_required
def payment():
    store = get_store()
    email, state, slugs = _ctx()
    if (resp := _needs_cart(slugs)) is not None:
        return resp
    if not state.get("address"):
        return redirect(url_for("checkout.address"))
    quote = store.quote(email)
    balance = current_account()["gift_card_balance"]
    errors, error, values = {}, None, {"payment_method": "card"}
    if request.method == "POST":
        method = form_value("payment_method", "pm")
        method = "gift_card" if method in ("gift_card", "balance") else method
        number = normalize_card_number(form_value("card_number", "cc_num"))
        values = {
            "payment_method": method,
            "card_holder": form_value("card_holder", "cc_name"),
            "card_expiry": form_value("card_expiry", "cc_exp"),
        }
        if method == "card":
            errors = validate_card(
                values["card_holder"],
                number,
                values["card_expiry"],
                form_value("card_cvc", "cc_cvv"),
            )
            chosen = {
                "method": "card",
                "number": number,
                "brand": card_brand(number),
                "holder": values["card_holder"].strip(),
                "last4": number[-4:],
            }
        elif method == "gift_card":
            if balance < quote["total"]:
                error = (
                    "Insufficient gift card balance for this order. Choose another payment method."
                )
            chosen = {"method": "gift_card"}
        else:
            error = "Please choose a payment method."
        if not errors and error is None:
            store.update_checkout(email, payment=chosen)
            return redirect(
                url_for("checkout.upsell" if _upsell_pending(state, slugs) else "checkout.review")
            )
    return render_layout(
        "checkout_payment.html",
        slugs,
        quote=quote,
        balance=balance,
        errors=errors,
        error=error,
        values=values,
        step="payment",
    )


@bp.route("/upsell", methods=["GET", "POST"])
@login_required
def upsell():
    email, state, slugs = _ctx()
    if (resp := _needs_cart(slugs)) is not None:
        return resp
    if get_store().fault("upsell", slugs) is None:
        return redirect(url_for("checkout.review"))
    if request.method == "POST":
        choice = request.form.get("choice")
        if choice in ("accept", "decline"):
            get_store().update_checkout(email, upsell=choice)
            return redirect(url_for("checkout.review"))
    return render_template("checkout_upsell.html", step="review")


def _review_page(email, state, slugs, note="", note_error=None, error=None):
    quote = get_store().quote(email)
    changed = [line for line in quote["lines"] if line["unit_price"] != line["added_price"]]
    return render_layout(
        "checkout_review.html",
        slugs,
        quote=quote,
        state=state,
        price_changed=changed,
        note=note,
        note_error=note_error,
        error=error,
        note_max=NOTE_MAX,
        notes=get_store().fault("no_order_note") is None,
        step="review",
    )


def _guard_review(state, slugs):
    if (resp := _needs_cart(slugs)) is not None:
        return resp
    if not state.get("address"):
        return redirect(url_for("checkout.address"))
    if not state.get("payment"):
        return redirect(url_for("checkout.payment"))
    if _upsell_pending(state, slugs):
        return redirect(url_for("checkout.upsell"))
    return None


@bp.route("/review")
@login_required
def review():
    email, state, slugs = _ctx()
    if (resp := _guard_review(state, slugs)) is not None:
        return resp
    return _review_page(email, state, slugs)


@bp.route("/place", methods=["POST"])
@login_required
def place():
    store = get_store()
    email, state, slugs = _ctx()
    if (resp := _guard_review(state, slugs)) is not None:
        return resp
    note = form_value("order_note", "memo")
    if store.fault("no_order_note") is not None:  # like a shop without a note field: ignored
        note = ""
    try:
        order = store.place_order(email, note)
    except ShopError as exc:
        if exc.kind in ("card_declined", "insufficient_balance"):
            store.update_checkout(email, payment=None)
            flash(exc.message, "payment_error")
            return redirect(url_for("checkout.payment"))
        if exc.kind == "note_too_long":
            return _review_page(email, state, slugs, note=note, note_error=exc.message)
        return _review_page(email, state, slugs, note=note, error=exc.message)
    return redirect(url_for("checkout.confirmation", number=order["number"]))


@bp.route("/confirmation/<number>")
@login_required
def confirmation(number: str):
    order = get_store().order(number)
    if order is None or order["account_email"] != current_account()["email"]:
        abort(404)
    slugs = [i["product_slug"] for i in order["items"]]
    return render_layout("confirmation.html", slugs, order=order)
