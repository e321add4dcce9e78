"""Cart, checkout validation, payment rules and order placement (Flask test client)."""

import datetime as dt

import pytest

from sandbox.shop.validation import luhn_ok, validate_address, validate_card


def html(resp):
    return resp.get_data(as_text=True)


def test_add_to_cart_requires_login(buyer):
    resp = buyer.add("PC-BLK")
    assert resp.headers["Location"] == "/login?next=/products/phone-case"


def test_cart_add_update_remove(logged_in, client):
    assert logged_in.add("PC-NVY", 2).headers["Location"] == "/cart"
    page = html(client.get("/cart"))
    assert 'data-variant-id="PC-NVY"' in page and 'id="cart-subtotal" data-amount="16.98"' in page
    assert 'id="cart-count">2<' in page
    logged_in.post("/cart/update", {"variant_id": "PC-NVY", "quantity": "3"})
    assert 'id="cart-subtotal" data-amount="25.47"' in html(client.get("/cart"))
    logged_in.post("/cart/remove", {"variant_id": "PC-NVY"})
    assert 'id="cart-empty"' in html(client.get("/cart"))


def test_add_out_of_stock_variant_is_refused(logged_in, client):
    resp = logged_in.add("TS-WHT-XL")  # seeded with stock 0
    assert resp.headers["Location"] == "/products/cotton-tshirt?variant=TS-WHT-XL"
    page = html(client.get(resp.headers["Location"]))
    assert 'id="product-error"' in page and "out of stock" in page
    assert 'id="add-to-cart" disabled' in page
    assert 'id="cart-empty"' in html(client.get("/cart"))


def test_quantity_above_stock_is_refused(logged_in, client):
    resp = logged_in.add("PC-PNK", 4)  # stock 3
    assert "Only 3 available" in html(client.get(resp.headers["Location"]))


def test_missing_variant_is_refused(logged_in, client):
    resp = logged_in.post(
        "/cart/add", {"variant_id": "", "product_slug": "cotton-tshirt", "quantity": "1"}
    )
    assert "select the product options" in html(client.get(resp.headers["Location"]))


def test_checkout_with_empty_cart_goes_back_to_cart(logged_in, client):
    assert client.get("/checkout/address").headers["Location"] == "/cart"


def test_address_missing_fields(logged_in):
    logged_in.add("PC-BLK")
    page = html(logged_in.post("/checkout/address", {"country": "US"}))
    assert 'id="form-errors"' in page
    for field in ("full_name", "address_line1", "city", "state", "postal_code", "phone"):
        assert f'id="error-{field}"' in page, field
    assert 'id="error-address_line2"' not in page


@pytest.mark.parametrize("zip_code", ["1234", "123456", "ABCDE", "12345-67", "90210 1234"])
def test_invalid_us_zip_is_rejected(logged_in, zip_code):
    logged_in.add("PC-BLK")
    resp = logged_in.address(postal_code=zip_code)
    assert resp.status_code == 200
    assert 'id="address-rejected"' in html(resp) and "Address rejected" in html(resp)


def test_valid_address_moves_to_payment_and_is_prefilled(logged_in, client):
    logged_in.add("PC-BLK")
    assert (
        logged_in.address(postal_code="90210-1234", state="california").headers["Location"]
        == "/checkout/payment"
    )
    page = html(client.get("/checkout/address"))
    assert 'value="90210-1234"' in page and 'id="ship-state" value="CA"' in page


def test_validate_address_rules():
    clean, errors, rejected = validate_address(
        {
            "full_name": " Jo  Doe ",
            "address_line1": "1 Main St",
            "city": "Leeds",
            "postal_code": "LS1 4AP",
            "country": "gb",
            "phone": "0113 496 0000",
        }
    )
    assert errors == {} and rejected is None
    assert clean["full_name"] == "Jo Doe" and clean["country"] == "GB"
    _, errors, _ = validate_address(
        {**clean, "country": "US", "state": "Narnia", "postal_code": "10001"}
    )
    assert errors == {"state": "Enter a valid US state."}
    _, errors, _ = validate_address({**clean, "country": "ZZ"})
    assert "country" in errors


def test_luhn():
    assert luhn_ok("4242424242424242")
    assert luhn_ok("4000000000000002")
    assert luhn_ok("5555555555554444")
    assert not luhn_ok("4242424242424241")
    assert not luhn_ok("42424242")
    assert not luhn_ok("4242 4242 4242 4242")


