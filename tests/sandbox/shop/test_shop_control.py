"""/sandbox/ control endpoints, faults and determinism (Flask test client)."""

import re
import time

from sandbox.shop import create_app


def html(resp):
    return resp.get_data(as_text=True)


def test_health_and_catalog(client):
    assert client.get("/sandbox/health").get_json()["seed"] == 1
    catalog = {p["slug"]: p for p in client.get("/sandbox/catalog").get_json()}
    assert {"phone-case", "cotton-tshirt", "led-desk-lamp"} <= set(catalog)
    shirt = catalog["cotton-tshirt"]
    assert shirt["option_names"] == ["color", "size"] and len(shirt["variants"]) == 12
    v = next(v for v in shirt["variants"] if v["id"] == "TS-BLK-M")
    assert (v["price"], v["options"], v["label"]) == (
        "12.99",
        {"color": "Black", "size": "M"},
        "Black / M",
    )
    assert v["url"].endswith("/products/cotton-tshirt?variant=TS-BLK-M")
    assert catalog["led-desk-lamp"]["variants"][0]["id"] == "LAMP-STD"


def test_create_and_update_account(client, buyer):
    resp = client.post(
        "/sandbox/accounts",
        json={
            "email": "New@Shop.test",
            "password": "pw1",
            "gift_card_balance": "12.50",
            "two_factor": True,
        },
    )
    assert resp.status_code == 201
    assert resp.get_json() == {
        "email": "new@shop.test",
        "password": "pw1",
        "gift_card_balance": "12.50",
        "two_factor": True,
        "captcha": False,
        "totp": False,
    }
    assert client.post("/sandbox/accounts", json={"email": "bad"}).status_code == 400
    upd = client.patch(
        "/sandbox/accounts/new@shop.test", json={"two_factor": False, "gift_card_balance": 3}
    ).get_json()
    assert upd["two_factor"] is False and upd["gift_card_balance"] == "3.00"
    assert buyer.login(email="new@shop.test", password="pw1").headers["Location"] == "/account"
    emails = [a["email"] for a in client.get("/sandbox/accounts").get_json()]
    assert "buyer@demo.test" in emails and "new@shop.test" in emails
    assert client.get("/sandbox/accounts/none@x.test").status_code == 404


def test_2fa_code_endpoint_without_pending_code(client):
    assert client.get("/sandbox/accounts/2fa@demo.test/2fa-code").status_code == 404


def test_stock_and_price_endpoints(client):
    r = client.post(
        "/sandbox/products/phone-case/stock", json={"stock": 0, "variant_id": "PC-BLK"}
    ).get_json()
    stocks = {v["id"]: v["stock"] for v in r["variants"]}
    assert stocks["PC-BLK"] == 0 and stocks["PC-CLR"] == 120
    r = client.post("/sandbox/products/phone-case/price", json={"price": "9.49"}).get_json()
    assert {v["price"] for v in r["variants"]} == {"9.49"}
    page = html(client.get("/products/phone-case?variant=PC-BLK"))
    assert 'id="stock-status" class="stock-status out" data-stock="0">Out of stock<' in page
    assert 'data-amount="9.49">$9.49<' in page
    assert client.post("/sandbox/products/nope/stock", json={"stock": 1}).status_code == 404
    assert (
        client.post(
            "/sandbox/products/phone-case/stock", json={"stock": 1, "variant_id": "X"}
        ).status_code
        == 404
    )
    assert (
        client.post("/sandbox/products/phone-case/price", json={"price": "abc"}).status_code == 400
    )
    assert client.post("/sandbox/products/phone-case/price", json={}).status_code == 400


def test_faults_set_list_clear(client):
    r = client.post(
        "/sandbox/faults",
        json={
            "faults": [
                {"name": "price_raise", "factor": 1.5, "products": ["phone-case"]},
                {"name": "upsell"},
            ]
        },
    )
    assert r.get_json() == {
        "price_raise": {"factor": 1.5, "products": ["phone-case"]},
        "upsell": {"products": None},
    }
    assert client.post("/sandbox/faults", json={"name": "meteor"}).status_code == 400
    assert (
        client.post("/sandbox/faults", json={"name": "flaky", "probability": 2}).status_code == 400
    )
    assert (
        client.post("/sandbox/faults", json={"name": "slow", "products": ["nope"]}).status_code
        == 400
    )
    assert set(client.delete("/sandbox/faults/upsell").get_json()) == {"price_raise"}
    assert client.delete("/sandbox/faults").get_json() == {}


def test_ship_with_explicit_tracking(logged_in, client):
    number = logged_in.buy()
    r = client.post(
        f"/sandbox/orders/{number}/ship",
        json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
    )
    o = r.get_json()
    assert (o["status"], o["carrier"], o["tracking_number"]) == (
        "shipped",
        "UPS",
        "1Z999AA10123456784",
    )
    assert o["shipped_at"] is not None
    assert client.get(f"/sandbox/orders/{number}").get_json()["carrier"] == "UPS"


