"""The AliExpress replica's pages, at the real site's paths (see README.md for what differs)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import time
from urllib.parse import quote

from flask import Flask, abort, redirect, render_template, request, session

from . import control
from .store import PACKAGE_TEXT, SERVICES, STATUS_TEXT, STORES, Store, money

STORE_KEY = "sandbox_aliexpress_store"
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "PR": "Puerto Rico", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming",
}  # fmt: skip
COUNTRIES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "AU": "Australia",
    "DE": "Germany",
    "FR": "France",
    "ES": "Spain",
}
ZIP_RULES = {
    "US": (r"\d{5}(-\d{4})?", "Please enter a ZIP code like 20001 or 20001-0000"),
    "CA": (r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d", "Please enter a postal code like K1A 0B1"),
    "GB": (r"[A-Za-z0-9 ]{5,8}", "Please enter a valid postcode"),
    "AU": (r"\d{4}", "Please enter a 4-digit postcode"),
    "DE": (r"\d{5}", "Please enter a 5-digit postcode"),
    "FR": (r"\d{5}", "Please enter a 5-digit postcode"),
    "ES": (r"\d{5}", "Please enter a 5-digit postcode"),
}
ADDRESS_FIELDS = ("country", "first", "last", "code", "mobile", "street", "apt")
ADDRESS_FIELDS += ("state", "city", "zip")


def store() -> Store:
    from flask import current_app

    return current_app.extensions[STORE_KEY]


def usd(value) -> str:
    return f"US ${money(value):,.2f}"


def account() -> dict | None:
    email = session.get("email")
    acct = store().accounts.get(email) if email else None
    if acct is None or session.get("epoch") != acct["epoch"] or not session.get("ok"):
        return None
    return acct


def signed_in(view):
    """The view, given the signed-in account first; else the sign-in page (which comes back
    here), or the punish page for a blocked account."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        acct = account()
        if acct is None:
            return redirect("/login?return_url=" + quote(request.full_path.rstrip("?")))
        if acct["challenge"] == "blocked":
            return redirect("/_____tmd_____/punish")
        return view(acct, *args, **kwargs)

    return guarded


def create_app(seed: int = 0, secret_key: str | None = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret_key or hashlib.sha256(f"sandbox-aliexpress:{seed}".encode()).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="xman_t",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=30),
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions[STORE_KEY] = Store(seed=seed)
    app.jinja_env.filters["usd"] = usd
    app.jinja_env.globals.update(
        STATUS_TEXT=STATUS_TEXT, PACKAGE_TEXT=PACKAGE_TEXT, COUNTRIES=COUNTRIES, STORES=STORES
    )
    app.register_blueprint(control.bp)

    @app.context_processor
    def inject():
        return {
            "popup": "popup" in store().faults,
            "show_gdpr": "gdpr_consent" not in request.cookies,
            "signed_in": account() is not None,
        }

    @app.before_request
    def seen_and_slow():
        if request.path.startswith("/sandbox/"):
            return
        store().seen.append(f"{request.method} {request.path}")  # before any delay
        fault = store().faults.get("slow")
        if fault:
            time.sleep(float(fault.get("delay", 2)))

    register_pages(app)
    return app


