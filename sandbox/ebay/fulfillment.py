"""The Sell Fulfillment API endpoints that the emulator serves, under /sell/fulfillment/v1.

View functions are named after the contract's operationIds. issueRefund and the payment-dispute
methods are not emulated: like any unknown resource, they answer 404 with errorId 2002.
"""

from __future__ import annotations

import functools
import time
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, jsonify, request

from sandbox.ebay.contract import BASE_PATH
from sandbox.ebay.errors import ApiError, error_response
from sandbox.ebay.filters import DEFAULT_LIMIT, matches, parse_order_query
from sandbox.ebay.shipping import build_fulfillment
from sandbox.ebay.state import current_state
from sandbox.ebay.tokens import FULFILLMENT_READONLY_SCOPE, FULFILLMENT_SCOPE

bp = Blueprint("fulfillment", __name__, url_prefix=BASE_PATH)


def _base_url() -> str:
    return request.host_url.rstrip("/")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _truncate(resp: Response) -> Response:
    data = resp.get_data()
    resp.set_data(data[: max(1, len(data) // 2)])
    resp.headers["Content-Type"] = "application/json"
    return resp


def api_operation(write: bool):
    """Authentication, scope check and fault injection around one operation."""
    allowed = {FULFILLMENT_SCOPE} if write else {FULFILLMENT_SCOPE, FULFILLMENT_READONLY_SCOPE}

    def decorate(view):
        @functools.wraps(view)
        def wrapper(**kwargs):
            state = current_state()
            with state.lock:
                token = _bearer()
                scopes = state.tokens.access_scopes(token, state.now()) if token else None
                faults = state.faults.take(view.__name__) if scopes is not None else {}
            try:
                if scopes is None:
                    raise ApiError(401, 1001)
                if not scopes & allowed:
                    raise ApiError(403, 1100)
                if "slow" in faults:
                    time.sleep(faults["slow"].delay)
                if "rate_limit" in faults:
                    raise ApiError(429, 2001)
                if "server_error" in faults:
                    raise ApiError(500, faults["server_error"].error_id)
                resp = view(**kwargs)
            except ApiError as err:
                resp = error_response(err)
            return _truncate(resp) if "malformed" in faults else resp

        return wrapper

    return decorate


def _page_url(args: list[tuple[str, str]]) -> str:
    return f"{_base_url()}{BASE_PATH}/order?" + urlencode(args, quote_via=quote, safe=":,")


def _json(body: dict, status: int = 200) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    return resp


@bp.get("/order")
@api_operation(write=False)
def getOrders():  # noqa: N802 - operationId
    state = current_state()
    base = _base_url()
    with state.lock:
        query = parse_order_query(request.args, state.now())
        if query.order_ids is not None:
            found = [state.orders.get(oid) for oid in query.order_ids]
            body: dict = {
                "href": _page_url([("orderIds", ",".join(query.order_ids))]),
                "total": sum(1 for r in found if r),
                "limit": DEFAULT_LIMIT,
                "offset": 0,
                "orders": [r.render(base, in_list=True) for r in found if r],
            }
            missing = [oid for oid, r in zip(query.order_ids, found, strict=True) if r is None]
            if missing:
                body["warnings"] = [
                    ApiError(400, 32100, orderId=oid).body()["errors"][0] for oid in missing
                ]
            return _json(body)
        hits = [r for r in state.orders.sorted_records() if matches(r, query)]
        page = hits[query.offset : query.offset + query.limit]
        keep = [(k, request.args[k]) for k in ("filter", "fieldGroups") if request.args.get(k)]
        body = {
            "href": _page_url(keep + [("limit", str(query.limit)), ("offset", str(query.offset))]),
            "total": len(hits),
            "limit": query.limit,
            "offset": query.offset,
            "orders": [r.render(base, in_list=True) for r in page],
        }
        if query.offset + query.limit < len(hits):
            body["next"] = _page_url(
                keep + [("limit", str(query.limit)), ("offset", str(query.offset + query.limit))]
            )
        if query.offset > 0:
            body["prev"] = _page_url(
                keep
                + [("limit", str(query.limit)), ("offset", str(max(0, query.offset - query.limit)))]
            )
        return _json(body)


def _field_groups() -> None:
    raw = request.args.get("fieldGroups")
    if raw is not None:
        for group in raw.split(","):
            if group.strip() != "TAX_BREAKDOWN":
                raise ApiError(400, 32800, fieldGroup=group)


@bp.get("/order/<order_id>")
@api_operation(write=False)
def getOrder(order_id: str):  # noqa: N802
    state = current_state()
    _field_groups()
    with state.lock:
        record = state.orders.get(order_id)
        if record is None:
            raise ApiError(404, 32100, orderId=order_id)
        return _json(record.render(_base_url()))


@bp.post("/order/<order_id>/shipping_fulfillment")
@api_operation(write=True)
def createShippingFulfillment(order_id: str):  # noqa: N802
    state = current_state()
    with state.lock:
        record = state.orders.get(order_id)
        if record is None:
            raise ApiError(400, 32100, orderId=order_id)
        body = request.get_json(silent=True) if request.is_json else None
        now = state.now()
        fulfillment = build_fulfillment(record, body, now)
        state.orders.add_fulfillment(record, fulfillment, now)
    resp = _json({}, 201)  # the contract declares an (empty) JSON object; the id is in Location
    resp.headers["Location"] = (
        f"{_base_url()}{BASE_PATH}/order/{order_id}/shipping_fulfillment/"
        f"{fulfillment['fulfillmentId']}"
    )
    return resp


@bp.get("/order/<order_id>/shipping_fulfillment")
@api_operation(write=False)
def getShippingFulfillments(order_id: str):  # noqa: N802
    state = current_state()
    with state.lock:
        record = state.orders.get(order_id)
        if record is None:
            raise ApiError(400, 32100, orderId=order_id)  # this operation documents no 404
        fulfillments = [dict(f) for f in record.fulfillments]
    return _json({"fulfillments": fulfillments, "total": len(fulfillments)})


@bp.get("/order/<order_id>/shipping_fulfillment/<fulfillment_id>")
@api_operation(write=False)
def getShippingFulfillment(order_id: str, fulfillment_id: str):  # noqa: N802
    state = current_state()
    with state.lock:
        record = state.orders.get(order_id)
        if record is None:
            raise ApiError(404, 32100, orderId=order_id)
        found = next((f for f in record.fulfillments if f["fulfillmentId"] == fulfillment_id), None)
        if found is None:
            raise ApiError(404, 32110, fulfillmentId=fulfillment_id)
        return _json(dict(found))
