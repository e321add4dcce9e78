"""Product, add-on offer, cart, checkout (address with suggestion, payment with the gift-card
balance, review), thank-you, order history, order details and ship-track — at amazon.com's
paths."""

from __future__ import annotations

import re
import time

from flask import Blueprint, abort, redirect, render_template, request, url_for

from .app import COUNTRIES, order_date, signed_in, signed_in_email, store
from .store import money

bp = Blueprint("shopping", __name__)
ADDRESS_FIELDS = {
    "name": "address-ui-widgets-enterAddressFullName",
    "line1": "address-ui-widgets-enterAddressLine1",
    "line2": "address-ui-widgets-enterAddressLine2",
    "city": "address-ui-widgets-enterAddressCity",
    "state": "address-ui-widgets-enterAddressStateOrRegion",
    "postal_code": "address-ui-widgets-enterAddressPostalCode",
    "phone": "address-ui-widgets-enterAddressPhoneNumber",
    "country": "address-ui-widgets-countryCode",
}
ADDRESS_PATH = "/gp/buy/addressselect/handlers/display.html"
PAYMENT_PATH = "/gp/buy/payselect/handlers/display.html"
REVIEW_PATH = "/gp/buy/spc/handlers/display.html"


@bp.get("/")
def home():
    return redirect("/your-orders/orders")


# --- product and cart -----------------------------------------------------------------------------
@bp.get("/dp/<asin>")
@bp.get("/dp/<asin>/<path:_ref>")
@bp.get("/gp/product/<asin>")
@bp.get("/<slug>/dp/<asin>")
@bp.get("/<slug>/dp/<asin>/<path:_ref>")
def product(asin, slug=None, _ref=None):
    item = store().products.get(asin.upper())
    if item is None:
        abort(404)
    unavailable = item["stock"] <= 0 or store().fault("out_of_stock", item["asin"])
    return render_template(
        "product.html", item=item, unavailable=unavailable, most=min(item["stock"], 30)
    )


@bp.post("/cart/add-to-cart/ref=dp_start-bbf_1_glance")
@signed_in
def add_to_cart():
    s, email = store(), signed_in_email()
    asin, quantity = request.form.get("ASIN", ""), int(request.form.get("quantity") or 1)
    item = s.products.get(asin)
    if item is None or item["stock"] < quantity or s.fault("out_of_stock", asin):
        return render_template("product.html", item=item, unavailable=True, most=0), 409
    choice = request.form.get("attach")
    if item["addon"] and choice is None:  # the protection-plan side sheet
        return render_template("addon.html", item=item, quantity=quantity)
    s.add_to_cart(email, asin, quantity, protection=choice == "protection")
    return redirect(url_for("shopping.smart_wagon", newItems=f"{asin},{quantity}"))


@bp.get("/cart/smart-wagon")
@signed_in
def smart_wagon():
    return render_template("added.html", lines=store().cart(signed_in_email()))


@bp.get("/gp/cart/view.html")
@signed_in
def cart():
    s = store()
    return render_template("cart.html", lines=s.cart(signed_in_email()), products=s.products)


@bp.post("/cart/delete")
@signed_in
def delete_line():
    s, email = store(), signed_in_email()
    item_ids = [k.split(".", 2)[2] for k in request.form if k.startswith("submit.delete.")]
    with s.lock:
        s.carts[email] = [line for line in s.cart(email) if line["item_id"] not in item_ids]
    return redirect(url_for("shopping.cart"))


@bp.post("/gp/cart/view.html/proceed")
@signed_in
def proceed():
    s, email = store(), signed_in_email()
    if not s.cart(email):
        return redirect(url_for("shopping.cart"))
    s.checkouts[email] = {}
    return redirect(ADDRESS_PATH)


# --- checkout -------------------------------------------------------------------------------------
def checkout_or_cart():
    email = signed_in_email()
    checkout = store().checkouts.get(email)
    return email, checkout


@bp.route(ADDRESS_PATH, methods=["GET", "POST"])
@signed_in
def address():
    email, checkout = checkout_or_cart()
    if checkout is None:
        return redirect(url_for("shopping.cart"))
    if request.method == "GET":
        return render_template(
            "address.html", values={}, error=None, countries=COUNTRIES, fields=ADDRESS_FIELDS
        )
    if "address-ui-widgets-saveOriginalOrSuggestedAddress" in request.form:  # the dialog's answer
        pending = checkout.pop("pending_address")
        original = request.form.get("address-ui-widgets-addr-selection") == "original"
        checkout["address"] = pending if original else suggested(pending)
        checkout["address_choice"] = "original" if original else "suggested"
        return redirect(PAYMENT_PATH)
    values = {k: request.form.get(field, "").strip() for k, field in ADDRESS_FIELDS.items()}
    error = address_error(values)
    if error:
        return render_template(
            "address.html", values=values, error=error, countries=COUNTRIES, fields=ADDRESS_FIELDS
        ), 400
    if store().fault("address_suggestion") and not checkout.get("suggested"):
        checkout.update(pending_address=values, suggested=True)
        return render_template("suggestion.html", entered=values, suggestion=suggested(values))
    checkout["address"], checkout["address_choice"] = values, "entered"
    return redirect(PAYMENT_PATH)


def address_error(values) -> str | None:
    missing = [
        k for k in ("name", "line1", "city", "state", "postal_code", "country") if not values[k]
    ]
    if missing:
        return "Please enter " + ", ".join(m.replace("_", " ") for m in missing) + "."
    if values["country"] == "US" and not re.fullmatch(r"\d{5}(-\d{4})?", values["postal_code"]):
        return "Please enter a valid ZIP code."
    if values["country"] != "US":
        return "This item cannot be shipped to the selected address."
    return None


