"""JSON control endpoints under /sandbox/ (no auth), in the demo shop's style: health, reset,
accounts, products, faults, orders (inspect, ship in packages, deliver, cancel), sessions."""

from __future__ import annotations

import os

from flask import Blueprint, jsonify, request

from .store import FAULTS, money

bp = Blueprint("control", __name__, url_prefix="/sandbox")
CARRIERS = {"amazon": "Amazon", "ups": "UPS", "usps": "USPS", "fedex": "FedEx"}


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
        "number": order["number"],
        "account_email": order["email"],
        "placed_at": order["placed_at"],
        "status": order["status"],
        "lines": [
            {"asin": x["asin"], "quantity": x["quantity"], "protection": x["protection"]}
            for x in order["lines"]
        ],
        "ship_to": order["ship_to"],
        "address_choice": order["address_choice"],
        "payment_method": order["payment"]["method"],
        "card_last4": order["payment"]["card_last4"],
        "gift": order["gift"],
        "totals": order["totals"],
        "shipments": order["shipments"],
    }


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
    acct = _store().add_account(
        body["email"],
        body["password"],
        totp_secret=body.get("totp_secret"),
        two_factor=body.get("two_factor"),
        gift_card_balance=body.get("gift_card_balance", "0.00"),
    )
    return {
        "email": acct["email"],
        "two_factor": acct["two_factor"],
        "gift_card_balance": str(acct["gift_card_balance"]),
        "cards": len(acct["cards"]),
    }


@bp.get("/accounts/<email>")
def account(email):
    acct = _store().accounts.get(email.lower())
    if acct is None:
        return _err("no such account", 404)
    return {
        "email": acct["email"],
        "gift_card_balance": str(acct["gift_card_balance"]),
        "cards": [c["last4"] for c in acct["cards"]],
        "cart": _store().cart(acct["email"]),
    }


@bp.post("/products")
def add_product():
    body = _body()
    asin = str(body.get("asin", "")).upper()
    if len(asin) != 10:
        return _err("asin must be 10 characters")
    with _store().lock:
        _store().products[asin] = dict(
            asin=asin,
            title=body.get("title", f"Product {asin}"),
            price=money(body.get("price", "10.00")),
            stock=int(body.get("stock", 10)),
            addon=bool(body.get("addon", False)),
        )
    return {"asin": asin}


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
    """Ship each shipment: ``{"packages": [{"carrier": "ups", "tracking_number": "1Z…",
    "status": "shipped|delivered"}, …]}`` one per shipment (generated when not given)."""
    s = _store()
    order = s.orders.get(number)
    if order is None:
        return _err("no such order", 404)
    packages = _body().get("packages") or []
    with s.lock:
        for i, shipment in enumerate(order["shipments"]):
            given = packages[i] if i < len(packages) else {}
            carrier = CARRIERS.get(
                str(given.get("carrier", "amazon")).lower(), given.get("carrier")
            )
            number_ = given.get("tracking_number") or (
                f"TBA{s.rng.randrange(10**11, 10**12)}"
                if carrier == "Amazon"
                else f"1Z{s.rng.randrange(10**15, 10**16)}"
            )
            shipment.update(
                carrier=carrier, tracking_number=number_, status=given.get("status", "shipped")
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
    with _store().lock:
        _store().session_epoch += 1
    return {"epoch": _store().session_epoch}
