"""getOrders (filters, paging, orderIds) and getOrder (fields, cancel requests, errors)."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.sandbox.ebay.ebay_helpers import API, SALE, mint


def _orders(ebay, auth, query: str = "", status: int = 200):
    resp = ebay.get(f"{API}/order{query}", headers=auth)
    assert resp.status_code == status, resp.data
    return resp.get_json()


def _error_id(body) -> int:
    return body["errors"][0]["errorId"]


def test_get_order_returns_the_full_order(ebay, auth, make_order):
    created = make_order(shippingCost="4.99")
    order = ebay.get(f"{API}/order/{created['orderId']}", headers=auth).get_json()
    assert order == created
    assert order["orderFulfillmentStatus"] == "NOT_STARTED"
    assert order["orderPaymentStatus"] == "PAID"
    assert order["sellerId"] == "autoorder_demo_seller"
    assert order["creationDate"] == order["lastModifiedDate"] == "2025-03-01T12:00:00.000Z"
    assert order["buyer"]["username"] == "ada_l"
    assert order["buyer"]["taxAddress"] == {
        "city": "Boston",
        "stateOrProvince": "MA",
        "postalCode": "02110",
        "countryCode": "US",
    }
    assert order["buyer"]["buyerRegistrationAddress"]["fullName"] == "Ada Lovelace"
    ship = order["fulfillmentStartInstructions"][0]
    assert ship["fulfillmentInstructionsType"] == "SHIP_TO"
    assert ship["ebaySupportedFulfillment"] is False
    assert ship["shippingStep"]["shipTo"] == {
        "fullName": "Ada Lovelace",
        "contactAddress": {
            "addressLine1": "12 Analytical Way",
            "addressLine2": "Unit 3",
            "city": "Boston",
            "stateOrProvince": "MA",
            "postalCode": "02110",
            "countryCode": "US",
        },
        "primaryPhone": {"phoneNumber": "6175550101"},
        "email": "ada@example.com",
    }
    assert ship["shippingStep"]["shippingCarrierCode"] == "USPS"
    assert ship["minEstimatedDeliveryDate"] < ship["maxEstimatedDeliveryDate"]
    (item,) = order["lineItems"]
    assert item["sku"] == "SKU-RED-M"
    assert item["legacyItemId"] == "325400111111"
    assert item["legacyVariationId"] == "620000000777"
    assert item["quantity"] == 2
    assert item["lineItemCost"] == {"value": "25.00", "currency": "USD"}
    assert item["total"] == {"value": "29.99", "currency": "USD"}
    assert item["variationAspects"] == [
        {"name": "Color", "value": "Red"},
        {"name": "Size", "value": "M"},
    ]
    assert item["lineItemFulfillmentInstructions"]["shipByDate"] == "2025-03-04T12:00:00.000Z"
    assert item["soldFormat"] == "FIXED_PRICE"
    assert item["listingMarketplaceId"] == item["purchaseMarketplaceId"] == "EBAY_US"
    pricing = order["pricingSummary"]
    assert (
        pricing["priceSubtotal"]["value"],
        pricing["deliveryCost"]["value"],
        pricing["total"]["value"],
    ) == ("25.00", "4.99", "29.99")
    assert order["totalFeeBasisAmount"]["value"] == "29.99"
    assert order["totalMarketplaceFee"]["value"] == "4.27"  # 29.99 * 13.25% + 0.30
    assert order["paymentSummary"]["payments"][0]["paymentStatus"] == "PAID"
    assert order["cancelStatus"] == {"cancelState": "NONE_REQUESTED", "cancelRequests": []}
    assert order["salesRecordReference"] == "1001"
    assert "legacyOrderId" not in order  # not in the contract any more


def test_unknown_order_is_404_with_32100(ebay, auth):
    resp = ebay.get(f"{API}/order/99-99999-99999", headers=auth)
    assert resp.status_code == 404
    error = resp.get_json()["errors"][0]
    assert error["errorId"] == 32100
    assert error["domain"] == "API_FULFILLMENT"
    assert error["parameters"] == [{"name": "orderId", "value": "99-99999-99999"}]


def test_field_groups_only_tax_breakdown(ebay, auth, make_order):
    order_id = make_order()["orderId"]
    assert (
        ebay.get(f"{API}/order/{order_id}?fieldGroups=TAX_BREAKDOWN", headers=auth).status_code
        == 200
    )
    resp = ebay.get(f"{API}/order/{order_id}?fieldGroups=EVERYTHING", headers=auth)
    assert resp.status_code == 400
    assert _error_id(resp.get_json()) == 32800


def test_get_orders_oldest_first_with_empty_cancel_requests(ebay, auth, make_order, advance):
    first = make_order()
    advance(60)
    second = make_order()
    ebay.post(
        f"/sandbox/orders/{first['orderId']}/cancel-request",
        json={"reason": "ORDER_PLACED_BY_MISTAKE"},
    )
    page = _orders(ebay, auth)
    assert [o["orderId"] for o in page["orders"]] == [first["orderId"], second["orderId"]]
    assert page["total"] == 2
    listed = page["orders"][0]["cancelStatus"]
    assert listed == {"cancelState": "IN_PROGRESS", "cancelRequests": []}
    full = ebay.get(f"{API}/order/{first['orderId']}", headers=auth).get_json()["cancelStatus"]
    assert full["cancelState"] == "IN_PROGRESS"
    (request,) = full["cancelRequests"]
    assert request["cancelInitiator"] == "BUYER"
    assert request["cancelRequestState"] == "REQUESTED"
    assert request["cancelReason"] == "ORDER_PLACED_BY_MISTAKE"
    assert request["cancelRequestId"]
    assert request["cancelRequestedDate"] == "2025-03-01T12:01:00.000Z"


def test_creationdate_range_filter_percent_encoded(ebay, auth, make_order, advance):
    early = make_order()["orderId"]
    advance(1800)
    middle = make_order()["orderId"]
    advance(1800)
    make_order()
    encoded = "?filter=creationdate:%5B2025-03-01T12:15:00.000Z..2025-03-01T12:45:00.000Z%5D"
    assert [o["orderId"] for o in _orders(ebay, auth, encoded)["orders"]] == [middle]
    open_ended = "?filter=creationdate%3A%5B2025-03-01T12%3A00%3A00.000Z..%5D"
    assert _orders(ebay, auth, open_ended)["total"] == 3
    inclusive = "?filter=creationdate:%5B2025-03-01T12:00:00.000Z..2025-03-01T12:00:00.000Z%5D"
    assert [o["orderId"] for o in _orders(ebay, auth, inclusive)["orders"]] == [early]


def test_lastmodifieddate_filter_and_creationdate_wins(ebay, auth, make_order, advance):
    old = make_order()["orderId"]
    make_order()
    advance(3600)
    ebay.post(
        f"/sandbox/orders/{old}/ship-address",
        json={"address": {"addressLine1": "1 New St", "city": "Austin", "countryCode": "US"}},
    )
    modified = "?filter=lastmodifieddate:%5B2025-03-01T12:30:00.000Z..%5D"
    assert [o["orderId"] for o in _orders(ebay, auth, modified)["orders"]] == [old]
    # "If creationdate and lastmodifieddate are both included, only creationdate is used."
    both = (
        "?filter=creationdate:%5B2025-03-01T11:00:00.000Z..%5D,"
        "lastmodifieddate:%5B2025-03-01T12:30:00.000Z..%5D"
    )
    assert _orders(ebay, auth, both)["total"] == 2


def test_orderfulfillmentstatus_filter(ebay, auth, make_order):
    shipped = make_order(quantity=1)
    open_order = make_order()
    item = shipped["lineItems"][0]["lineItemId"]
    resp = ebay.post(
        f"{API}/order/{shipped['orderId']}/shipping_fulfillment",
        headers=auth,
        json={"lineItems": [{"lineItemId": item, "quantity": 1}]},
    )
    assert resp.status_code == 201
    not_done = _orders(ebay, auth, "?filter=orderfulfillmentstatus:%7BNOT_STARTED%7CIN_PROGRESS%7D")
    assert [o["orderId"] for o in not_done["orders"]] == [open_order["orderId"]]
    done = _orders(ebay, auth, "?filter=orderfulfillmentstatus:%7BFULFILLED%7CIN_PROGRESS%7D")
    assert [o["orderId"] for o in done["orders"]] == [shipped["orderId"]]
    # the raw characters decode the same way
    raw = _orders(ebay, auth, "?filter=orderfulfillmentstatus:{IN_PROGRESS|NOT_STARTED}")
    assert raw["total"] == 1


@pytest.mark.parametrize(
    ("query", "error_id"),
    [
        ("?filter=color:%7BRED%7D", 30700),
        ("?filter=orderfulfillmentstatus:%7BFULFILLED%7D", 30800),
        ("?filter=orderfulfillmentstatus:NOT_STARTED", 30800),
        ("?filter=creationdate:%5Byesterday..%5D", 30810),
        ("?filter=creationdate:%5B..2025-03-01T00:00:00.000Z%5D", 30820),
        ("?filter=creationdate:%5B2022-01-01T00:00:00.000Z..2025-03-01T00:00:00.000Z%5D", 30830),
        ("?filter=creationdate:%5B2025-03-01T10:00:00.000Z..2025-02-01T00:00:00.000Z%5D", 30840),
        ("?filter=lastmodifieddate:%5B2025-03-02T00:00:00.000Z..%5D", 30850),
        ("?limit=201", 31100),
        ("?limit=0", 31100),
        ("?limit=ten", 31100),
        ("?offset=-1", 31000),
        ("?fieldGroups=FULL", 32800),
        ("?orderIds=" + ",".join(f"01-00000-{i:05d}" for i in range(51)), 30900),
    ],
)
def test_get_orders_errors(ebay, auth, query, error_id):
    assert _error_id(_orders(ebay, auth, query, status=400)) == error_id


def test_limit_200_is_allowed_and_default_is_50(ebay, auth, make_order):
    make_order()
    assert _orders(ebay, auth, "?limit=200")["limit"] == 200
    assert _orders(ebay, auth)["limit"] == 50


def test_pagination_next_prev_total(ebay, auth, make_order, advance):
    ids = []
    for _ in range(5):
        ids.append(make_order()["orderId"])
        advance(1)
    first = _orders(ebay, auth, "?limit=2")
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    assert [o["orderId"] for o in first["orders"]] == ids[:2]
    assert "prev" not in first
    seen, page = [], first
    while True:
        seen += [o["orderId"] for o in page["orders"]]
        if "next" not in page:
            break
        url = urlparse(page["next"])
        assert url.path == f"{API}/order"
        page = _orders(ebay, auth, "?" + url.query)
    assert seen == ids
    assert (page["offset"], len(page["orders"])) == (4, 1)
    prev = parse_qs(urlparse(page["prev"]).query)
    assert (prev["offset"], prev["limit"]) == (["2"], ["2"])
    assert parse_qs(urlparse(page["href"]).query)["offset"] == ["4"]


def test_next_keeps_the_filter_percent_encoded(ebay, auth, make_order):
    for _ in range(3):
        make_order()
    page = _orders(
        ebay, auth, "?filter=orderfulfillmentstatus:%7BNOT_STARTED%7CIN_PROGRESS%7D&limit=1"
    )
    assert "%7BNOT_STARTED%7CIN_PROGRESS%7D" in page["next"]
    follow = _orders(ebay, auth, "?" + urlparse(page["next"]).query)
    assert follow["offset"] == 1 and follow["total"] == 3


def test_order_ids_ignore_filter_and_paging(ebay, auth, make_order):
    a, b, c = (make_order()["orderId"] for _ in range(3))
    body = _orders(
        ebay,
        auth,
        f"?orderIds={c},{a}&limit=1&offset=2"
        "&filter=orderfulfillmentstatus:%7BFULFILLED%7CIN_PROGRESS%7D",
    )
    assert [o["orderId"] for o in body["orders"]] == [c, a]
    assert body["total"] == 2
    missing = _orders(ebay, auth, f"?orderIds={b},00-00000-00000")
    assert [o["orderId"] for o in missing["orders"]] == [b]
    assert missing["warnings"][0]["errorId"] == 32100


def test_default_window_is_90_days(ebay, make_order, advance):
    make_order()
    advance(91 * 86400)
    auth = mint(ebay)
    fresh = make_order()["orderId"]
    assert [o["orderId"] for o in _orders(ebay, auth)["orders"]] == [fresh]
    assert _orders(ebay, auth, f"?orderIds={fresh}")["total"] == 1


def test_multi_line_item_order(ebay, auth, make_order):
    order = make_order(
        lineItems=[
            {"sku": "A", "price": 10, "quantity": 1},
            {"legacyItemId": "325400999999", "price": "5.25", "quantity": 3, "title": "Socks"},
        ]
    )
    assert len(order["lineItems"]) == 2
    assert order["pricingSummary"]["priceSubtotal"]["value"] == "25.75"
    assert "sku" not in order["lineItems"][1]
    assert order["lineItems"][0]["lineItemId"] != order["lineItems"][1]["lineItemId"]
    assert SALE["buyer"]["name"] == order["buyer"]["buyerRegistrationAddress"]["fullName"]


def test_unknown_api_path_is_ebay_404(ebay, auth, make_order):
    resp = ebay.post(f"{API}/order/{make_order()['orderId']}/issue_refund", headers=auth, json={})
    assert resp.status_code == 404
    assert resp.get_json()["errors"][0]["errorId"] == 2002
