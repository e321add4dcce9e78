"""walmart.com's pages at its paths: sign-in (e-mail, then password or an e-mailed code), the
"Robot or human?" press-and-hold page, product, cart, the one-page checkout (address book or a new
address, delivery choice, payment with the saved card's security code asked again or the gift-card
balance, review, place order), thank-you, order history and order details (+ its JSON)."""

from __future__ import annotations

import json
import re
import time

from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for

from .app import session_state, signed_in, signed_in_email, stale_answer, store
from .store import money

bp = Blueprint("site", __name__)
ADDRESS_FIELDS = (
    "firstName",
    "lastName",
    "addressLineOne",
    "addressLineTwo",
    "city",
    "state",
    "postalCode",
    "phone",
)
US_STATES = set(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
STATUS_TYPES = {
    "processing": "PROCESSING",
    "shipped": "SHIPPED",
    "delivered": "DELIVERED",
    "cancelled": "CANCELED",
    "returned": "RETURNED",
}


@bp.get("/")
def home():
    return redirect("/orders")


def _local(target: str | None) -> str:
    target = target or "/"
    return target if target.startswith("/") and not target.startswith("//") else "/"


# --- sign-in --------------------------------------------------------------------------------------
@bp.get("/account/login")
def login_page():
    session["return_to"] = _local(request.args.get("returnUrl"))
    if session_state() == "in":
        return redirect(session["return_to"])
    return render_template("login.html", step="email", email="", error=None)


@bp.post("/account/login")
def login_post():
    s, form = store(), request.form
    step = form.get("step", "email")
    email = (form.get("loginId") or session.get("pending_email") or "").strip().lower()
    acct = s.accounts.get(email)
    if step == "email":
        if acct is None:
            error = "We couldn't find an account with that email address."
            return render_template("login.html", step="email", email=email, error=error), 400
        session["pending_email"] = email
        if acct["sign_in"] == "code" or s.fault("code"):
            s.send_code(acct)
            return render_template("login.html", step="code", email=email, error=None)
        return render_template("login.html", step="password", email=email, error=None)
    if acct is None or session.get("pending_email") != email:
        return redirect(url_for("site.login_page"))
    if step == "code":
        if not acct["last_code"] or re.sub(r"\D", "", form.get("otp", "")) != acct["last_code"]:
            error = "The code you entered is incorrect. Please try again."
            return render_template("login.html", step="code", email=email, error=error), 400
        acct["last_code"] = None
        return _signed_in(email)
    if form.get("password", "") != acct["password"]:
        error = "Your email address and password don't match. Please try again."
        return render_template("login.html", step="password", email=email, error=error), 400
    if s.fault("press_hold"):
        session["held_email"] = email
        return redirect(url_for("site.blocked", url=session.get("return_to") or "/"))
    return _signed_in(email)


def _signed_in(email: str):
    back = _local(session.get("return_to"))
    session.clear()
    session.update(email=email, epoch=store().session_epoch)
    session.permanent = True
    return redirect(back)


@bp.get("/account/logout")
def logout():
    session.clear()
    return redirect("/")


@bp.get("/blocked")
def blocked():
    """The "Robot or human?" page: a press-and-hold button in an iframe inside #px-captcha."""
    return render_template("blocked.html", url=_local(request.args.get("url"))), 200


@bp.post("/blocked/verify")
def blocked_verify():
    """The hold was long enough (the frame's script posts here after it)."""
    email = session.pop("held_email", None)
    target = _local(request.form.get("url"))
    if email in store().accounts:
        session["return_to"] = target
        return _signed_in(email)
    return redirect(target)


# --- product and cart -----------------------------------------------------------------------------
def product_data(product) -> dict:
    """``__NEXT_DATA__`` of a product page (``data.product``), as public scrapers read it."""
    s = store()
    seller, seller_id = s.seller_of(product)
    criteria = []
    siblings = s.siblings(product)
    for name in product["variant"]:
        values = []
        for sib in siblings:
            value = sib["variant"][name]
            vid = f"{name.lower()}-{value.lower()}"
            if all(v["id"] != vid for v in values):
                values.append({"id": vid, "name": value})
        criteria.append({"name": name, "id": name.lower(), "variantList": values})
    variants_map = {
        sib["item_id"]: {
            "usItemId": sib["item_id"],
            "variants": [f"{n.lower()}-{v.lower()}" for n, v in sib["variant"].items()],
            "availabilityStatus": "IN_STOCK" if s.in_stock(sib) else "OUT_OF_STOCK",
        }
        for sib in siblings
        if product["variant"]
    }
    return {
        "product": {
            "usItemId": product["item_id"],
            "name": product["title"],
            "availabilityStatus": "IN_STOCK" if s.in_stock(product) else "OUT_OF_STOCK",
            "sellerName": seller,
            "sellerDisplayName": seller,
            "sellerId": seller_id,
            "orderLimit": min(product["order_limit"], max(product["stock"], 0)),
            "priceInfo": {
                "currentPrice": {
                    "price": float(product["price"]),
                    "priceString": f"${product['price']}",
                }
            },
            "variantCriteria": criteria,
            "variantsMap": variants_map,
        }
    }


@bp.get("/ip/<item_id>")
@bp.get("/ip/<slug>/<item_id>")
def product(item_id, slug=None):
    item = store().products.get(item_id)
    if item is None:
        return render_template("notfound.html"), 404
    data = product_data(item)
    return render_template("product.html", item=item, data=data, error=None)


@bp.post("/cart/items")
@signed_in
def add_to_cart():
    s, email = store(), signed_in_email()
    item = s.products.get(request.form.get("itemId", ""))
    if item is None:
        abort(404)
    quantity = int(request.form.get("quantity") or 1)
    data = product_data(item)
    error = None
    if not s.in_stock(item, quantity):
        error = "This item is out of stock." if not s.in_stock(item) else "Not enough stock."
    elif quantity > item["order_limit"]:
        error = f"Limit {item['order_limit']} per order."
    if error:
        return render_template("product.html", item=item, data=data, error=error), 409
    s.add_to_cart(email, item["item_id"], quantity)
    return redirect(url_for("site.cart", added=item["item_id"]))


@bp.get("/cart")
@signed_in
def cart():
    s = store()
    lines = s.cart(signed_in_email())
    return render_template("cart.html", lines=lines, products=s.products, seller=s.seller_of)


@bp.post("/cart/remove")
@signed_in
def remove_line():
    s, email = store(), signed_in_email()
    with s.lock:
        s.carts[email] = [x for x in s.cart(email) if x["line_id"] != request.form.get("lineId")]
    return redirect(url_for("site.cart"))


@bp.post("/checkout/start")
@signed_in
def start_checkout():
    s, email = store(), signed_in_email()
    if not s.cart(email):
        return redirect(url_for("site.cart"))
    s.checkouts[email] = {}
    return redirect("/checkout")


# --- checkout -------------------------------------------------------------------------------------
def _checkout():
    email = signed_in_email()
    return email, store().checkouts.get(email)


def checkout_page(email, checkout, error=None, status=200):
    s = store()
    if "address" not in checkout:
        step = "address"
    elif "shipping" not in checkout:
        step = "shipping"
    elif "payment" not in checkout:
        step = "payment"
    else:
        step = "review"
    totals = s.totals(email)
    return render_template(
        "checkout.html",
        step=step,
        checkout=checkout,
        acct=s.accounts[email],
        lines=s.cart(email),
        products=s.products,
        options=s.shipping_options(totals["items"]),
        totals=totals,
        error=error,
    ), status


@bp.get("/checkout")
@signed_in
def checkout():
    email, checkout = _checkout()
    if checkout is None:
        return redirect(url_for("site.cart"))
    return checkout_page(email, checkout)


@bp.post("/checkout/address")
@signed_in
def checkout_address():
    s = store()
    email, checkout = _checkout()
    if checkout is None:
        return redirect(url_for("site.cart"))
    acct, form = s.accounts[email], request.form
    if form.get("addressId"):
        address = next((a for a in acct["addresses"] if a["id"] == form["addressId"]), None)
        if address is None:
            return checkout_page(email, checkout, "Select an address.", 400)
        checkout["address"], checkout["address_choice"] = dict(address), "saved"
        return redirect("/checkout")
    values = {k: " ".join(form.get(k, "").split()) for k in ADDRESS_FIELDS}
    error = address_error(values)
    if error:
        return checkout_page(email, checkout, error, 400)
    values["id"] = f"addr-{len(acct['addresses']) + 1}"
    acct["addresses"].append(values)
    checkout["address"], checkout["address_choice"] = dict(values), "new"
    return redirect("/checkout")


def address_error(values) -> str | None:
    missing = [k for k in ("firstName", "lastName", "addressLineOne", "city") if not values[k]]
    if missing:
        return "Please complete the required fields."
    if values["state"] not in US_STATES:
        return "Please select a state. Walmart.com ships to US addresses only."
    if not re.fullmatch(r"\d{5}(-\d{4})?", values["postalCode"]):
        return "Please enter a valid ZIP code."
    if values["phone"] and len(re.sub(r"\D", "", values["phone"])) != 10:
        return "Please enter a valid phone number."
    return None


@bp.post("/checkout/shipping")
@signed_in
def checkout_shipping():
    s = store()
    email, checkout = _checkout()
    if checkout is None or "address" not in checkout:
        return redirect("/checkout")
    choice = request.form.get("fulfillmentOption", "")
    if choice not in {o["id"] for o in s.shipping_options(s.totals(email)["items"])}:
        return checkout_page(email, checkout, "Choose a delivery option.", 400)
    checkout["shipping"] = choice
    return redirect("/checkout")


@bp.post("/checkout/payment")
@signed_in
def checkout_payment():
    s = store()
    email, checkout = _checkout()
    if checkout is None or "shipping" not in checkout:
        return redirect("/checkout")
    acct, form = s.accounts[email], request.form
    if form.get("applyGiftCard"):
        if acct["gift_card_balance"] <= 0:
            return checkout_page(email, checkout, "This gift card has a $0.00 balance.", 400)
        checkout["payment"] = dict(method="gift_card", card_last4=None, card_number=None)
        return redirect("/checkout")
    number = re.sub(r"\D", "", form.get("cardNumber", ""))
    cvv = form.get("cvvNew" if number else "cvv", "").strip()
    if number:
        if len(number) < 13 or not re.fullmatch(r"\d{3,4}", cvv):
            return checkout_page(email, checkout, "Check the card number and security code.", 400)
        card = dict(
            id=f"card-{len(acct['cards']) + 1}",
            last4=number[-4:],
            number=number,
            name=form.get("cardName", ""),
            cvv=cvv,
        )
        acct["cards"].append(card)
    else:
        card = next((c for c in acct["cards"] if c["id"] == form.get("cardId")), None)
        if card is None:
            return checkout_page(email, checkout, "Select a payment method.", 400)
        if cvv != card["cvv"]:  # a saved card's security code is asked again
            return checkout_page(email, checkout, "Enter the card's security code (CVV).", 400)
    checkout["payment"] = dict(method="card", card_last4=card["last4"], card_number=card["number"])
    return redirect("/checkout")


@bp.post("/checkout/place-order")
@signed_in
def place_order():
    s = store()
    email, checkout = _checkout()
    if checkout is None or "payment" not in checkout or not s.cart(email):
        return redirect(url_for("site.cart"))
    pay, totals = checkout["payment"], s.totals(email)
    if pay["method"] == "card" and (
        s.fault("declined_card") or pay["card_number"] in s.decline_cards
    ):
        checkout.pop("payment")
        return checkout_page(
            email, checkout, "Your payment couldn't be processed. Use a different card.", 402
        )
    if pay["method"] == "gift_card" and totals["due"] > 0:
        return checkout_page(
            email,
            checkout,
            "Your gift card balance doesn't cover this order. Add another payment method.",
            402,
        )
    if any(not s.in_stock(s.products[x["item_id"]], x["quantity"]) for x in s.cart(email)):
        return checkout_page(email, checkout, "Some items in your cart are out of stock.", 409)
    order = s.place(email)
    slow = s.fault("slow_place")
    if slow:
        time.sleep(float(slow.get("delay", 3)))
    return redirect(url_for("site.thank_you", orderId=order["id"]))


@bp.get("/checkout/thankyou")
@signed_in
def thank_you():
    order = store().orders.get(request.args.get("orderId", ""))
    if order is None or order["email"] != signed_in_email():
        abort(404)
    return render_template("thankyou.html", order=order)


# --- orders ---------------------------------------------------------------------------------------
def order_json(order) -> dict:
    """An order as Walmart's getOrder answers it (``data.order``: ``groups_2101`` of items with
    ``productInfo.usItemId``, ``status.statusType``, ``priceDetails``; public order clients read
    these names). Each group's ``shipment`` and ``deliveryAddress`` are the replica's."""
    s = store()
    to = order["ship_to"]
    groups = []
    for index, ship in enumerate(order["shipments"]):
        state = "cancelled" if order["status"] == "cancelled" else ship["status"]
        items = [
            {
                "id": f"{order['id']}-{index}-{item_id}",
                "quantity": quantity,
                "productInfo": {
                    "name": s.products[item_id]["title"],
                    "usItemId": item_id,
                    "offerId": f"OFF{item_id}",
                },
                "priceInfo": {
                    "linePrice": {
                        "value": float(s.products[item_id]["price"] * quantity),
                        "displayValue": f"${s.products[item_id]['price'] * quantity}",
                    }
                },
            }
            for item_id, quantity in ship["items"]
        ]
        groups.append(
            {
                "id": f"{order['id']}-{index}",
                "itemCount": sum(q for _i, q in ship["items"]),
                "fulfillmentType": "SHIPPING",
                "status": {
                    "statusType": STATUS_TYPES[state],
                    "message": {"parts": [{"text": STATUS_TYPES[state].title(), "bold": True}]},
                },
                "items": items,
                "shipment": (
                    {
                        "trackingNumber": ship["tracking_number"],
                        "carrierName": ship["carrier"],
                        "trackingUrl": f"/tracking?tn={ship['tracking_number']}",
                    }
                    if ship["tracking_number"]
                    else None
                ),
                "deliveryAddress": {
                    "fullName": f"{to['firstName']} {to['lastName']}",
                    "address": {
                        "addressLineOne": to["addressLineOne"],
                        "addressLineTwo": to["addressLineTwo"],
                        "city": to["city"],
                        "state": to["state"],
                        "postalCode": to["postalCode"],
                    },
                },
            }
        )
    totals = order["totals"]
    line = lambda label, v: {  # noqa: E731
        "label": label,
        "value": float(v),
        "displayValue": f"${v}",
    }
    return {
        "id": order["id"],
        "displayId": order["display_id"],
        "orderDate": order["placed_at"],
        "type": "DELIVERY",
        "groups_2101": groups,
        "priceDetails": {
            "subTotal": line("Subtotal", totals["items"]),
            "shipping": line("Shipping", totals["shipping"]),
            "taxTotal": line("Tax", totals["tax"]),
            "grandTotal": line("Total", totals["total"]),
        },
        "paymentMethods": [
            {
                "description": "Gift card"
                if order["payment"]["method"] == "gift_card"
                else f"Visa ending in {order['payment']['card_last4']}",
                "paymentType": "GIFTCARD"
                if order["payment"]["method"] == "gift_card"
                else "CREDITCARD",
            }
        ],
    }


def my_orders() -> list[dict]:
    email = signed_in_email()
    return sorted(
        (o for o in store().orders.values() if o["email"] == email),
        key=lambda o: o["placed_at"],
        reverse=True,
    )


@bp.get("/orders")
@signed_in
def orders():
    listed = [order_json(o) for o in my_orders()[:20]]
    return render_template("orders.html", orders=listed, data={"orderHistory": listed})


@bp.get("/orders/<order_id>")
@signed_in
def order_page(order_id):
    order = store().orders.get(order_id)
    if order is None or order["email"] != signed_in_email():
        return render_template("notfound.html"), 404
    data = order_json(order)
    return render_template("order.html", order=data, data={"order": data})


@bp.get("/orchestra/orders/graphql/getOrder/<_hash>")
def get_order(_hash):
    """The JSON the order page loads (GET with ``variables={"orderId": …}``)."""
    state = session_state()
    if state != "in":
        return stale_answer() if state == "stale" else (jsonify({"errors": ["unauthorized"]}), 401)
    try:
        order_id = json.loads(request.args.get("variables", "{}")).get("orderId", "")
    except ValueError:
        return jsonify({"errors": ["bad variables"]}), 400
    order = store().orders.get(str(order_id))
    if order is None or order["email"] != signed_in_email():
        return jsonify({"data": {"order": None}, "errors": ["not found"]}), 404
    return jsonify({"data": {"order": order_json(order)}})


bp.add_app_template_filter(lambda v: f"${money(v):,.2f}", "money")
