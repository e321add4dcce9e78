"""JSON control endpoints under /sandbox/ (no auth): inspect orders, ship them, manage accounts,
faults."""

from __future__ import annotations

import binascii
import os

import pyotp
from flask import Blueprint, jsonify, request, url_for

from . import pricing, tracking
from .store import variant_label
from .web import get_store

bp = Blueprint("control", __name__, url_prefix="/sandbox")

ACCOUNT_FIELDS = (
    "password",
    "gift_card_balance",
    "two_factor",
    "captcha",
    "totp_secret",
    "expire_sessions",
)
FAULT_PARAMS = {"price_raise": ("factor",), "slow": ("delay",), "flaky": ("every", "probability")}


def _err(message: str, status: int = 400):
    return jsonify({"error": message}), status


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def order_json(order: dict) -> dict:
    first = order["items"][0]
    return {
        "number": order["number"],
        "account_email": order["account_email"],
        "status": order["status"],
        "placed_at": order["placed_at"],
        "product_slug": first["product_slug"],
        "product_title": first["product_title"],
        "variant_id": first["variant_id"],
        "variant_label": first["variant_label"],
        "quantity": first["quantity"],
        "item_price": pricing.dec(first["unit_price"]),
        "items": [
            dict(
                i, unit_price=pricing.dec(i["unit_price"]), line_total=pricing.dec(i["line_total"])
            )
            for i in order["items"]
        ],
        "ship_to": dict(order["ship_to"]),
        "payment_method": order["payment"]["method"],
        "card_last4": order["payment"]["card_last4"],
        "card_brand": order["payment"]["card_brand"],
        "subtotal": pricing.dec(order["subtotal"]),
        "shipping": pricing.dec(order["shipping"]),
        "tax": pricing.dec(order["tax"]),
        "protection_plan": pricing.dec(order["protection_plan"]),
        "total": pricing.dec(order["total"]),
        "note": order["note"],
        "carrier": order["carrier"],
        "tracking_number": order["tracking_number"],
        "tracking_url": order["tracking_url"],
        "packages": order.get("packages") or [],
        "shipped_at": order["shipped_at"],
        "detail_url": url_for("orders.detail", number=order["number"], _external=True),
    }


def account_json(acct: dict) -> dict:
    return {
        "email": acct["email"],
        "password": acct["password"],
        "gift_card_balance": pricing.dec(acct["gift_card_balance"]),
        "two_factor": acct["two_factor"],
        "captcha": acct["captcha"],
        "totp": bool(acct["totp_secret"]),  # the key itself is never shown again
    }


@bp.get("/health")
def health():
    return {"ok": True, "pid": os.getpid(), "seed": get_store().seed}


@bp.post("/reset")
def reset():
    seed = _body().get("seed")
    get_store().reset(None if seed is None else int(seed))
    return {"ok": True, "seed": get_store().seed}


@bp.get("/orders")
def list_orders():
    store = get_store()
    email = request.args.get("email", "").lower()
    with store.lock:
        orders = [
            order_json(o) for o in store.orders.values() if not email or o["account_email"] == email
        ]
    return jsonify(orders)


@bp.get("/orders/<number>")
def get_order(number: str):
    order = get_store().order(number)
    return order_json(order) if order else _err(f"no order {number}", 404)


@bp.post("/orders/<number>/ship")
def ship(number: str):
    store = get_store()
    if store.order(number) is None:
        return _err(f"no order {number}", 404)
    body = _body()
    fmt = body.get("format")
    if fmt is not None and fmt not in tracking.FORMATS:
        return _err(f"format must be one of {', '.join(tracking.FORMATS)}")
    order = store.ship(number, body.get("carrier"), body.get("tracking_number"), fmt)
    return order_json(order)


@bp.post("/orders/<number>/packages")
def ship_packages(number: str):
    store = get_store()
    if store.order(number) is None:
        return _err(f"no order {number}", 404)
    packages = _body().get("packages")
    if not isinstance(packages, list) or not packages:
        return _err("packages must be a non-empty list")
    for spec in packages:
        if not isinstance(spec, dict):
            return _err("each package must be an object")
        if spec.get("format") is not None and spec["format"] not in tracking.FORMATS:
            return _err(f"format must be one of {', '.join(tracking.FORMATS)}")
        if spec.get("status", "shipped") not in ("shipped", "delivered", "returned"):
            return _err("status must be shipped, delivered or returned")
        quantities = spec.get("quantities")
        if quantities is not None and (
            not isinstance(quantities, list)
            or len(quantities) != len(spec.get("variant_ids") or [])
            or not all(type(q) is int and q >= 1 for q in quantities)
        ):
            return _err("quantities must be whole numbers >= 1, one per variant id")
    return order_json(store.ship_packages(number, packages))


@bp.post("/orders/<number>/cancel")
def cancel(number: str):
    store = get_store()
    if store.order(number) is None:
        return _err(f"no order {number}", 404)
    return order_json(store.cancel(number))


