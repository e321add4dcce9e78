"""Control endpoints, the sale generator, determinism, and the contract checker itself."""

import hashlib
import re
import time
from pathlib import Path

import pytest

from sandbox.ebay.app import create_app
from sandbox.ebay.clock import Clock
from sandbox.ebay.contract import CONTRACT_DIR
from tests.sandbox.ebay.ebay_contract_check import ContractViolation, check_errors, validate_schema
from tests.sandbox.ebay.ebay_helpers import API, START, ContractClient


def test_cancel_request_then_approve(ebay, auth, make_order, advance):
    order_id = make_order()["orderId"]
    advance(30)
    requested = ebay.post(f"/sandbox/orders/{order_id}/cancel-request", json={}).get_json()
    assert requested["cancelStatus"]["cancelState"] == "IN_PROGRESS"
    assert requested["lastModifiedDate"] == "2025-03-01T12:00:30.000Z"
    advance(30)
    approved = ebay.post(
        f"/sandbox/orders/{order_id}/cancel-request", json={"approve": True}
    ).get_json()
    status = approved["cancelStatus"]
    assert status["cancelState"] == "CANCELED"
    assert status["cancelledDate"] == "2025-03-01T12:01:00.000Z"
    (request,) = status["cancelRequests"]
    assert request["cancelRequestState"] == "COMPLETED"
    assert request["cancelCompletedDate"] == "2025-03-01T12:01:00.000Z"
    assert approved["orderPaymentStatus"] == "FULLY_REFUNDED"
    assert approved["paymentSummary"]["refunds"][0]["amount"] == approved["pricingSummary"]["total"]
    via_api = ebay.get(f"{API}/order/{order_id}", headers=auth).get_json()
    assert via_api["cancelStatus"] == status


def test_cancel_request_rejected(ebay, make_order):
    order_id = make_order()["orderId"]
    ebay.post(f"/sandbox/orders/{order_id}/cancel-request", json={"reason": "FOUND_CHEAPER_PRICE"})
    rejected = ebay.post(
        f"/sandbox/orders/{order_id}/cancel-request", json={"reject": True}
    ).get_json()
    assert rejected["cancelStatus"]["cancelState"] == "NONE_REQUESTED"
    assert rejected["cancelStatus"]["cancelRequests"][0]["cancelRequestState"] == "REJECTED"
    assert (
        ebay.post(f"/sandbox/orders/{order_id}/cancel-request", json={"reject": True}).status_code
        == 400
    )