def register_pages(app: Flask) -> None:  # noqa: C901 - one route table, read top to bottom
    @app.get("/")
    def home():
        return render_template("home.html", items=store().items.values())

    # --- sign-in: login.aliexpress.com on the real site -------------------------------------------
    @app.route("/login", methods=["GET", "POST"])
    def login():
        back = request.values.get("return_url") or "/p/order/index.html"
        if not back.startswith("/") or back.startswith("//"):
            back = "/p/order/index.html"
        if request.method == "GET":
            return render_template("login.html", back=back, error=None, slider=False)
        hang = store().faults.get("login_hang")
        if hang:
            time.sleep(float(hang.get("delay", 60)))
        email = request.form.get("fm-login-id", "").strip().lower()
        acct = store().accounts.get(email)
        if acct is None or acct["password"] != request.form.get("fm-login-password"):
            error = "Your account name or password is incorrect."
            return render_template("login.html", back=back, error=error, slider=False), 200
        challenge = "slider" if "slider" in store().faults else acct["challenge"]
        if challenge == "slider":
            return render_template("login.html", back=back, error=None, slider=True)
        session.clear()
        session.permanent = True
        session.update(email=email, epoch=acct["epoch"], ok=challenge != "code")
        if challenge == "code":
            acct["code"] = f"{store().rng.randrange(10**6):06d}"
            return redirect("/login/verify?return_url=" + quote(back))
        if challenge == "blocked":
            return redirect("/_____tmd_____/punish")
        return redirect(back)

    @app.route("/login/verify", methods=["GET", "POST"])
    def verify():
        acct = store().accounts.get(session.get("email") or "")
        if acct is None:
            return redirect("/login")
        back = request.values.get("return_url") or "/p/order/index.html"
        error = None
        if request.method == "POST":
            if acct["code"] and request.form.get("code", "").strip() == acct["code"]:
                acct["code"] = None
                session["ok"] = True
                return redirect(back if back.startswith("/") else "/")
            error = "The verification code is incorrect or has expired."
        masked = acct["email"][0] + "***" + acct["email"][acct["email"].index("@") :]
        return render_template("verify.html", back=back, masked=masked, error=error)

    @app.get("/_____tmd_____/punish")
    def punish():
        return render_template("punish.html"), 200

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect("/")

    # --- the product page ------------------------------------------------------------------------
    @app.get("/item/<item_id>.html")
    def item(item_id):
        product = store().items.get(item_id)
        if product is None:
            abort(404)
        skus = [
            {
                "skuIdStr": sku_id,
                "path": sku["path"],
                "skuVal": {
                    "availQuantity": 0 if "out_of_stock" in store().faults else sku["stock"],
                    "skuAmount": {"value": float(sku["price"]), "currency": "USD"},
                    "skuAmountLocal": usd(sku["price"]),
                },
            }
            for sku_id, sku in product["skus"].items()
        ]
        properties = [
            {
                "skuPropertyId": int(pid),
                "skuPropertyName": name,
                "skuPropertyValues": [
                    {"propertyValueIdLong": int(vid), "propertyValueDisplayName": vname}
                    for vid, vname in values
                ],
            }
            for pid, name, values in product["properties"]
        ]
        single = skus[0]["skuIdStr"] if not properties else None
        model = {"SKU": {"skuProperties": properties, "skuPaths": skus, "selectedSkuIdStr": single}}
        low = min(s["price"] for s in product["skus"].values())
        return render_template(
            "item.html",
            item=product,
            store_name=STORES[product["store_id"]],
            model=json.dumps({"lifeCycleEventList": [{"data": model}]}),
            low=low,
            added=request.args.get("added"),
            error=request.args.get("error"),
        )

    # --- the cart ---------------------------------------------------------------------------------
    @app.post("/p/shoppingcart/add")
    @signed_in
    def cart_add(acct):
        item_id, sku_id = request.form.get("itemId", ""), request.form.get("skuId", "")
        product = store().items.get(item_id)
        try:
            quantity = int(request.form.get("quantity", "1"))
            if product is None or sku_id not in product["skus"] or not 1 <= quantity <= 999:
                raise ValueError("Please select the product options.")
            line = store().add_to_cart(acct["email"], item_id, sku_id, quantity)
        except ValueError as exc:
            return redirect(f"/item/{item_id}.html?error=" + quote(str(exc)))
        if request.form.get("buyNow"):
            return redirect(f"/p/trade/confirm.html?availableProductShopcartIds={line['cart_id']}")
        return redirect(f"/item/{item_id}.html?added={line['cart_id']}")

    @app.get("/p/shoppingcart/index.html")
    @signed_in
    def cart(acct):
        lines = store().cart_lines(acct["email"])
        for line in lines:
            product = store().items[line["item_id"]]
            line.update(
                item=product,
                store=STORES[product["store_id"]],
                sku_label=store().sku_label(product, line["sku_id"]),
                unit=store().price(product, line["sku_id"]),
            )
        ids = ",".join(line["cart_id"] for line in lines)
        return render_template("cart.html", lines=lines, ids=ids)

    @app.post("/p/shoppingcart/delete")
    @signed_in
    def cart_delete(acct):
        store().delete_cart_lines(acct["email"], set(request.form.getlist("cartId")))
        return redirect("/p/shoppingcart/index.html")

    # --- checkout ---------------------------------------------------------------------------------
    def cart_ids() -> list[str]:
        raw = request.values.get("availableProductShopcartIds", "")
        return [i for i in raw.split(",") if i.strip()]

    def confirm_page(acct, *, status=200, error=None, form=None, form_errors=None):
        ids = cart_ids()
        lines = store().cart_lines(acct["email"], set(ids))
        summary = store().summary(acct["email"], lines)
        return render_template(
            "confirm.html",
            summary=summary,
            ids=",".join(ids),
            balance=acct["balance"],
            error=error,
            form=form or {"country": "US", "code": "+1"},
            form_errors=form_errors or {},
            drawer=form is not None,
            states=US_STATES,
            services=SERVICES,
        ), status

    @app.get("/p/trade/confirm.html")
    @signed_in
    def confirm(acct):
        if not store().cart_lines(acct["email"], set(cart_ids())):
            return render_template(
                "error.html", message="Query product info failed, orderLine DTO is empty"
            ), 200
        return confirm_page(acct)

    @app.post("/p/trade/address")
    @signed_in
    def add_address(acct):
        form = {name: request.form.get(name, "").strip() for name in ADDRESS_FIELDS}
        errors = address_errors(form)
        if errors:
            return confirm_page(acct, form=form, form_errors=errors)
        state_code = next(
            (c for c, n in US_STATES.items() if n == form["state"]), form["state"].upper()
        )
        store().add_address(
            acct["email"],
            {
                "full_name": f"{form['first']} {form['last']}",
                "phone": f"{form['code']} {form['mobile']}",
                "line1": form["street"],
                "line2": form["apt"],
                "city": form["city"],
                "state": form["state"],
                "state_code": state_code if form["country"] == "US" else "",
                "postal_code": form["zip"],
                "country": form["country"],
            },
        )
        return redirect(f"/p/trade/confirm.html?availableProductShopcartIds={','.join(cart_ids())}")

    @app.post("/p/trade/shipping")
    @signed_in
    def choose_shipping(acct):
        try:
            store().choose_service(
                acct["email"], request.form.get("itemId", ""), request.form.get("service", "")
            )
        except (KeyError, ValueError) as exc:
            return confirm_page(acct, error=str(exc))
        return redirect(f"/p/trade/confirm.html?availableProductShopcartIds={','.join(cart_ids())}")

    @app.post("/p/trade/place")
    @signed_in
    def place(acct):
        method = request.form.get("payChannel", "card")
        payment = {"method": "balance" if method == "balance" else "card"}
        if payment["method"] == "card":
            payment["card_number"] = re.sub(r"\D", "", request.form.get("cardNo", ""))
            if len(payment["card_number"]) < 13 or not request.form.get("cvv", "").isdigit():
                return confirm_page(acct, error="Please enter a valid card number and CVV.")
        notes = {k[5:]: v[:512] for k, v in request.form.items() if k.startswith("note_")}
        try:
            numbers = store().place(acct["email"], set(cart_ids()), payment, notes)
        except ValueError as exc:
            if str(exc).startswith("Payment failed"):
                return render_template("pay_result.html", orders=[], error=str(exc))
            return confirm_page(acct, error=str(exc))
        return redirect("/p/second-payment/pay-result.html?orderIds=" + ",".join(numbers))

    @app.get("/p/second-payment/pay-result.html")
    @signed_in
    def pay_result(acct):
        numbers = [n for n in request.args.get("orderIds", "").split(",") if n]
        orders = [store().orders[n] for n in numbers if n in store().orders]
        return render_template("pay_result.html", orders=orders, error=None)

    # --- after the sale ---------------------------------------------------------------------------
    @app.get("/p/order/index.html")
    @signed_in
    def order_list(acct):
        orders = [o for o in store().orders.values() if o["account_email"] == acct["email"]]
        orders.sort(key=lambda o: o["placed_at"], reverse=True)
        return render_template("orders.html", orders=orders, when=when)

    def own_order(acct, number):
        order = store().orders.get(number or "")
        if order is None or order["account_email"] != acct["email"]:
            abort(404)
        return order

    @app.get("/p/order/detail.html")
    @signed_in
    def order_detail(acct):
        order = own_order(acct, request.args.get("orderId"))
        return render_template("order_detail.html", order=order, when=when)

    @app.get("/p/tracking/index.html")
    @signed_in
    def order_tracking(acct):
        order = own_order(acct, request.args.get("tradeOrderId"))
        labels = {i["sku_id"]: i for i in order["items"]}
        return render_template("tracking.html", order=order, labels=labels, when=when)

    @app.errorhandler(404)
    def not_found(_exc):
        if request.path.startswith("/sandbox/"):
            return {"error": "not found"}, 404
        return render_template(
            "error.html", message="Sorry, the page you requested was not found."
        ), 404


