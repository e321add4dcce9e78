"""The replica's ``/sandbox/`` control API (JSON, no auth), in the style of sandbox/shop."""

from __future__ import annotations

import copy
import os
from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("aliexpress_control", __name__, url_prefix="/sandbox")
FAULTS = ("popup", "slider", "login_hang", "slow", "out_of_stock", "price_raise", "split_order")


def _store():
    from .app import STORE_KEY

    return current_app.extensions[STORE_KEY]


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _error(message, status=400):
    return jsonify({"error": message}), status


def _order_json(order: dict) -> dict:
    return copy.deepcopy(order)


@bp.get("/health")
def health():
    return {"ok": True, "pid": os.getpid(), "seed": _store().seed}


@bp.post("/reset")
def reset():
    seed = _body().get("seed")
    _store().reset(int(seed) if seed is not None else None)
    return {"ok": True, "seed": _store().seed}


@bp.get("/orders")
def orders():
    email = request.args.get("email")
    found = [o for o in _store().orders.values() if not email or o["account_email"] == email]
    return jsonify(
        {"orders": [_order_json(o) for o in sorted(found, key=lambda o: o["placed_at"])]}
    )


@bp.get("/orders/<number>")
def order(number):
    found = _store().orders.get(number)
    return _order_json(found) if found else _error("no such order", 404)


@bp.post("/orders/<number>/ship")
def ship(number):
    """One package: {"format", "tracking_number", "carrier", "status"} (all optional)."""
    return _ship(number, [_body()])


@bp.post("/orders/<number>/packages")
def packages(number):
    """A split shipment: {"packages": [{"format" | "tracking_number", "carrier", "status",
    "sku_ids": [...]}]}."""
    specs = _body().get("packages")
    if not isinstance(specs, list) or not specs:
        return _error("give packages: a list of one or more packages")
    return _ship(number, specs)


def _ship(number, specs):
    if number not in _store().orders:
        return _error("no such order", 404)
    try:
        return _store().ship(number, specs)
    except ValueError as exc:
        return _error(str(exc))


@bp.post("/orders/<number>/cancel")
def cancel(number):
    if number not in _store().orders:
        return _error("no such order", 404)
    return _store().cancel(number)


@bp.get("/accounts")
def accounts():
    return jsonify([_account_json(a) for a in _store().accounts.values()])


def _account_json(acct):
    return {
        "email": acct["email"],
        "challenge": acct["challenge"],
        "balance": str(acct["balance"]),
        "code_pending": bool(acct["code"]),
    }


@bp.route("/accounts/<email>", methods=["GET", "PATCH", "POST"])
def one_account(email):
    """PATCH/POST {"password", "challenge": null|slider|code|blocked, "balance",
    "expire_sessions"}."""
    store = _store()
    acct = store.accounts.get(email)
    if request.method == "GET":
        return _account_json(acct) if acct else _error("no such account", 404)
    body = _body()
    if acct is None:
        from .store import seed_accounts

        acct = store.accounts[email] = dict(seed_accounts()["buyer@ali.test"], email=email)
    if body.get("challenge") not in (None, "slider", "code", "blocked"):
        return _error("challenge is one of null, slider, code, blocked")
    if "challenge" in body:
        acct["challenge"] = body["challenge"]
    if "password" in body:
        acct["password"], acct["epoch"] = str(body["password"]), acct["epoch"] + 1
    if "balance" in body:
        try:
            acct["balance"] = Decimal(str(body["balance"]))
        except InvalidOperation:
            return _error("balance is an amount like 12.50")
    if body.get("expire_sessions"):
        acct["epoch"] += 1
    return _account_json(acct)


@bp.get("/accounts/<email>/code")
def code(email):
    acct = _store().accounts.get(email)
    if not acct or not acct["code"]:
        return _error("no code pending", 404)
    return {"email": email, "code": acct["code"]}


@bp.get("/carts/<email>")
def cart(email):
    return jsonify(_store().cart_lines(email))


@bp.post("/carts/<email>")
def cart_add(email):
    """Put a line in an account's cart (a leftover of another session): {"item_id", "sku_id"
    (default: the first), "quantity"}."""
    body, store = _body(), _store()
    item = store.items.get(str(body.get("item_id")))
    if item is None:
        return _error("no such item", 404)
    sku_id = str(body.get("sku_id") or next(iter(item["skus"])))
    if sku_id not in item["skus"]:
        return _error("no such sku")
    return store.add_to_cart(email, item["id"], sku_id, int(body.get("quantity", 1)))


@bp.get("/requests")
def requests_seen():
    """The last 500 page requests as "METHOD /path", oldest first (recorded on arrival, before
    the ``slow`` fault's delay): a test can tell that a click reached the site."""
    return jsonify(list(_store().seen))


@bp.get("/catalog")
def catalog():
    store = _store()
    return jsonify(
        [
            {
                "item_id": item["id"],
                "title": item["title"],
                "store_id": item["store_id"],
                "url": f"/item/{item['id']}.html",
                "shipping": {k: str(v) for k, v in item["shipping"].items()},
                "skus": [
                    {
                        "sku_id": sku_id,
                        "label": store.sku_label(item, sku_id),
                        "price": str(sku["price"]),
                        "stock": sku["stock"],
                    }
                    for sku_id, sku in item["skus"].items()
                ],
            }
            for item in store.items.values()
        ]
    )


@bp.post("/items/<item_id>/stock")
def stock(item_id):
    """{"stock": N, "sku_id": optional (all SKUs if absent)}; also "price"."""
    store, body = _store(), _body()
    item = store.items.get(item_id)
    if item is None:
        return _error("no such item", 404)
    skus = [body["sku_id"]] if body.get("sku_id") else list(item["skus"])
    if any(s not in item["skus"] for s in skus):
        return _error("no such sku")
    for sku_id in skus:
        if "stock" in body:
            item["skus"][sku_id]["stock"] = int(body["stock"])
        if "price" in body:
            item["skus"][sku_id]["price"] = Decimal(str(body["price"]))
    return {"item_id": item_id, "skus": {s: str(item["skus"][s]["stock"]) for s in skus}}


@bp.get("/faults")
def faults():
    return _store().faults


@bp.post("/faults")
def add_fault():
    body = _body()
    specs = body.get("faults") if "faults" in body else [body]
    for spec in specs:
        if spec.get("name") not in FAULTS:
            return _error(f"unknown fault {spec.get('name')!r}; known: {', '.join(FAULTS)}")
    for spec in specs:
        _store().faults[spec["name"]] = {k: v for k, v in spec.items() if k != "name"}
    return _store().faults


@bp.delete("/faults")
@bp.delete("/faults/<name>")
def clear_faults(name=None):
    name = name or request.args.get("name")
    if name:
        _store().faults.pop(name, None)
    else:
        _store().faults.clear()
    return _store().faults
