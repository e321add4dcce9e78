"""The AliExpress replica's own behaviour through Flask's test client (no browser, no subprocess):
sign-in states, the address form's rules, multi-store checkouts making one order per store, the
split-order fault, packages and the control API."""

import pytest

from sandbox.aliexpress import create_app

CASE, BAND = "1005007182736451", "1005004455667788"
ADDRESS = dict(
    country="US", first="Jane", last="Buyer", code="+1", mobile="5125550100",
    street="12 Oak St", apt="", state="Texas", city="Austin", zip="78701",
)  # fmt: skip


@pytest.fixture
def ali():
    app = create_app(seed=1)
    client = app.test_client()
    client.store = app.extensions["sandbox_aliexpress_store"]
    return client


def sign_in(client, email="buyer@ali.test", password="ali-password"):
    return client.post("/login", data={"fm-login-id": email, "fm-login-password": password})


def test_sign_in_states(ali):
    assert "/login?return_url=" in ali.get("/p/order/index.html").headers["Location"]
    assert "incorrect" in sign_in(ali, password="x").get_data(as_text=True)
    assert 'id="nc_1_n1z"' in sign_in(ali, "slider@ali.test").get_data(as_text=True)
    assert sign_in(ali, "blocked@ali.test").headers["Location"] == "/_____tmd_____/punish"
    assert sign_in(ali, "code@ali.test").headers["Location"].startswith("/login/verify")
    assert ali.get("/p/order/index.html").status_code == 302  # not until the code
    code = ali.get("/sandbox/accounts/code@ali.test/code").json["code"]
    ali.post("/login/verify", data={"code": code})
    assert b"order-empty" in ali.get("/p/order/index.html").data


def _checkout(ali, lines, address=ADDRESS):
    ids = [
        ali.post("/sandbox/carts/buyer@ali.test", json={"item_id": i, "quantity": q}).json[
            "cart_id"
        ]
        for i, q in lines
    ]
    query = "?availableProductShopcartIds=" + ",".join(ids)
    saved = ali.post("/p/trade/address" + query, data=address)
    return query, saved


def test_the_address_form_refuses_what_aliexpress_refuses(ali):
    sign_in(ali)
    _, saved = _checkout(ali, [(CASE, 1)], dict(ADDRESS, zip="7870", street="1 A"))
    page = saved.get_data(as_text=True)
    assert saved.status_code == 200 and page.count("form-item-state-error") == 2
    assert "5-35 characters" in page and "20001-0000" in page


def test_two_stores_in_one_checkout_make_two_orders_and_empty_those_lines(ali):
    sign_in(ali)
    query, saved = _checkout(ali, [(CASE, 1), (BAND, 2)])
    assert saved.status_code == 302
    page = ali.get("/p/trade/confirm.html" + query).get_data(as_text=True)
    assert page.count("pl-store-block") == 2 and "Jane Buyer" in page
    placed = ali.post("/p/trade/place" + query, data={"cardNo": "4242424242424242", "cvv": "1"})
    numbers = placed.headers["Location"].split("orderIds=")[1].split(",")
    orders = ali.get("/sandbox/orders").json["orders"]
    assert len(numbers) == 2 and {o["store_id"] for o in orders} == {"1101", "2202"}
    assert ali.get("/sandbox/carts/buyer@ali.test").json == []


def test_split_order_declined_card_and_packages(ali):
    sign_in(ali)
    ali.post("/sandbox/faults", json={"name": "split_order"})
    query, _ = _checkout(ali, [(CASE, 2)])
    declined = ali.post("/p/trade/place" + query, data={"cardNo": "4000000000000002", "cvv": "1"})
    assert b"pay-result-fail" in declined.data and ali.get("/sandbox/orders").json["orders"] == []
    placed = ali.post("/p/trade/place" + query, data={"cardNo": "4242424242424242", "cvv": "1"})
    numbers = placed.headers["Location"].split("orderIds=")[1].split(",")
    assert len(numbers) == 2  # one per piece
    shipped = ali.post(
        f"/sandbox/orders/{numbers[0]}/packages",
        json={"packages": [{"format": "cainiao"}, {"format": "usps", "status": "delivered"}]},
    ).json
    assert shipped["status"] == "WAIT_BUYER_ACCEPT_GOODS"
    assert shipped["packages"][0]["tracking_number"].startswith("LP")
    page = ali.get(f"/p/tracking/index.html?tradeOrderId={numbers[0]}").get_data(as_text=True)
    assert page.count('class="tracking-module"') == 2 and "Delivered" in page
    assert ali.post("/sandbox/faults", json={"name": "nope"}).status_code == 400
    assert ali.post(f"/sandbox/orders/{numbers[0]}/ship", json={"format": "x"}).status_code == 400
