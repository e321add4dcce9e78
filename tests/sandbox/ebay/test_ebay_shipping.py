"""createShippingFulfillment, getShippingFulfillments, getShippingFulfillment."""

import pytest

from tests.sandbox.ebay.ebay_helpers import API


def _ship(ebay, auth, order_id, body, status=201):
    resp = ebay.post(f"{API}/order/{order_id}/shipping_fulfillment", headers=auth, json=body)
    assert resp.status_code == status, resp.data
    return resp


def _line(order, index=0):
    return order["lineItems"][index]["lineItemId"]


def test_create_fulfillment_201_location_and_status_changes(ebay, auth, make_order, advance):
    order = make_order()  # quantity 2
    order_id = order["orderId"]
    advance(600)
    resp = _ship(
        ebay,
        auth,
        order_id,
        {
            "lineItems": [{"lineItemId": _line(order), "quantity": 1}],
            "shippedDate": "2025-03-01T12:05:00.000Z",
            "shippingCarrierCode": "usps",
            "trackingNumber": "9400111899223344556677",
        },
    )
    assert resp.headers["Location"] == (
        f"http://localhost{API}/order/{order_id}/shipping_fulfillment/9400111899223344556677"
    )
    assert resp.get_json() == {}
    partly = ebay.get(f"{API}/order/{order_id}", headers=auth).get_json()
    assert partly["orderFulfillmentStatus"] == "IN_PROGRESS"
    assert partly["lineItems"][0]["lineItemFulfillmentStatus"] == "IN_PROGRESS"
    assert partly["lastModifiedDate"] == "2025-03-01T12:10:00.000Z"
    assert partly["creationDate"] == "2025-03-01T12:00:00.000Z"
    assert partly["fulfillmentHrefs"] == [resp.headers["Location"]]

    advance(60)
    _ship(
        ebay,
        auth,
        order_id,
        {
            "lineItems": [{"lineItemId": _line(order), "quantity": 1}],
            "shippingCarrierCode": "UPS",
            "trackingNumber": "1Z999AA10123456784",
        },
    )
    done = ebay.get(f"{API}/order/{order_id}", headers=auth).get_json()
    assert done["orderFulfillmentStatus"] == "FULFILLED"
    assert done["lineItems"][0]["lineItemFulfillmentStatus"] == "FULFILLED"
    assert done["lastModifiedDate"] == "2025-03-01T12:11:00.000Z"
    assert len(done["fulfillmentHrefs"]) == 2


def test_get_shipping_fulfillments(ebay, auth, make_order):
    order = make_order(quantity=1)
    order_id = order["orderId"]
    empty = ebay.get(f"{API}/order/{order_id}/shipping_fulfillment", headers=auth).get_json()
    assert empty == {"fulfillments": [], "total": 0}
    _ship(
        ebay,
        auth,
        order_id,
        {
            "lineItems": [{"lineItemId": _line(order)}],
            "shippingCarrierCode": "FedEx",
            "trackingNumber": "794611111111",
            "shippedDate": "2025-03-01T11:00:00Z",
        },
    )
    listing = ebay.get(f"{API}/order/{order_id}/shipping_fulfillment", headers=auth).get_json()
    assert listing["total"] == 1
    (one,) = listing["fulfillments"]
    assert one == {
        "fulfillmentId": "794611111111",
        "lineItems": [{"lineItemId": _line(order), "quantity": 1}],
        "shippedDate": "2025-03-01T11:00:00.000Z",
        "shipmentTrackingNumber": "794611111111",
        "shippingCarrierCode": "FedEx",
    }
    single = ebay.get(f"{API}/order/{order_id}/shipping_fulfillment/794611111111", headers=auth)
    assert single.status_code == 200
    assert single.get_json() == one


def test_fulfillment_without_tracking_gets_an_arbitrary_id_and_defaults(ebay, auth, make_order):
    order = make_order()
    resp = _ship(ebay, auth, order["orderId"], {"lineItems": [{"lineItemId": _line(order)}]})
    assert resp.headers["Location"].endswith("/shipping_fulfillment/999")
    got = ebay.get(
        f"{API}/order/{order['orderId']}/shipping_fulfillment/999", headers=auth
    ).get_json()
    assert got["lineItems"] == [
        {"lineItemId": _line(order), "quantity": 1}
    ]  # quantity defaults to 1
    assert got["shippedDate"] == "2025-03-01T12:00:00.000Z"  # defaults to now
    assert "shipmentTrackingNumber" not in got and "shippingCarrierCode" not in got


