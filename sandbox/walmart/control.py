"""JSON control endpoints under /sandbox/ (no auth), in the demo shop's style: health, reset,
accounts (with the last e-mailed sign-in code), products, faults, orders (inspect, ship in
packages, deliver, cancel), sessions."""

from __future__ import annotations

import os

from flask import Blueprint, jsonify, request

from .store import FAULTS, money

bp = Blueprint("control", __name__, url_prefix="/sandbox")
CARRIERS = {"fedex": "FedEx", "ups": "UPS", "usps": "USPS", "ontrac": "OnTrac"}


def _store():
    from .app import store

    return store()


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _err(message, status=400):
    return jsonify({"error": message}), status


def order_json(order) -> dict:
    return {
        "id": order["id"],
        "display_id": order["display_id"],
        "account_email": order["email"],
        "placed_at": order["placed_at"],
        "status": order["status"],
        "lines": [{"item_id": x["item_id"], "quantity": x["quantity"]} for x in order["lines"]],
        "ship_to": order["ship_to"],
        "shipping": order["shipping"],
        "payment_method": order["payment"]["method"],
        "card_last4": order["payment"]["card_last4"],
        "totals": order["totals"],
        "shipments": order["shipments"],
    }


def fedex_number(rng) -> str:
    """A FedEx Express 12-digit number with its check digit (weights 3,1,7; mod 11, mod 10)."""
    body = [rng.randrange(10) for _ in range(11)]
    body[0] = 7
    check = sum(d * w for d, w in zip(body, [3, 1, 7] * 4, strict=False)) % 11 % 10
    return "".join(map(str, body)) + str(check)


@bp.get("/health")
def health():
    return {"ok": True, "pid": os.getpid(), "seed": _store().seed}


@bp.post("/reset")
def reset():
    _store().reset(_body().get("seed"))
    return {"ok": True}


@bp.post("/accounts")
def add_account():
    body = _body()
    if not body.get("email") or not body.get("password"):
        return _err("email and password are required")
    if body.get("sign_in", "password") not in ("password", "code"):
        return _err("sign_in must be password or code")
    try:
        acct = _store().add_account(
            body["email"],
            body["password"],
            sign_in=body.get("sign_in"),
            gift_card_balance=body.get("gift_card_balance", "0.00"),
        )
    except ArithmeticError:
        return _err("gift_card_balance must be an amount")
    return _account(acct)


def _account(acct) -> dict:
    return {
        "email": acct["email"],
        "sign_in": acct["sign_in"],
        "gift_card_balance": str(acct["gift_card_balance"]),
        "cards": [c["last4"] for c in acct["cards"]],
        "addresses": len(acct["addresses"]),
        "last_code": acct["last_code"],  # the code "e-mailed" at the last sign-in
        "cart": _store().cart(acct["email"]),
    }


@bp.get("/accounts/<email>")
def account(email):
    acct = _store().accounts.get(email.lower())
    if acct is None:
        return _err("no such account", 404)
    return _account(acct)


@bp.post("/products")
def add_product():
    body = _body()
    item_id = str(body.get("item_id", ""))
    if not item_id.isdigit() or not 5 <= len(item_id) <= 13:
        return _err("item_id must be 5 to 13 digits")
    try:
        product = _store().add_product(
            item_id,
            body.get("title") or f"Product {item_id}",
            money(body.get("price", "10.00")),
            stock=int(body.get("stock", 25)),
            order_limit=int(body.get("order_limit", 12)),
            seller=body.get("seller"),
            seller_id=body.get("seller_id"),
            group=body.get("group"),
            variant=body.get("variant") if isinstance(body.get("variant"), dict) else None,
        )
    except (ArithmeticError, ValueError, TypeError):
        return _err("price, stock and order_limit must be numbers")
    return {"item_id": product["item_id"], "slug": product["slug"]}


@bp.get("/faults")
def faults():
    return {"active": _store().faults, "known": FAULTS}


@bp.post("/faults")
def set_fault():
    body = _body()
    name = body.pop("name", None)
    if name not in FAULTS:
        return _err(f"unknown fault {name!r}; known: {sorted(FAULTS)}")
    with _store().lock:
        _store().faults[name] = {"on": True, **body}  # never empty: a fault is truthy
    return {"active": _store().faults}


@bp.delete("/faults")
@bp.delete("/faults/<name>")
def clear_faults(name=None):
    with _store().lock:
        if name:
            _store().faults.pop(name, None)
        else:
            _store().faults.clear()
    return {"active": _store().faults}


@bp.get("/orders")
def orders():
    return {"orders": [order_json(o) for o in _store().orders.values()]}


@bp.post("/orders/<number>/ship")
def ship(number):
    """Ship each shipment: ``{"packages": [{"carrier": "fedex", "tracking_number": "…",
    "status": "shipped|delivered|returned"}, …]}`` one per shipment (generated when not given)."""
    s = _store()
    order = s.orders.get(number)
    if order is None:
        return _err("no such order", 404)
    packages = _body().get("packages") or []
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        return _err("packages must be a list of objects")
    with s.lock:
        for i, shipment in enumerate(order["shipments"]):
            given = packages[i] if i < len(packages) else {}
            carrier = CARRIERS.get(str(given.get("carrier", "fedex")).lower(), given.get("carrier"))
            status = given.get("status", "shipped")
            if status not in ("shipped", "delivered", "returned"):
                return _err("status must be shipped, delivered or returned")
            shipment.update(
                carrier=carrier,
                tracking_number=given.get("tracking_number") or fedex_number(s.rng),
                status=status,
            )
        order["status"] = "shipped"
    return order_json(order)


@bp.post("/orders/<number>/cancel")
def cancel(number):
    order = _store().orders.get(number)
    if order is None:
        return _err("no such order", 404)
    order["status"] = "cancelled"
    return order_json(order)


@bp.post("/sessions/expire")
def expire_sessions():
    """Every signed-in session's cookie goes stale: Walmart answers it 403 until a new sign-in."""
    with _store().lock:
        _store().session_epoch += 1
    return {"epoch": _store().session_epoch}
