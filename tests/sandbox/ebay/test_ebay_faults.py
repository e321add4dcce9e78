"""Fault injection: rate limit, server error, slow, malformed JSON, expired tokens."""

import json
import time

import pytest

from tests.sandbox.ebay.ebay_contract_check import ContractViolation
from tests.sandbox.ebay.ebay_helpers import API, check_werkzeug, refresh


def _fault(ebay, **spec):
    resp = ebay.post("/sandbox/faults", json=spec)
    assert resp.status_code == 200, resp.data
    return resp.get_json()


def test_rate_limit_for_count_requests(ebay, auth):
    _fault(ebay, fault="rate_limit", count=2)
    for _ in range(2):
        resp = ebay.get(f"{API}/order", headers=auth)
        assert resp.status_code == 429
        assert resp.headers["X-EBAY-C-REQUEST-ID"]
        error = resp.get_json()["errors"][0]
        assert (error["errorId"], error["domain"], error["category"]) == (2001, "ACCESS", "REQUEST")
        assert error["longMessage"] == "The request limit has been reached for the resource."
    assert ebay.get(f"{API}/order", headers=auth).status_code == 200
    assert ebay.get("/sandbox/faults").get_json() == {"faults": []}


def test_server_error_until_cleared_and_only_for_listed_operations(ebay, auth, make_order):
    order_id = make_order()["orderId"]
    _fault(ebay, fault="server_error", count=None, operations=["getOrder"])
    for _ in range(3):
        resp = ebay.get(f"{API}/order/{order_id}", headers=auth)
        assert resp.status_code == 500
        error = resp.get_json()["errors"][0]
        assert (error["errorId"], error["message"], error["category"]) == (
            2003,
            "Internal error",
            "APPLICATION",
        )
    assert ebay.get(f"{API}/order", headers=auth).status_code == 200  # other operations unaffected
    assert ebay.delete("/sandbox/faults").get_json() == {"faults": []}
    assert ebay.get(f"{API}/order/{order_id}", headers=auth).status_code == 200


def test_server_error_with_fulfillment_system_error_id(ebay, auth):
    _fault(ebay, fault="server_error", count=1, errorId=30500)
    body = ebay.get(f"{API}/order", headers=auth).get_json()
    assert body["errors"][0]["errorId"] == 30500
    assert body["errors"][0]["domain"] == "API_FULFILLMENT"


def test_failed_create_has_no_side_effect(ebay, auth, make_order):
    order = make_order()
    _fault(ebay, fault="server_error", count=1)
    resp = ebay.post(
        f"{API}/order/{order['orderId']}/shipping_fulfillment",
        headers=auth,
        json={"lineItems": [{"lineItemId": order["lineItems"][0]["lineItemId"], "quantity": 1}]},
    )
    assert resp.status_code == 500
    assert ebay.get("/sandbox/fulfillments").get_json()["total"] == 0


def test_slow(ebay, auth):
    _fault(ebay, fault="slow", count=1, delay=0.3)
    started = time.monotonic()
    assert ebay.get(f"{API}/order", headers=auth).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    ebay.get(f"{API}/order", headers=auth)
    assert time.monotonic() - started < 0.3


def test_malformed_json_is_truncated_and_fails_the_contract(ebay, auth, make_order):
    make_order()
    _fault(ebay, fault="malformed", count=1)
    resp = ebay.get(f"{API}/order", headers=auth, validate=False)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.get_data())
    with pytest.raises(ContractViolation):
        check_werkzeug(resp)
    assert ebay.get(f"{API}/order", headers=auth).get_json()["total"] == 1


def test_expired_token_fault_until_refresh(ebay, ebay_tokens, auth):
    result = _fault(ebay, fault="expired_token")
    assert result["expiredAccessTokens"] == 1
    assert ebay.get(f"{API}/order", headers=auth).status_code == 401
    new = refresh(ebay, ebay_tokens["refresh_token"]).get_json()["access_token"]
    assert ebay.get(f"{API}/order", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_faults_do_not_count_unauthenticated_requests(ebay, auth):
    _fault(ebay, fault="rate_limit", count=1)
    assert ebay.get(f"{API}/order").status_code == 401
    assert ebay.get(f"{API}/order", headers=auth).status_code == 429


@pytest.mark.parametrize(
    "spec",
    [
        {"fault": "meteor"},
        {"fault": "rate_limit", "count": 0},
        {"fault": "slow", "delay": -1},
        {"fault": "server_error", "operations": ["issueRefund"]},
        {"fault": "server_error", "errorId": 1},
    ],
)
def test_bad_fault_specs_are_rejected(ebay, spec):
    resp = ebay.post("/sandbox/faults", json=spec)
    assert resp.status_code == 400
    assert resp.get_json()["error"]