def when(iso: str, fmt: str = "%b %d, %Y") -> str:
    return dt.datetime.fromisoformat(iso).strftime(fmt).replace(" 0", " ")


def address_errors(form: dict) -> dict:
    """What AliExpress's address form says about each field (empty: accepted)."""
    errors = {}
    if form["country"] not in COUNTRIES:
        errors["country"] = "Please select a country/region"
    for name, label in (("first", "first name"), ("last", "last name"), ("city", "city")):
        if not form[name]:
            errors[name] = f"Please enter a {label}"
        elif len(form[name]) > 35:
            errors[name] = "Please enter up to 35 characters"
    digits = re.sub(r"\D", "", form["mobile"])
    if form["country"] == "US" and len(digits) != 10:
        errors["mobile"] = "Please enter a 10-digit mobile number"
    elif not 5 <= len(digits) <= 15:
        errors["mobile"] = "Please enter a valid mobile number"
    if not 5 <= len(form["street"]) <= 35:
        errors["street"] = "Please enter an address with 5-35 characters including building number"
    if len(form["apt"]) > 35:
        errors["apt"] = "Please enter up to 35 characters"
    if form["country"] == "US" and form["state"] not in US_STATES.values():
        errors["state"] = "Please select a state"
    elif not form["state"] and form["country"] in ("CA", "AU"):
        errors["state"] = "Please enter a state/province"
    rule = ZIP_RULES.get(form["country"])
    if rule and not re.fullmatch(rule[0], form["zip"]):
        errors["zip"] = rule[1]
    return errors
