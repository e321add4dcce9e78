"""Buyer flows through real Chromium (Playwright, sync API) against the subprocess-started shop."""

import re

import pytest
import requests
from bs4 import BeautifulSoup
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ORDER_NUMBER = re.compile(r"DS-\d{4}-\d{6}")


def test_card_purchase_end_to_end(ui, page, shop):
    ui.login()
    assert page.url.endswith("/account")
    ui.open_product("cotton-tshirt")
    expect(page.locator("#add-to-cart")).to_be_disabled()  # no variant chosen yet
    assert page.input_value("#variant-id") == ""
    page.click('button.variant-option[data-option="color"][data-value="Heather Grey"]')
    page.click('button.variant-option[data-option="size"][data-value="XL"]')
    assert page.input_value("#variant-id") == "TS-GRY-XL"
    expect(page.locator("#product-price")).to_have_text("$14.49")
    expect(page.locator("#selected-variant-label")).to_have_text("Heather Grey / XL")
    expect(page.locator("#stock-status")).to_have_text("In stock")
    page.fill("#quantity", "3")
    page.click("#add-to-cart")
    page.wait_for_url("**/cart")
    expect(page.locator("#cart-count")).to_have_text("3")
    page.click("#checkout-button")
    ui.fill_address(
        full_name="Maria Lopez",
        address_line1="55 Ocean Ave",
        address_line2="",
        city="Miami",
        state="FL",
        postal_code="33139-1234",
        phone="305-555-0199",
    )
    page.wait_for_url("**/checkout/payment")
    ui.pay_card()
    page.wait_for_url("**/checkout/review")
    expect(page.locator("#review-item-0-title")).to_contain_text(
        "Unisex Heavyweight Cotton T-Shirt"
    )
    expect(page.locator("#review-item-0-variant")).to_have_text("Heather Grey / XL")
    expect(page.locator("#review-item-0-quantity")).to_have_text("3")
    expect(page.locator("#review-subtotal")).to_have_text("$43.47")  # 3 x 14.49
    expect(page.locator("#review-shipping")).to_have_text("$4.99")  # under $50
    expect(page.locator("#review-tax")).to_have_text("$2.61")  # FL 6%
    expect(page.locator("#review-total")).to_have_text("$51.07")
    assert page.get_attribute("#review-total", "data-amount") == "51.07"
    number = ui.place(note="eBay 12-34567-89012")
    assert ORDER_NUMBER.fullmatch(number)
    (order,) = shop.control("GET", "/sandbox/orders")
    assert order["number"] == number
    assert (order["variant_id"], order["variant_label"], order["quantity"]) == (
        "TS-GRY-XL",
        "Heather Grey / XL",
        3,
    )
    assert order["ship_to"] == {
        "full_name": "Maria Lopez",
        "address_line1": "55 Ocean Ave",
        "address_line2": "",
        "city": "Miami",
        "state": "FL",
        "postal_code": "33139-1234",
        "country": "US",
        "phone": "305-555-0199",
    }
    assert order["note"] == "eBay 12-34567-89012" and order["card_last4"] == "4242"
    assert order["total"] == "51.07" == page.get_attribute("#confirmation-total", "data-amount")


def test_gift_card_purchase(ui, page, shop):
    ui.login()
    ui.add_to_cart("led-desk-lamp", 1)
    ui.fill_address()
    page.wait_for_url("**/checkout/payment")
    expect(page.locator("#payment-gift-balance")).to_have_text("$500.00")
    page.check("#pay-method-gift")
    expect(page.locator("#card-fields")).to_be_hidden()  # JS hides the card form
    page.click("#payment-continue")
    page.wait_for_url("**/checkout/review")
    expect(page.locator("#review-payment-method")).to_have_text("Gift card balance")
    number = ui.place()
    order = shop.control("GET", f"/sandbox/orders/{number}")
    assert order["payment_method"] == "gift_card" and order["total"] == "31.70"
    page.goto("/account")
    expect(page.locator("#gift-card-balance")).to_have_text("$468.30")


def test_declined_card(ui, page, shop):
    ui.login()
    ui.add_to_cart("phone-case", 1, color="Black")
    ui.fill_address()
    ui.pay_card(number="4000 0000 0000 0002")
    page.wait_for_url("**/checkout/review")
    page.click("#place-order-button")
    page.wait_for_url("**/checkout/payment")
    expect(page.locator("#payment-error")).to_contain_text("Your card was declined")
    assert page.locator("#confirmation-number").count() == 0
    assert shop.control("GET", "/sandbox/orders") == []


def test_invalid_card_and_address_errors_are_visible(ui, page):
    ui.login()
    ui.add_to_cart("phone-case", 1, color="Clear")
    ui.fill_address(postal_code="9021")
    expect(page.locator("#address-rejected")).to_contain_text("Address rejected")
    expect(page.locator("#error-postal_code")).to_be_visible()
    ui.fill_address()
    ui.pay_card(number="4242 4242 4242 4241", expiry="01/21")
    expect(page.locator("#error-card_number")).to_have_text("Card number is invalid.")
    expect(page.locator("#error-card_expiry")).to_have_text("This card has expired.")