def suggested(values) -> dict:
    """Amazon's "did you mean": upper-case street, ZIP+4."""
    zip4 = (
        values["postal_code"] if "-" in values["postal_code"] else values["postal_code"] + "-0001"
    )
    return dict(values, line1=values["line1"].upper(), postal_code=zip4)


@bp.route(PAYMENT_PATH, methods=["GET", "POST"])
@signed_in
def payment():
    s = store()
    email, checkout = checkout_or_cart()
    if checkout is None or "address" not in checkout:
        return redirect(ADDRESS_PATH)
    acct = s.accounts[email]
    if request.method == "GET":
        return render_template("payment.html", acct=acct, error=None)
    form = request.form
    checkout["use_gift_card"] = bool(form.get("ppw-gcBalanceCheckbox"))
    card = None
    number = re.sub(r"\D", "", form.get("addCreditCardNumber", ""))
    if number:
        if len(number) < 13 or not form.get("addCreditCardVerificationNumber"):
            return render_template(
                "payment.html", acct=acct, error="Check the card number and its security code."
            ), 400
        card = dict(
            id=f"card-{len(acct['cards']) + 1}",
            last4=number[-4:],
            number=number,
            holder=form.get("ppw-accountHolderName", ""),
        )
        acct["cards"].append(card)
    elif form.get("ppw-instrumentRowSelection"):
        card = next(
            (c for c in acct["cards"] if c["id"] == form["ppw-instrumentRowSelection"]), None
        )
    if card is None and not checkout["use_gift_card"]:
        return render_template("payment.html", acct=acct, error="Select a payment method."), 400
    checkout["payment"] = dict(
        method="gift_card" if checkout["use_gift_card"] else "card",
        card_last4=card["last4"] if card else None,
        card_number=card["number"] if card else None,
    )
    return redirect(REVIEW_PATH)


@bp.get(REVIEW_PATH)
@signed_in
def review():
    email, checkout = checkout_or_cart()
    if checkout is None or "payment" not in checkout:
        return redirect(PAYMENT_PATH)
    return render_template("review.html", **review_context(email, checkout), error=None)


def review_context(email, checkout):
    s = store()
    return dict(
        lines=s.cart(email),
        products=s.products,
        totals=s.totals(email),
        address=checkout["address"],
        payment=checkout["payment"],
    )


@bp.post("/gp/buy/spc/handlers/static-submit-decoupled.html")
@signed_in
def place_order():
    s = store()
    email, checkout = checkout_or_cart()
    if checkout is None or "payment" not in checkout or not s.cart(email):
        return redirect(url_for("shopping.cart"))
    pay = checkout["payment"]
    if pay["method"] == "card" and (
        s.fault("declined_card") or pay["card_number"] in s.decline_cards
    ):
        return render_template(
            "payment.html",
            acct=s.accounts[email],
            error="There was a problem with your payment method. Your card was declined.",
        ), 402
    totals = s.totals(email)
    if pay["method"] == "gift_card" and totals["total"] > 0 and not pay["card_last4"]:
        return render_template(
            "review.html",
            **review_context(email, checkout),
            error="Your gift card balance does not cover this order. Add a payment method.",
        ), 402
    if s.fault("sold_out_at_place") or any(
        s.products[line["asin"]]["stock"] < line["quantity"] for line in s.cart(email)
    ):
        return render_template(
            "review.html",
            **review_context(email, checkout),
            error="One or more items in your order is out of stock and was not ordered.",
        ), 409
    order = s.place(email, gift=bool(request.form.get("isGift")))
    slow = s.fault("slow_place")
    if slow:
        time.sleep(float(slow.get("delay", 3)))
    return redirect(url_for("shopping.thank_you", purchaseId=order["number"]))


@bp.get("/gp/buy/thankyou/handlers/display.html")
@signed_in
def thank_you():
    order = store().orders.get(request.args.get("purchaseId", ""))
    if order is None or order["email"] != signed_in_email():
        abort(404)
    return render_template("thankyou.html", order=order)


# --- orders and tracking --------------------------------------------------------------------------
@bp.get("/your-orders/orders")
@bp.get("/gp/css/order-history")
@signed_in
def order_history():
    s, email = store(), signed_in_email()
    orders = sorted(
        (o for o in s.orders.values() if o["email"] == email),
        key=lambda o: o["placed_at"],
        reverse=True,
    )
    return render_template("history.html", orders=orders[:10], count=len(orders), date=order_date)


@bp.get("/gp/your-account/order-details")
@bp.get("/gp/css/order-details")
@signed_in
def order_details():
    order = store().orders.get(request.args.get("orderID", ""))
    if order is None or order["email"] != signed_in_email():
        abort(404)
    return render_template(
        "details.html",
        order=order,
        date=order_date,
        products=store().products,
        quantities=quantities(order),
    )


def quantities(order) -> list:
    return [(line["asin"], line["quantity"]) for line in order["lines"]]


@bp.get("/gp/your-account/ship-track")
@signed_in
def ship_track():
    order = store().orders.get(request.args.get("orderId", ""))
    index = int(request.args.get("shipmentIndex", "0") or 0)
    if order is None or order["email"] != signed_in_email() or index >= len(order["shipments"]):
        abort(404)
    return render_template("shiptrack.html", order=order, shipment=order["shipments"][index])


def usd(value) -> str:
    return f"${money(value):,.2f}"


bp.add_app_template_filter(usd, "money")