def test_validate_card_rules():
    today = dt.date(2026, 5, 15)
    assert validate_card("A B", "4242424242424242", "05/26", "123", today) == {}
    assert validate_card("A B", "4242424242424242", "04/26", "123", today) == {
        "card_expiry": "This card has expired."
    }
    assert "card_expiry" in validate_card("A B", "4242424242424242", "13/27", "123", today)
    assert "card_expiry" in validate_card("A B", "4242424242424242", "1227", "123", today)
    assert "card_cvc" in validate_card("A B", "4242424242424242", "12/27", "12", today)
    assert set(validate_card("", "4242424242424241", "12/27", "123", today)) == {
        "card_holder",
        "card_number",
    }


def _to_payment(buyer, variant="TS-BLK-M", qty=2):
    buyer.add(variant, qty)
    buyer.address()


def test_payment_field_errors_shown(logged_in):
    _to_payment(logged_in)
    page = html(logged_in.pay_card(number="4242 4242 4242 4241", expiry="01/20", cvc="1"))
    for field in ("card_number", "card_expiry", "card_cvc"):
        assert f'id="error-{field}"' in page
    assert "Card number is invalid." in page and "This card has expired." in page


def test_review_shows_items_shipping_tax_total(logged_in, client):
    _to_payment(logged_in)  # 2 x 12.99 to CA
    assert logged_in.pay_card().headers["Location"] == "/checkout/review"
    page = html(client.get("/checkout/review"))
    assert 'id="review-item-0-title" class="line-title">Unisex Heavyweight Cotton T-Shirt' in page
    assert (
        'id="review-item-0-variant" class="line-variant" data-variant-id="TS-BLK-M">Black / M<'
        in page
    )
    assert 'id="review-item-0-quantity" class="line-quantity">2<' in page
    assert 'id="review-subtotal" data-amount="25.98"' in page
    assert 'id="review-shipping" data-amount="4.99"' in page
    assert 'id="review-tax" data-amount="1.88"' in page  # 7.25% of 25.98 = 1.8836
    assert 'id="review-total" data-amount="32.85"' in page
    assert 'id="review-payment-method" data-method="card">Visa ending in 4242<' in page
    assert 'id="price-change-notice"' not in page


def test_free_shipping_and_state_without_tax(logged_in, client):
    logged_in.add("LAMP-STD", 3)  # 74.70 -> free shipping
    logged_in.address(state="OR", postal_code="97201")
    logged_in.pay_card()
    page = html(client.get("/checkout/review"))
    assert 'id="review-shipping" data-amount="0.00">FREE<' in page
    assert 'id="review-tax" data-amount="0.00"' in page
    assert 'id="review-total" data-amount="74.70"' in page


def test_card_order_is_recorded(logged_in, client, store):
    number = logged_in.buy("TS-GRY-L", 2, note="EBAY-12-34567-89012")
    assert number.startswith(f"DS-{dt.date.today().year}-") and len(number) == len("DS-2026-000123")
    conf = html(client.get(f"/checkout/confirmation/{number}"))
    assert f'id="confirmation-number" data-order-number="{number}">{number}<' in conf
    orders = client.get("/sandbox/orders").get_json()
    assert len(orders) == 1
    o = orders[0]
    assert o["number"] == number and o["account_email"] == "buyer@demo.test"
    assert (o["product_slug"], o["variant_id"], o["variant_label"], o["quantity"]) == (
        "cotton-tshirt",
        "TS-GRY-L",
        "Heather Grey / L",
        2,
    )
    assert o["ship_to"] == {
        "full_name": "Jane Customer",
        "address_line1": "742 Evergreen Terrace",
        "address_line2": "Apt 2B",
        "city": "Springfield",
        "state": "CA",
        "postal_code": "90210",
        "country": "US",
        "phone": "+1 555 010 2030",
    }
    assert (o["payment_method"], o["card_last4"], o["card_brand"]) == ("card", "4242", "Visa")
    assert (o["item_price"], o["subtotal"], o["shipping"], o["tax"], o["total"]) == (
        "12.99",
        "25.98",
        "4.99",
        "1.88",
        "32.85",
    )
    assert (
        o["note"] == "EBAY-12-34567-89012"
        and o["status"] == "processing"
        and o["tracking_number"] is None
    )
    assert dt.datetime.fromisoformat(o["placed_at"]).tzinfo is not None
    assert store.find_variant("TS-GRY-L")[1]["stock"] == 18 + 14 + 10 - 2
    assert 'id="cart-empty"' in html(client.get("/cart"))