def test_shipping_fulfillment_lookup_errors(ebay, auth, make_order):
    order_id = make_order()["orderId"]
    missing_order = ebay.get(f"{API}/order/00-00000-00000/shipping_fulfillment", headers=auth)
    assert missing_order.status_code == 400
    assert missing_order.get_json()["errors"][0]["errorId"] == 32100
    missing = ebay.get(f"{API}/order/{order_id}/shipping_fulfillment/123", headers=auth)
    assert missing.status_code == 404
    assert missing.get_json()["errors"][0]["errorId"] == 32110
    assert (
        ebay.get(f"{API}/order/00-00000-00000/shipping_fulfillment/1", headers=auth).status_code
        == 404
    )


TRACK = {"shippingCarrierCode": "USPS", "trackingNumber": "9400111899223344556677"}


@pytest.mark.parametrize(
    ("body", "error_id"),
    [
        (
            {
                "lineItems": [{"lineItemId": "LINE", "quantity": 1}],
                "trackingNumber": "9400 1118 9922",
            },
            32300,
        ),
        (
            {
                "lineItems": [{"lineItemId": "LINE", "quantity": 1}],
                "trackingNumber": "9400-1118",
                "shippingCarrierCode": "USPS",
            },
            32300,
        ),
        (
            {"lineItems": [{"lineItemId": "LINE", "quantity": 1}], "trackingNumber": "94001118"},
            32300,
        ),
        (
            {"lineItems": [{"lineItemId": "LINE", "quantity": 1}], "shippingCarrierCode": "USPS"},
            32300,
        ),
        (
            {
                "lineItems": [{"lineItemId": "LINE", "quantity": 1}],
                "trackingNumber": "ABC123",
                "shippingCarrierCode": "PonyExpress",
            },
            32300,
        ),
        ({"lineItems": [{"lineItemId": "99999999999999", "quantity": 1}], **TRACK}, 32200),
        (
            {
                "lineItems": [
                    {"lineItemId": "LINE", "quantity": 1},
                    {"lineItemId": "LINE", "quantity": 1},
                ],
                **TRACK,
            },
            32210,
        ),
        ({"lineItems": [{"lineItemId": "LINE", "quantity": 3}], **TRACK}, 32600),
        ({"lineItems": [{"lineItemId": "LINE", "quantity": 0}], **TRACK}, 32600),
        ({"lineItems": [{"lineItemId": "LINE", "quantity": "one"}], **TRACK}, 32600),
        ({"lineItems": [], **TRACK}, 32600),
        ({**TRACK}, 32600),
        (
            {
                "lineItems": [{"lineItemId": "LINE", "quantity": 1}],
                "shippedDate": "2025-03-02T00:00:00.000Z",
                **TRACK,
            },
            32500,
        ),
        (
            {
                "lineItems": [{"lineItemId": "LINE", "quantity": 1}],
                "shippedDate": "last tuesday",
                **TRACK,
            },
            32500,
        ),
    ],
)
def test_create_fulfillment_validation_errors(ebay, auth, make_order, body, error_id):
    order = make_order()
    body = (
        {
            **body,
            "lineItems": [
                {
                    **ref,
                    "lineItemId": _line(order)
                    if ref["lineItemId"] == "LINE"
                    else ref["lineItemId"],
                }
                for ref in body.get("lineItems", [])
            ],
        }
        if "lineItems" in body
        else body
    )
    resp = _ship(ebay, auth, order["orderId"], body, status=400)
    assert resp.get_json()["errors"][0]["errorId"] == error_id
    after = ebay.get(f"{API}/order/{order['orderId']}", headers=auth).get_json()
    assert after["orderFulfillmentStatus"] == "NOT_STARTED"
    assert after["lastModifiedDate"] == after["creationDate"]