def test_ship_address_change(ebay, auth, make_order, advance):
    order_id = make_order()["orderId"]
    advance(5)
    ebay.post(
        f"/sandbox/orders/{order_id}/ship-address",
        json={
            "name": "Charles Babbage",
            "phone": "2125550199",
            "address": {
                "addressLine1": "1 Difference Rd",
                "city": "New York",
                "stateOrProvince": "NY",
                "postalCode": "10001",
                "countryCode": "US",
            },
        },
    )
    order = ebay.get(f"{API}/order/{order_id}", headers=auth).get_json()
    ship_to = order["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]
    assert ship_to["fullName"] == "Charles Babbage"
    assert ship_to["primaryPhone"] == {"phoneNumber": "2125550199"}
    assert ship_to["contactAddress"] == {
        "addressLine1": "1 Difference Rd",
        "city": "New York",
        "stateOrProvince": "NY",
        "postalCode": "10001",
        "countryCode": "US",
    }
    assert order["lastModifiedDate"] == "2025-03-01T12:00:05.000Z"
    registered = order["buyer"]["buyerRegistrationAddress"]  # the buyer's own address does not move
    assert (registered["fullName"], registered["contactAddress"]["city"]) == (
        "Ada Lovelace",
        "Boston",
    )
    assert ebay.post("/sandbox/orders/00-00000-00000/ship-address", json={}).status_code == 404


def test_payment_status(ebay, auth, make_order):
    order_id = make_order(paymentStatus="PENDING")["orderId"]
    pending = ebay.get(f"{API}/order/{order_id}", headers=auth).get_json()
    assert pending["orderPaymentStatus"] == "PENDING"
    assert "paymentDate" not in pending["paymentSummary"]["payments"][0]
    paid = ebay.post(
        f"/sandbox/orders/{order_id}/payment-status", json={"status": "PAID"}
    ).get_json()
    assert paid["orderPaymentStatus"] == "PAID"
    assert paid["paymentSummary"]["payments"][0]["paymentDate"]
    assert (
        ebay.post(
            f"/sandbox/orders/{order_id}/payment-status", json={"status": "MAYBE"}
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    "sale",
    [
        {"price": "1.00"},
        {"sku": "A"},
        {"sku": "A", "price": "-1"},
        {"sku": "A", "price": "x"},
        {"sku": "A", "price": 1, "quantity": 0},
        {"lineItems": []},
        {"sku": "A", "price": 1, "paymentStatus": "NOPE"},
        {"sku": "A", "price": 1, "buyer": {"address": {"city": "Nowhere"}}},
    ],
)
def test_bad_sales_are_rejected(ebay, sale):
    resp = ebay.post("/sandbox/orders", json=sale)
    assert resp.status_code == 400
    assert resp.get_json()["error"]


def test_created_order_fee_and_currency(ebay, make_order):
    order = make_order(price=100, quantity=1, currency="GBP", buyer=None)
    assert order["totalMarketplaceFee"] == {"value": "13.55", "currency": "GBP"}
    assert order["lineItems"][0]["listingMarketplaceId"] == "EBAY_GB"
    assert order["buyer"]["buyerRegistrationAddress"]["contactAddress"]["countryCode"] == "US"


def test_stats_count_requests_per_operation(ebay, auth, make_order):
    order_id = make_order()["orderId"]
    ebay.get(f"{API}/order", headers=auth)
    ebay.get(f"{API}/order", headers=auth)
    ebay.get(f"{API}/order/{order_id}", headers=auth)
    stats = ebay.get("/sandbox/stats").get_json()
    assert stats["requests"]["getOrders"] == 2
    assert stats["requests"]["getOrder"] == 1
    assert stats["orders"] == 1
    log = ebay.get("/sandbox/requests").get_json()["requests"]
    assert [r["endpoint"] for r in log][-3:] == ["getOrders", "getOrders", "getOrder"]
    assert all(r["requestId"] for r in log)


def test_clock_and_reset(ebay, make_order, advance):
    assert ebay.get("/sandbox/clock").get_json()["now"] == "2025-03-01T12:00:00.000Z"
    assert advance(90) == "2025-03-01T12:01:30.000Z"
    assert ebay.post("/sandbox/clock", json={"advance": -5}).status_code == 400
    first = make_order()["orderId"]
    assert ebay.post("/sandbox/reset", json={}).get_json() == {"status": "reset", "seed": 42}
    assert ebay.get("/sandbox/orders").get_json()["total"] == 0
    assert ebay.get("/sandbox/stats").get_json()["tokenRefreshes"] == 0
    assert make_order()["orderId"] == first  # same seed, same ids


def test_generator_burst_and_catalog(ebay):
    body = ebay.post("/sandbox/generator", json={"generate": 3}).get_json()
    assert len(body["created"]) == 3
    orders = ebay.get("/sandbox/orders").get_json()["orders"]
    assert len(orders) == 3
    assert all(
        o["buyer"]["buyerRegistrationAddress"]["contactAddress"]["countryCode"] == "US"
        for o in orders
    )
    catalog = [
        {
            "sku": "ONLY-1",
            "legacyItemId": "111122223333",
            "title": "Only thing",
            "price": "9.99",
            "variationAspects": [{"name": "Color", "value": "Blue"}],
        }
    ]
    ebay.post("/sandbox/generator", json={"catalog": catalog, "generate": 2})
    skus = [o["lineItems"][0]["sku"] for o in ebay.get("/sandbox/orders").get_json()["orders"]]
    assert skus[-2:] == ["ONLY-1", "ONLY-1"]
    assert (
        ebay.post("/sandbox/generator", json={"catalog": [{"title": "no price"}]}).status_code
        == 400
    )


def test_generator_runs_periodically(ebay):
    started = ebay.post("/sandbox/generator", json={"every": 0.05}).get_json()
    assert started["running"] is True
    deadline = time.monotonic() + 5
    while ebay.get("/sandbox/orders").get_json()["total"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ebay.get("/sandbox/orders").get_json()["total"] >= 2
    stopped = ebay.post("/sandbox/generator", json={"every": None}).get_json()
    assert stopped["running"] is False
    count = ebay.get("/sandbox/orders").get_json()["total"]
    time.sleep(0.15)
    assert ebay.get("/sandbox/orders").get_json()["total"] == count


def _session(seed):
    app = create_app(seed=seed, clock=Clock(START))
    app.test_client_class = ContractClient
    client = app.test_client()
    client.post("/sandbox/generator", json={"generate": 3})
    client.post("/sandbox/orders", json={"sku": "X", "price": 1})
    token = client.post("/sandbox/tokens", json={}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    return client.get(f"{API}/order", headers=headers).get_json()["orders"], token


def test_same_seed_same_orders_and_tokens(ebay_app):
    a_orders, a_token = _session(7)
    b_orders, b_token = _session(7)
    c_orders, _ = _session(8)
    assert a_orders == b_orders
    assert a_token == b_token
    ids = [o["orderId"] for o in a_orders]
    assert ids != [o["orderId"] for o in c_orders]
    names = [o["buyer"]["buyerRegistrationAddress"]["fullName"] for o in a_orders]
    assert names != [o["buyer"]["buyerRegistrationAddress"]["fullName"] for o in c_orders]
    assert all(re.fullmatch(r"\d{2}-\d{5}-\d{5}", i) for i in ids)


def test_contract_copies_match_source_md():
    source = (CONTRACT_DIR / "SOURCE.md").read_text(encoding="utf-8")
    for name in ("sell_fulfillment_v1_oas3.json", "ebay_shipping_carrier_codes.derived.txt"):
        digest = hashlib.sha256(Path(CONTRACT_DIR / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in source


def test_checker_rejects_drift():
    good = {
        "fulfillmentId": "1",
        "shipmentTrackingNumber": "1",
        "lineItems": [{"lineItemId": "2", "quantity": 1}],
    }
    validate_schema(good, "ShippingFulfillment")
    with pytest.raises(ContractViolation):  # the create field name is not the read field name
        validate_schema({**good, "trackingNumber": "1"}, "ShippingFulfillment")
    with pytest.raises(ContractViolation):
        validate_schema({"orderId": "1", "lineItems": [{"quantity": "2"}]}, "Order")
    with pytest.raises(ContractViolation):  # 32200 is not a getOrder error
        check_errors(
            "getOrder",
            400,
            {
                "errors": [
                    {
                        "errorId": 32200,
                        "domain": "API_FULFILLMENT",
                        "category": "REQUEST",
                        "message": "x",
                    }
                ]
            },
            "test",
        )
    with pytest.raises(ContractViolation):  # wrong domain for a documented id
        check_errors(
            "getOrder",
            404,
            {
                "errors": [
                    {"errorId": 32100, "domain": "ACCESS", "category": "REQUEST", "message": "x"}
                ]
            },
            "test",
        )