def test_two_factor_login(ui, page, shop):
    ui.login(email="2fa@demo.test")
    page.wait_for_url("**/login/verify")
    code = shop.control("GET", "/sandbox/accounts/2fa@demo.test/2fa-code")["code"]
    page.fill("#otp-code", "000000" if code != "000000" else "111111")
    page.click("#otp-submit")
    expect(page.locator("#otp-error")).to_be_visible()
    page.fill("#otp-code", code)
    page.click("#otp-submit")
    page.wait_for_url("**/account")
    expect(page.locator("#account-email")).to_have_text("2fa@demo.test")


def test_captcha_page_blocks_the_account_area(ui, page):
    ui.login(email="captcha@demo.test")
    expect(page.locator("#captcha-challenge")).to_be_visible()
    assert page.locator("#account-email").count() == 0
    page.click("#captcha-submit")
    expect(page.locator("#captcha-error")).to_contain_text("Verification failed")
    page.goto("/orders")
    expect(page.locator("#captcha-challenge")).to_be_visible()


def test_the_slider_challenge_is_passed_with_the_mouse(ui, page):
    ui.login(email="captcha@demo.test")
    expect(page.locator("#captcha-challenge")).to_be_visible()
    gap = page.locator("#captcha-gap").bounding_box()
    piece = page.locator("#captcha-piece").bounding_box()
    knob = page.locator("#captcha-knob").bounding_box()
    x, y = knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + (gap["x"] - piece["x"]), y, steps=12)
    page.mouse.up()
    expect(page.locator("#account-email")).to_have_text("captcha@demo.test")  # where it was going
    page.goto("/orders")
    expect(page.locator("#orders-table, #no-orders").first).to_be_visible()


def test_wrong_password(ui, page):
    ui.login(password="wrong-password")
    expect(page.locator("#login-error")).to_have_text(
        "Incorrect email or password. Please try again."
    )
    assert page.url.endswith("/login")


def test_cookie_banner_dismissal_persists(page):
    page.goto("/")
    expect(page.locator("#cookie-banner")).to_be_visible()
    page.click("#cookie-reject")
    expect(page.locator("#cookie-banner")).to_have_count(0)
    page.reload()
    expect(page.locator("#cookie-banner")).to_have_count(0)
    assert any(
        c["name"] == "cookie_consent" and c["value"] == "rejected" for c in page.context.cookies()
    )


def test_order_history_and_shipped_detail(ui, page, shop):
    ui.login()
    first = ui.buy("phone-case", 1, color="Navy Blue")
    second = ui.buy("led-desk-lamp", 2)
    shipped = shop.control("POST", f"/sandbox/orders/{first}/ship", {"format": "usps"})
    page.goto("/orders")
    rows = page.locator("tr.order-row")
    expect(rows).to_have_count(2)
    row = page.locator(f'tr.order-row[data-order-number="{first}"]')
    expect(row.locator(".order-status")).to_have_text("Shipped")
    expect(row.locator(".order-tracking")).to_contain_text(shipped["tracking_number"])
    expect(page.locator(f'tr.order-row[data-order-number="{second}"] .order-status')).to_have_text(
        "Processing"
    )
    row.locator(".order-number a").click()
    page.wait_for_url(f"**/orders/{first}")
    expect(page.locator("#order-carrier")).to_have_text("USPS")
    expect(page.locator("#order-tracking-number")).to_have_text(shipped["tracking_number"])
    assert re.fullmatch(r"9400\d{18}", page.locator("#order-tracking-number").inner_text())
    page.goto(f"/orders/{second}")
    expect(page.locator("#order-tracking-none")).to_be_visible()
    expect(page.locator("#order-tracking-number")).to_have_count(0)


def test_storage_state_logs_in_new_context_and_works_with_requests(
    ui, page, browser, shop, tmp_path
):
    ui.login()
    number = ui.buy("cotton-tshirt", 1, color="Black", size="S")
    shipped = shop.control("POST", f"/sandbox/orders/{number}/ship", {"format": "yunexpress"})
    state_file = tmp_path / "state.json"
    page.context.storage_state(path=str(state_file))

    restored = browser.new_context(base_url=shop.url, storage_state=str(state_file))
    try:
        p2 = restored.new_page()
        p2.goto("/orders")
        assert p2.url.endswith("/orders")  # not redirected to /login
        expect(p2.locator(f'tr.order-row[data-order-number="{number}"]')).to_have_count(1)
        expect(p2.locator("#cookie-banner")).to_have_count(0)  # consent cookie restored too
    finally:
        restored.close()

    session = requests.Session()
    for c in page.context.cookies():
        session.cookies.set(c["name"], c["value"], domain=c["domain"], path=c["path"])
    resp = session.get(f"{shop.url}/orders/{number}", allow_redirects=False, timeout=10)
    assert resp.status_code == 200
    soup = BeautifulSoup(resp.text, "lxml")
    assert soup.select_one("#order-carrier").get_text(strip=True) == "YunExpress"
    assert (
        soup.select_one("#order-tracking-number").get_text(strip=True) == shipped["tracking_number"]
    )
    assert (
        requests.get(f"{shop.url}/orders/{number}", allow_redirects=False, timeout=10).status_code
        == 302
    )
