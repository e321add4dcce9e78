"""Control endpoints under /sandbox/. They are not part of eBay's API and need no auth.

They create sales, change orders as a buyer or eBay would, move the clock, inject faults, manage
tokens, expose statistics, and drive the demo's sale generator. See README.md for the JSON shapes.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from sandbox.ebay.clock import iso
from sandbox.ebay.faults import FaultError, parse_fault
from sandbox.ebay.generator import GeneratorError, check_catalog
from sandbox.ebay.orders import SaleError
from sandbox.ebay.state import current_state
from sandbox.ebay.tokens import FULFILLMENT_SCOPE, KNOWN_SCOPES

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


@bp.errorhandler(ControlError)
def _control_error(err: ControlError):
    return jsonify({"error": err.message}), err.status


@bp.errorhandler(SaleError)
@bp.errorhandler(FaultError)
@bp.errorhandler(GeneratorError)
def _bad_input(err: ValueError):
    return jsonify({"error": str(err)}), 400


def _body() -> dict:
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _record(order_id: str):
    record = current_state().orders.get(order_id)
    if record is None:
        raise ControlError(404, f"unknown order {order_id}")
    return record


def _base() -> str:
    return request.host_url.rstrip("/")


@bp.get("/health")
def health():
    state = current_state()
    return jsonify({"status": "ok", "now": iso(state.now()), "seed": state.seed})


@bp.route("/clock", methods=["GET", "POST"])
def clock():
    state = current_state()
    if request.method == "POST":
        body = _body()
        seconds = body.get("advance", body.get("seconds"))
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError(400, "advance must be a number of seconds >= 0")
        state.clock.advance(seconds)
    return jsonify({"now": iso(state.now())})


@bp.post("/reset")
def reset():
    state = current_state()
    seed = _body().get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ControlError(400, "seed must be an integer")
    state.generator.stop()
    state.reset(seed)
    return jsonify({"status": "reset", "seed": state.seed})


@bp.post("/orders")
def create_order():
    state = current_state()
    with state.lock:
        record = state.orders.create(_body(), state.now())
        return jsonify(record.render(_base())), 201


@bp.get("/orders")
def list_orders():
    state = current_state()
    with state.lock:
        orders = [r.render(_base()) for r in state.orders.sorted_records()]
    return jsonify({"orders": orders, "total": len(orders)})


@bp.post("/orders/<order_id>/cancel-request")
def cancel_request(order_id: str):
    state = current_state()
    body = _body()
    with state.lock:
        record, now = _record(order_id), state.now()
        open_request = any(
            r["cancelRequestState"] == "REQUESTED"
            for r in record.data["cancelStatus"]["cancelRequests"]
        )
        if body.get("reject"):
            state.orders.decide_cancel(record, now, approve=False)
        else:
            if not open_request:
                state.orders.request_cancel(
                    record,
                    now,
                    str(body.get("reason", "ORDER_PLACED_BY_MISTAKE")),
                    str(body.get("initiator", "BUYER")).upper(),
                )
            if body.get("approve"):
                state.orders.decide_cancel(record, now, approve=True)
        return jsonify(record.render(_base()))


@bp.post("/orders/<order_id>/ship-address")
def ship_address(order_id: str):
    state = current_state()
    with state.lock:
        record = _record(order_id)
        state.orders.set_ship_to(record, _body(), state.now())
        return jsonify(record.render(_base()))


@bp.post("/orders/<order_id>/fields")
def set_fields(order_id: str):
    """Set (or, with null, remove) fields of the stored Order by dotted path, e.g.
    ``{"lineItems.1.total.value": "NaN", "fulfillmentStartInstructions": []}``: for order shapes the
    contract allows but the sale builder never makes. The order's place in ``lastmodifieddate``
    filters and its sort order do not change; the caller keeps the result contract-valid."""
    state = current_state()
    changes = _body()
    with state.lock:
        record = _record(order_id)
        for path, value in changes.items():
            parent, key = _walk(record.data, str(path))
            if value is None:
                if isinstance(parent, dict):
                    parent.pop(key, None)
                else:
                    raise ControlError(400, f"{path}: null removes object keys only")
            else:
                parent[key] = value
        return jsonify(record.render(_base()))


def _walk(data, path: str):
    parts = path.split(".")
    node = data
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key = parts[-1]
        if isinstance(node, list):
            key = int(key)
            node[key]  # noqa: B018 - must exist
        elif not isinstance(node, dict):
            raise TypeError
    except (KeyError, IndexError, ValueError, TypeError):
        raise ControlError(400, f"no such field: {path}") from None
    return node, key


@bp.post("/orders/<order_id>/payment-status")
def payment_status(order_id: str):
    state = current_state()
    with state.lock:
        record = _record(order_id)
        state.orders.set_payment_status(record, _body().get("status", ""), state.now())
        return jsonify(record.render(_base()))


@bp.get("/fulfillments")
def fulfillments():
    state = current_state()
    with state.lock:
        received = [dict(f) for f in state.orders.received]
    return jsonify({"fulfillments": received, "total": len(received)})


@bp.get("/stats")
def stats():
    return jsonify(current_state().stats())


@bp.get("/requests")
def requests_log():
    state = current_state()
    with state.lock:
        return jsonify({"requests": list(state.recent)})


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults():
    state = current_state()
    with state.lock:
        if request.method == "POST":
            body = _body()
            if body.get("fault") == "expired_token":
                expired = state.tokens.expire_access_tokens()
                return jsonify({"fault": "expired_token", "expiredAccessTokens": expired})
            state.faults.add(parse_fault(body))
        elif request.method == "DELETE":
            state.faults.clear()
        return jsonify({"faults": [f.as_dict() for f in state.faults.active]})


@bp.post("/tokens")
def mint_tokens():
    """A user token pair without the consent dance (as if consent had been given)."""
    state = current_state()
    scopes = _body().get("scopes") or [FULFILLMENT_SCOPE]
    if not isinstance(scopes, list) or not set(scopes) <= KNOWN_SCOPES:
        raise ControlError(400, "scopes must be a list of known eBay OAuth scopes")
    with state.lock:
        access, refresh = state.tokens.issue_pair(frozenset(scopes), state.now())
    return jsonify(
        {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 7200,
            "refresh_token_expires_in": 47304000,
            "token_type": "User Access Token",
        }
    ), 201


@bp.post("/tokens/expire")
def expire_tokens():
    state = current_state()
    with state.lock:
        return jsonify({"expiredAccessTokens": state.tokens.expire_access_tokens()})


@bp.post("/tokens/revoke")
def revoke_tokens():
    """Revoke one refresh token (``{"refresh_token": ...}``) or all of them (``{}``): invalid_grant
    next."""
    state = current_state()
    token = _body().get("refresh_token")
    with state.lock:
        if token is not None and token not in state.tokens.refresh:
            raise ControlError(404, "unknown refresh token")
        return jsonify({"revokedRefreshTokens": state.tokens.revoke_refresh(token)})


@bp.route("/generator", methods=["GET", "POST"])
def generator():
    state = current_state()
    gen = state.generator
    if request.method == "POST":
        body = _body()
        if "catalog" in body:
            gen.catalog = check_catalog(body["catalog"])
        if "every" in body:
            every = body["every"]
            if every in (None, 0):
                gen.stop()
            elif isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
                raise ControlError(400, "every must be a number of seconds, or null/0 to stop")
            else:
                gen.start(every)
        count = body.get("generate", 0)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
            raise ControlError(400, "generate must be a whole number between 0 and 1000")
        created = gen.generate(count) if count else []
        return jsonify({**gen.status(), "created": created})
    return jsonify({**gen.status(), "created": []})
