"""The Walmart replica in-process (Flask test client): its sign-in states at Walmart's paths, the
stale-cookie 403, the product page's __NEXT_DATA__, the checkout's refusals, split shipments in
the order JSON, the control API's validation, and that it never imports autoorder."""

import json
import re
from pathlib import Path

import pytest

from sandbox.walmart import create_app

REPLICA = Path(__file__).resolve().parents[3] / "sandbox" / "walmart"
EMAIL = "a@b.test"
ADDRESS = dict(
    firstName="Dana",
    lastName="Whitfield",
    addressLineOne="742 Evergreen Terrace",
    addressLineTwo="",
    city="Springfield",
    state="OR",
    postalCode="97403",
    phone="",
)


@pytest.fixture
def walmart():
    client = create_app(seed=1).test_client()
    client.post("/sandbox/accounts", json={"email": EMAIL, "password": "pw"})
    return client


def sign_in(client, password="pw"):
    client.post("/account/login", data={"step": "email", "loginId": EMAIL})
    return client.post(
        "/account/login", data={"step": "password", "loginId": EMAIL, "password": password}
    )


def next_data(html):
    raw = re.search(
        r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', html, re.S
    )
    return json.loads(raw.group(1).replace("<\\/", "</"))["props"]["pageProps"]["initialData"][
        "data"
    ]


def buy(client, item="123456789", quantity=1, pay=None):
    assert (
        client.post("/cart/items", data={"itemId": item, "quantity": quantity}).status_code == 302
    )
    client.post("/checkout/start")
    assert client.post("/checkout/address", data=ADDRESS).status_code == 302
    client.post("/checkout/shipping", data={"fulfillmentOption": "standard"})
    card = {"cardNumber": "4111111111111111", "cvvNew": "123", "expiry": "11/31"}
    assert client.post("/checkout/payment", data=pay or card).status_code == 302
    return client.post("/checkout/place-order")


def test_never_imports_autoorder():
    for source in REPLICA.rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+autoorder", source.read_text(), re.M), source


def test_email_then_password_then_the_return_url(walmart):
    page = walmart.get("/orders")
    assert page.status_code == 302 and page.location.startswith("/account/login?returnUrl=/orders")
    walmart.get(page.location)
    first = walmart.post("/account/login", data={"step": "email", "loginId": EMAIL})
    assert 'id="password"' in first.text
    wrong = walmart.post(
        "/account/login", data={"step": "password", "loginId": EMAIL, "password": "x"}
    )
    assert wrong.status_code == 400 and "signin-error" in wrong.text
    done = sign_in(walmart)
    assert done.location == "/orders"
    assert 'data-automation-id="purchase-history"' in walmart.get("/orders").text
    unknown = walmart.post("/account/login", data={"step": "email", "loginId": "no@b.test"})
    assert unknown.status_code == 400 and 'role="alert"' in unknown.text


def test_the_e_mailed_code(walmart):
    walmart.post("/sandbox/faults", json={"name": "code"})
    page = walmart.post("/account/login", data={"step": "email", "loginId": EMAIL})
    assert 'data-automation-id="otp-form"' in page.text and 'id="password"' not in page.text
    code = walmart.get(f"/sandbox/accounts/{EMAIL}").json["last_code"]
    assert re.fullmatch(r"\d{6}", code)
    bad = walmart.post(
        "/account/login",
        data={"step": "code", "loginId": EMAIL, "otp": "000000" if code != "000000" else "111111"},
    )
    assert bad.status_code == 400 and "incorrect" in bad.text
    assert (
        walmart.post(
            "/account/login", data={"step": "code", "loginId": EMAIL, "otp": code}
        ).status_code
        == 302
    )
    assert walmart.get("/orders").status_code == 200


def test_press_and_hold_then_signed_in(walmart):
    walmart.post("/sandbox/faults", json={"name": "press_hold"})
    held = sign_in(walmart)
    assert held.location.startswith("/blocked")
    page = walmart.get(held.location)
    assert (
        'id="px-captcha"' in page.text
        and "Press &amp;amp; Hold" in page.text
        or "Press" in page.text
    )
    assert walmart.get("/orders").status_code == 302  # not signed in yet
    assert walmart.post("/blocked/verify", data={"url": "/orders"}).location == "/orders"
    assert walmart.get("/orders").status_code == 200


def test_stale_cookies_answer_403_until_a_new_sign_in(walmart):
    sign_in(walmart)
    walmart.post("/sandbox/sessions/expire")
    assert walmart.get("/orders").status_code == 403
    assert walmart.get("/orchestra/orders/graphql/getOrder/x?variables={}").status_code == 403
    assert walmart.get("/account/login").status_code == 403  # the sign-in page too
    walmart.delete_cookie("auth")  # the browser drops its cookies
    sign_in(walmart)
    assert walmart.get("/orders").status_code == 200