def test_create_fulfillment_unknown_order_and_bad_body(ebay, auth, make_order):
    resp = _ship(
        ebay,
        auth,
        "00-00000-00000",
        {"lineItems": [{"lineItemId": "1", "quantity": 1}]},
        status=400,
    )
    assert resp.get_json()["errors"][0]["errorId"] == 32100
    order_id = make_order()["orderId"]
    raw = ebay.post(
        f"{API}/order/{order_id}/shipping_fulfillment",
        headers=auth,
        data="{not json",
        content_type="application/json",
    )
    assert raw.status_code == 400
    assert raw.get_json()["errors"][0]["errorId"] == 32600


def test_same_tracking_number_twice_is_34500(ebay, auth, make_order):
    order = make_order()
    body = {"lineItems": [{"lineItemId": _line(order), "quantity": 1}], **TRACK}
    _ship(ebay, auth, order["orderId"], body)
    again = _ship(ebay, auth, order["orderId"], body, status=400)
    assert again.get_json()["errors"][0]["errorId"] == 34500


def test_too_many_tracking_numbers_is_34100(ebay, auth, make_order):
    order = make_order(quantity=11)
    for n in range(10):
        _ship(
            ebay,
            auth,
            order["orderId"],
            {
                "lineItems": [{"lineItemId": _line(order), "quantity": 1}],
                "shippingCarrierCode": "USPS",
                "trackingNumber": f"TRK{n}",
            },
        )
    resp = _ship(
        ebay,
        auth,
        order["orderId"],
        {
            "lineItems": [{"lineItemId": _line(order), "quantity": 1}],
            "shippingCarrierCode": "USPS",
            "trackingNumber": "TRK99",
        },
        status=400,
    )
    assert resp.get_json()["errors"][0]["errorId"] == 34100


def test_ebay_supported_fulfillment_ships_to_hub_one_line_per_package(ebay, auth, make_order):
    order = make_order(
        ebaySupportedFulfillment=True,
        lineItems=[
            {"sku": "A", "price": 5, "quantity": 1},
            {"sku": "B", "price": 6, "quantity": 1},
        ],
    )
    instruction = order["fulfillmentStartInstructions"][0]
    assert instruction["ebaySupportedFulfillment"] is True
    assert instruction["shippingStep"]["shipTo"]["fullName"] == "eBay International Shipping"
    assert instruction["shippingStep"]["shipToReferenceId"]
    assert instruction["finalDestinationAddress"]["addressLine1"] == "12 Analytical Way"
    both = {
        "lineItems": [{"lineItemId": _line(order, 0)}, {"lineItemId": _line(order, 1)}],
        **TRACK,
    }
    assert (
        _ship(ebay, auth, order["orderId"], both, status=400).get_json()["errors"][0]["errorId"]
        == 34300
    )


def test_multi_line_order_partial_then_full(ebay, auth, make_order):
    order = make_order(
        lineItems=[{"sku": "A", "price": 5, "quantity": 1}, {"sku": "B", "price": 6, "quantity": 2}]
    )
    _ship(
        ebay,
        auth,
        order["orderId"],
        {"lineItems": [{"lineItemId": _line(order, 0), "quantity": 1}]},
    )
    mid = ebay.get(f"{API}/order/{order['orderId']}", headers=auth).get_json()
    assert [i["lineItemFulfillmentStatus"] for i in mid["lineItems"]] == [
        "FULFILLED",
        "NOT_STARTED",
    ]
    assert mid["orderFulfillmentStatus"] == "IN_PROGRESS"
    _ship(
        ebay,
        auth,
        order["orderId"],
        {
            "lineItems": [{"lineItemId": _line(order, 1), "quantity": 2}],
            "shippingCarrierCode": "dhl",
            "trackingNumber": "JD014600003828",
        },
    )
    end = ebay.get(f"{API}/order/{order['orderId']}", headers=auth).get_json()
    assert end["orderFulfillmentStatus"] == "FULFILLED"
    received = ebay.get("/sandbox/fulfillments").get_json()
    assert received["total"] == 2
    assert received["fulfillments"][1]["orderId"] == order["orderId"]
    assert received["fulfillments"][1]["shippingCarrierCode"] == "DHL"