def test_packages_list_units_per_item_and_a_later_call_adds_a_parcel(logged_in, client):
    number = logged_in.buy()
    variant = client.get(f"/sandbox/orders/{number}").get_json()["items"][0]["variant_id"]
    one = {"variant_ids": [variant], "quantities": [1]}
    first = client.post(
        f"/sandbox/orders/{number}/packages", json={"packages": [{"format": "usps", **one}]}
    ).get_json()["packages"][0]
    assert first["quantities"] == [1]
    both = client.post(
        f"/sandbox/orders/{number}/packages",
        json={"packages": [{"tracking_number": first["tracking_number"], **one}, one]},
    ).get_json()["packages"]
    assert both[0]["tracking_number"] == first["tracking_number"] and len(both) == 2
    page = client.get(f"/orders/{number}").get_data(as_text=True)
    assert page.count('data-quantities="1"') == 2 and f"{variant} &times;1" in page
    for bad in ([0], [1, 1], ["1"], 1):
        r = client.post(
            f"/sandbox/orders/{number}/packages",
            json={"packages": [{"variant_ids": [variant], "quantities": bad}]},
        )
        assert r.status_code == 400 and "quantities" in r.get_json()["error"], bad


def test_ship_generated_formats(logged_in, client):
    patterns = {
        "usps": r"9400\d{18}",
        "cainiao": r"LP\d{14}",
        "yunexpress": r"YT\d{16}",
        "chinapost": r"[A-Z]{2}\d{9}CN",
    }
    carriers = {
        "usps": "USPS",
        "cainiao": "Cainiao",
        "yunexpress": "YunExpress",
        "chinapost": "China Post",
    }
    for fmt, pattern in patterns.items():
        number = logged_in.buy("PC-CLR")
        o = client.post(f"/sandbox/orders/{number}/ship", json={"format": fmt}).get_json()
        assert re.fullmatch(pattern, o["tracking_number"]), o
        assert o["carrier"] == carriers[fmt]
        assert o["tracking_number"] in o["tracking_url"]
    assert client.post(f"/sandbox/orders/{number}/ship", json={"format": "dhl"}).status_code == 400
    assert client.post("/sandbox/orders/DS-0000-000000/ship").status_code == 404


def test_cancel_and_reset(logged_in, client):
    number = logged_in.buy()
    assert client.post(f"/sandbox/orders/{number}/cancel").get_json()["status"] == "cancelled"
    assert 'id="order-cancelled"' in html(client.get(f"/orders/{number}"))
    client.post("/sandbox/faults", json={"name": "upsell"})
    assert client.post("/sandbox/reset").get_json() == {"ok": True, "seed": 1}
    assert client.get("/sandbox/orders").get_json() == []
    assert client.get("/sandbox/faults").get_json() == {}


def run_scenario(seed, buyer_cls):
    app = create_app(seed=seed)
    client = app.test_client()
    b = buyer_cls(client)
    b.login()
    numbers = [b.buy("PC-CLR"), b.buy("LAMP-STD")]
    tracking = [
        client.post(f"/sandbox/orders/{n}/ship").get_json()["tracking_number"] for n in numbers
    ]
    b.post("/logout")
    b.login(email="2fa@demo.test")
    code = client.get("/sandbox/accounts/2fa@demo.test/2fa-code").get_json()["code"]
    return numbers, tracking, code


def test_determinism_given_seed(logged_in):
    cls = type(logged_in)
    first = run_scenario(11, cls)
    assert first == run_scenario(11, cls)
    assert first != run_scenario(12, cls)
    numbers = first[0]
    assert int(numbers[1][-6:]) > int(numbers[0][-6:])


def test_price_raise_applies_at_checkout_only(logged_in, client):
    client.post(
        "/sandbox/faults",
        json={"name": "price_raise", "factor": 1.2, "products": ["led-desk-lamp"]},
    )
    assert 'data-amount="24.90">$24.90<' in html(client.get("/products/led-desk-lamp"))
    logged_in.add("LAMP-STD")
    logged_in.add("PC-CLR")
    logged_in.address()
    logged_in.pay_card()
    page = html(client.get("/checkout/review"))
    assert 'id="price-change-notice"' in page
    assert (
        'id="review-item-0-unit-price" class="line-unit-price" data-amount="29.88"' in page
    )  # 24.90 * 1.2
    assert (
        'id="review-item-1-unit-price" class="line-unit-price" data-amount="7.99"' in page
    )  # not raised
    logged_in.place()
    o = client.get("/sandbox/orders").get_json()[0]
    assert o["item_price"] == "29.88" and o["subtotal"] == "37.87"