def test_declined_card_shows_message_and_places_nothing(logged_in, client):
    _to_payment(logged_in)
    assert (
        logged_in.pay_card(number=logged_in.DECLINED_CARD).headers["Location"] == "/checkout/review"
    )
    resp = logged_in.place()
    assert resp.headers["Location"] == "/checkout/payment"
    page = html(client.get("/checkout/payment"))
    assert 'id="payment-error"' in page and "Your card was declined" in page
    assert client.get("/sandbox/orders").get_json() == []
    # payment must be re-entered before review
    assert client.get("/checkout/review").headers["Location"] == "/checkout/payment"


def test_gift_card_payment_deducts_balance(logged_in, client):
    _to_payment(logged_in, "LAMP-STD", 1)  # 24.90 + 4.99 + 7.25% of 24.90 (1.81) = 31.70
    assert logged_in.pay_gift().headers["Location"] == "/checkout/review"
    assert "Gift card balance" in html(client.get("/checkout/review"))
    assert "/checkout/confirmation/" in logged_in.place().headers["Location"]
    order = client.get("/sandbox/orders").get_json()[0]
    assert (
        order["payment_method"] == "gift_card"
        and order["card_last4"] is None
        and order["total"] == "31.70"
    )
    assert (
        client.get("/sandbox/accounts/buyer@demo.test").get_json()["gift_card_balance"] == "468.30"
    )


def test_gift_card_insufficient_balance(buyer, client):
    buyer.login(email="lowbalance@demo.test")  # 5.00
    _to_payment(buyer, "LAMP-STD", 1)
    page = html(buyer.pay_gift())
    assert 'id="payment-error"' in page and "Insufficient gift card balance" in page
    assert client.get("/checkout/review").headers["Location"] == "/checkout/payment"


def test_order_note_longer_than_100_chars_is_refused(logged_in, client):
    _to_payment(logged_in)
    logged_in.pay_card()
    page = html(logged_in.place(note="x" * 101))
    assert 'id="order-note-error"' in page and "at most 100 characters" in page
    assert client.get("/sandbox/orders").get_json() == []
    assert "/checkout/confirmation/" in logged_in.place(note="x" * 100).headers["Location"]


def test_stock_change_before_placing_is_reported(logged_in, client):
    _to_payment(logged_in, "PC-BLK", 2)
    logged_in.pay_card()
    client.post("/sandbox/products/phone-case/stock", json={"stock": 1, "variant_id": "PC-BLK"})
    page = html(logged_in.place())
    assert 'id="review-error"' in page and "Only 1 of" in page
    assert client.get("/sandbox/orders").get_json() == []


def test_order_history_and_detail(logged_in, client):
    number = logged_in.buy("PC-CLR", 1, note="ref-1")
    listing = html(client.get("/orders"))
    assert (
        f'<tr class="order-row" data-order-number="{number}" data-status="processing">' in listing
    )
    detail = html(client.get(f"/orders/{number}"))
    assert 'id="order-tracking-none"' in detail and "Processing" in detail
    assert 'id="order-tracking-number"' not in detail
    assert '<p id="order-note">ref-1</p>' in detail
    shipped = client.post(f"/sandbox/orders/{number}/ship", json={"format": "chinapost"}).get_json()
    detail = html(client.get(f"/orders/{number}"))
    assert f'<strong id="order-tracking-number">{shipped["tracking_number"]}</strong>' in detail
    assert '<strong id="order-carrier">China Post</strong>' in detail
    assert 'data-status="shipped"' in html(client.get("/orders"))


def test_other_accounts_cannot_see_an_order(logged_in, client, app):
    number = logged_in.buy()
    other = app.test_client()
    intruder = type(logged_in)(other)  # same helper class, second browser session
    intruder.login(email="lowbalance@demo.test")
    assert other.get(f"/orders/{number}").status_code == 404
    assert number not in html(other.get("/orders"))