def test_product_data_variants_seller_and_stock(walmart):
    data = next_data(walmart.get("/ip/Men-s-Short-Sleeve-Crew-T-Shirt/700000101").text)["product"]
    assert data["usItemId"] == "700000101" and data["sellerName"] == "Walmart.com"
    assert [c["name"] for c in data["variantCriteria"]] == ["Color", "Size"]
    assert data["variantsMap"]["700000104"]["availabilityStatus"] == "OUT_OF_STOCK"
    assert walmart.get("/ip/700000101").status_code == 200  # the slug is optional
    case = next_data(walmart.get("/ip/x/880000001").text)["product"]
    assert case["sellerName"] == "GadgetDeals LLC"
    walmart.post("/sandbox/faults", json={"name": "marketplace", "item_id": "123456789"})
    assert next_data(walmart.get("/ip/x/123456789").text)["product"]["sellerName"] != "Walmart.com"
    walmart.post("/sandbox/faults", json={"name": "out_of_stock", "item_id": "123456789"})
    page = walmart.get("/ip/x/123456789").text
    assert "out-of-stock-message" in page and 'data-automation-id="atc"' not in page
    assert walmart.get("/ip/x/999").status_code == 404


def test_an_order_with_split_shipments_in_the_order_json(walmart):
    sign_in(walmart)
    walmart.post("/sandbox/faults", json={"name": "split_shipments"})
    thanks = buy(walmart, quantity=2)
    order_id = thanks.location.split("orderId=")[1]
    assert "order-confirmation-number" in walmart.get(thanks.location).text
    walmart.post(
        f"/sandbox/orders/{order_id}/ship",
        json={"packages": [{"carrier": "ups", "tracking_number": "1Z999AA10123456784"}]},
    )
    page = walmart.get(f"/orders/{order_id}").text
    order = next_data(page)["order"]
    groups = order["groups_2101"]
    assert [g["items"][0]["quantity"] for g in groups] == [1, 1]
    assert (
        groups[0]["shipment"]["carrierName"] == "UPS"
        and groups[0]["status"]["statusType"] == "SHIPPED"
    )
    variables = json.dumps({"orderId": order_id})
    api = walmart.get(f"/orchestra/orders/graphql/getOrder/abc?variables={variables}").json
    assert api["data"]["order"] == order


def test_checkout_refusals(walmart):
    sign_in(walmart)
    walmart.post("/sandbox/faults", json={"name": "declined_card"})
    declined = buy(walmart)
    assert declined.status_code == 402 and "be processed" in declined.text
    walmart.delete("/sandbox/faults")
    # the checkout is back on the payment step; a saved card asks for its security code again
    page = walmart.post("/checkout/payment", data={"cardId": "card-1", "cvv": ""})
    assert page.status_code == 400 and "security code" in page.text
    assert (
        walmart.post("/checkout/payment", data={"cardId": "card-1", "cvv": "123"}).status_code
        == 302
    )
    assert walmart.post("/checkout/place-order").status_code == 302
    bad = walmart.post("/checkout/address", data={**ADDRESS, "postalCode": "ABC"})
    assert bad.status_code in (302, 400)  # (no checkout open: back to the cart)
    walmart.post("/cart/items", data={"itemId": "123456789", "quantity": 1})
    walmart.post("/checkout/start")
    assert (
        walmart.post("/checkout/address", data={**ADDRESS, "postalCode": "ABC"}).status_code == 400
    )
    assert walmart.post("/checkout/address", data={**ADDRESS, "state": "ON"}).status_code == 400
    assert len(walmart.get("/sandbox/orders").json["orders"]) == 1


def test_gift_card_balance_must_cover_the_order(walmart):
    walmart.post(
        "/sandbox/accounts", json={"email": EMAIL, "password": "pw", "gift_card_balance": "5.00"}
    )
    sign_in(walmart)
    low = buy(walmart, pay={"applyGiftCard": "1"})
    assert low.status_code == 402 and "cover this order" in low.text
    assert walmart.get("/sandbox/orders").json["orders"] == []


def test_control_api_validation(walmart):
    assert walmart.post("/sandbox/faults", json={"name": "nope"}).status_code == 400
    assert walmart.post("/sandbox/accounts", json={"email": "x"}).status_code == 400
    assert walmart.post("/sandbox/products", json={"item_id": "abc"}).status_code == 400
    assert (
        walmart.post("/sandbox/products", json={"item_id": "12345678", "price": "x"}).status_code
        == 400
    )
    assert walmart.post("/sandbox/orders/1/ship", json={}).status_code == 404
    made = walmart.post(
        "/sandbox/products", json={"item_id": "12345678", "title": "A Thing", "price": "3.50"}
    )
    assert made.json == {"item_id": "12345678", "slug": "A-Thing"}