def test_out_of_stock_fault_per_product(logged_in, client):
    client.post("/sandbox/faults", json={"name": "out_of_stock", "products": ["phone-case"]})
    page = html(client.get("/products/phone-case?variant=PC-CLR"))
    assert "Out of stock" in page and 'id="add-to-cart" disabled' in page
    assert re.search(
        r'id="add-to-cart"\s*>', html(client.get("/products/led-desk-lamp"))
    )  # other product unaffected
    assert logged_in.add("PC-CLR").headers["Location"].startswith("/products/phone-case")
    catalog = {p["slug"]: p for p in client.get("/sandbox/catalog").get_json()}
    assert {v["stock"] for v in catalog["phone-case"]["variants"]} == {0}


def test_upsell_interstitial(logged_in, client):
    client.post("/sandbox/faults", json={"name": "upsell"})
    logged_in.add("LAMP-STD")
    logged_in.address()
    assert logged_in.pay_card().headers["Location"] == "/checkout/upsell"
    assert client.get("/checkout/review").headers["Location"] == "/checkout/upsell"
    page = html(client.get("/checkout/upsell"))
    assert (
        "Add a protection plan?" in page
        and 'id="upsell-accept"' in page
        and 'id="upsell-decline"' in page
    )
    assert (
        logged_in.post("/checkout/upsell", {"choice": "accept"}).headers["Location"]
        == "/checkout/review"
    )
    page = html(client.get("/checkout/review"))
    assert 'id="review-protection" data-amount="2.99"' in page
    assert (
        'id="review-total" data-amount="34.90"' in page
    )  # 24.90 + 2.99 + 4.99 + 7.25% of 27.89 (2.02)


def test_flaky_checkout_every_second_request(logged_in, client):
    logged_in.add("LAMP-STD")
    client.post("/sandbox/faults", json={"name": "flaky", "every": 2})
    codes = [client.get("/checkout/address").status_code for _ in range(4)]
    assert codes == [200, 500, 200, 500]
    resp = client.get("/checkout/address")
    assert resp.status_code == 200
    err = html(client.get("/checkout/address"))
    assert 'id="error-page"' in err and "Something went wrong, please try again" in err
    assert client.get("/cart").status_code == 200  # not a checkout step


def test_flaky_with_probability_is_seeded(logged_in, client):
    logged_in.add("LAMP-STD")
    client.post("/sandbox/faults", json={"name": "flaky", "probability": 0.5})
    first = [client.get("/checkout/address").status_code for _ in range(12)]
    client.post("/sandbox/reset")
    logged_in.login()
    logged_in.add("LAMP-STD")
    client.post("/sandbox/faults", json={"name": "flaky", "probability": 0.5})
    second = [client.get("/checkout/address").status_code for _ in range(12)]
    assert first == second and {200, 500} == set(first)


def test_slow_fault(client):
    client.post("/sandbox/faults", json={"name": "slow", "delay": 0.3, "products": ["phone-case"]})
    start = time.monotonic()
    client.get("/products/phone-case")
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    client.get("/products/led-desk-lamp")
    client.get("/sandbox/catalog")
    assert time.monotonic() - start < 0.25


def test_alternate_layout_changes_selectors_and_accepts_renamed_fields(logged_in, client):
    client.post("/sandbox/faults", json={"name": "alternate_layout"})
    page = html(client.get("/products/cotton-tshirt"))
    assert 'id="buy-btn-v2"' in page and 'name="sku_id"' in page and 'class="opt-chip' in page
    assert (
        'id="add-to-cart"' not in page
        and 'id="variant-id"' not in page
        and 'id="quantity"' not in page
    )
    assert (
        logged_in.post("/cart/add", {"sku_id": "TS-BLK-S", "qty": "2"}).headers["Location"]
        == "/cart"
    )
    addr = html(client.get("/checkout/address"))
    assert 'name="recipient"' in addr and 'id="ship-full-name"' not in addr
    resp = logged_in.post(
        "/checkout/address",
        {
            "recipient": "Alt Person",
            "street1": "1 Road",
            "town": "Austin",
            "region": "TX",
            "zip": "73301",
            "country_code": "US",
            "mobile": "5125550100",
        },
    )
    assert resp.headers["Location"] == "/checkout/payment"
    assert 'id="card-number"' not in html(client.get("/checkout/payment"))
    logged_in.post(
        "/checkout/payment",
        {
            "pm": "card",
            "cc_name": "Alt",
            "cc_num": "4242424242424242",
            "cc_exp": "12/39",
            "cc_cvv": "999",
        },
    )
    review = html(client.get("/checkout/review"))
    assert 'id="submit-order-v2"' in review and 'id="review-total"' not in review
    resp = logged_in.post("/checkout/place", {"memo": "alt-ref"})
    number = resp.headers["Location"].rsplit("/", 1)[1]
    assert f'id="order-ref-v2">{number}<' in html(client.get(resp.headers["Location"]))
    o = client.get("/sandbox/orders").get_json()[0]
    assert (o["note"], o["ship_to"]["full_name"], o["quantity"]) == ("alt-ref", "Alt Person", 2)