@bp.get("/accounts")
def list_accounts():
    store = get_store()
    with store.lock:
        return jsonify([account_json(a) for a in store.accounts.values()])


@bp.post("/accounts")
def create_account():
    body = _body()
    try:
        acct = get_store().create_account(
            body.get("email", ""),
            body.get("password", ""),
            pricing.parse_money(body.get("gift_card_balance", 0)),
            bool(body.get("two_factor")),
            bool(body.get("captcha")),
            _totp_secret(body.get("totp_secret")),
        )
    except ValueError as exc:
        return _err(str(exc))
    return account_json(acct), 201


@bp.route("/accounts/<email>", methods=["GET", "PATCH", "POST"])
def account(email: str):
    store = get_store()
    acct = store.account(email)
    if acct is None:
        return _err(f"no account {email}", 404)
    if request.method != "GET":
        changes = {k: v for k, v in _body().items() if k in ACCOUNT_FIELDS}
        try:
            if "gift_card_balance" in changes:
                changes["gift_card_balance"] = pricing.parse_money(changes["gift_card_balance"])
        except ValueError as exc:
            return _err(str(exc))
        try:
            if "totp_secret" in changes:
                changes["totp_secret"] = _totp_secret(changes["totp_secret"])
        except ValueError as exc:
            return _err(str(exc))
        acct = store.update_account(email, **changes)
    return account_json(acct)


def _totp_secret(value):
    """An authenticator key (base32, as a site shows under its QR code), or None to remove it."""
    if not value:
        return None
    key = "".join(str(value).split()).upper()
    try:
        pyotp.TOTP(key).now()
    except (ValueError, TypeError, binascii.Error):
        raise ValueError("totp_secret must be a base32 authenticator key") from None
    return key


@bp.get("/accounts/<email>/2fa-code")
def two_factor_code(email: str):
    acct = get_store().account(email)
    if acct is None:
        return _err(f"no account {email}", 404)
    if not acct["otp"]:
        return _err("no verification code pending (sign in with the password first)", 404)
    return {"email": acct["email"], "code": acct["otp"]}


def _product_update(slug: str, key: str, parse):
    store = get_store()
    body = _body()
    if key not in body:
        return _err(f"JSON body needs {key!r}")
    try:
        value = parse(body[key])
        (store.set_stock if key == "stock" else store.set_price)(
            slug, value, body.get("variant_id")
        )
    except KeyError as exc:
        return _err(f"unknown product or variant {exc}", 404)
    except (TypeError, ValueError) as exc:
        return _err(str(exc))
    return product_json(store.product(slug))


@bp.post("/products/<slug>/stock")
def set_stock(slug: str):
    return _product_update(slug, "stock", int)


@bp.post("/products/<slug>/price")
def set_price(slug: str):
    return _product_update(slug, "price", pricing.parse_money)


def product_json(product: dict) -> dict:
    store = get_store()
    return {
        "id": product["id"],
        "slug": product["slug"],
        "title": product["title"],
        "category": product["category"],
        "option_names": product["option_names"],
        "url": url_for("catalog.product", slug=product["slug"], _external=True),
        "variants": [
            {
                "id": v["id"],
                "label": variant_label(v),
                "options": v["options"],
                "price": pricing.dec(v["price"]),
                "checkout_price": pricing.dec(store.checkout_price(product, v)),
                "stock": store.stock(product, v),
                "url": url_for(
                    "catalog.product", slug=product["slug"], variant=v["id"], _external=True
                ),
            }
            for v in product["variants"]
        ],
    }


@bp.get("/catalog")
def catalog():
    store = get_store()
    with store.lock:
        return jsonify([product_json(p) for p in store.products.values()])


@bp.get("/faults")
def list_faults():
    return jsonify(get_store().faults)


def _set_one(spec: dict) -> dict:
    name = spec.get("name")
    products = spec.get("products")
    if isinstance(products, str):
        products = [products]
    params = {k: spec[k] for k in FAULT_PARAMS.get(name, ()) if k in spec}
    for key, value in params.items():
        value = float(value)
        if (
            value < 0
            or (key == "probability" and value > 1)
            or (key in ("factor", "every") and value <= 0)
        ):
            raise ValueError(f"invalid {key}: {spec[key]!r}")
        params[key] = int(value) if key == "every" else value
    return get_store().set_fault(name, params, products)


@bp.post("/faults")
def set_faults():
    body = _body()
    specs = body.get("faults") if "faults" in body else [body]
    try:
        for spec in specs:
            _set_one(spec)
    except (TypeError, ValueError) as exc:
        return _err(str(exc))
    return jsonify(get_store().faults)


@bp.delete("/faults")
def clear_faults():
    get_store().clear_faults(request.args.get("name"))
    return jsonify(get_store().faults)


@bp.delete("/faults/<name>")
def clear_fault(name: str):
    get_store().clear_faults(name)
    return jsonify(get_store().faults)
