"""Fixtures for the demo-shop tests: Flask test client helpers, the subprocess shop, one shared
Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]
if str(PROJECT_ROOT) not in sys.path:  # the repo root holds the `sandbox` package
    sys.path.insert(0, str(PROJECT_ROOT))

from sandbox.shop import create_app  # noqa: E402
from sandbox.shop.testing import start_shop  # noqa: E402
from sandbox.shop.web import STORE_KEY  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
DEMO_EMAIL = "buyer@demo.test"
DEMO_PASSWORD = "demo-password"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000000000000002"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def future_expiry(years: int = 3) -> str:
    return f"12/{(dt.date.today().year + years) % 100:02d}"


US_ADDRESS = {
    "full_name": "Jane Customer",
    "address_line1": "742 Evergreen Terrace",
    "address_line2": "Apt 2B",
    "city": "Springfield",
    "state": "CA",
    "postal_code": "90210",
    "country": "US",
    "phone": "+1 555 010 2030",
}


class Buyer:
    """Drives the shop through the Flask test client like a browser would (CSRF tokens included)."""

    EMAIL = DEMO_EMAIL
    PASSWORD = DEMO_PASSWORD
    ADDRESS = US_ADDRESS
    GOOD_CARD = GOOD_CARD
    DECLINED_CARD = DECLINED_CARD

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/products/led-desk-lamp") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no csrf token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token()}, **kwargs)

    def login(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD, **kwargs):
        return self.post("/login", {"email": email, "password": password}, **kwargs)

    def add(self, variant_id: str, quantity: int = 1, **kwargs):
        return self.post(
            "/cart/add", {"variant_id": variant_id, "quantity": str(quantity)}, **kwargs
        )

    def address(self, **overrides):
        return self.post("/checkout/address", {**US_ADDRESS, **overrides})

    def pay_card(
        self,
        number: str = GOOD_CARD,
        expiry: str | None = None,
        cvc: str = "123",
        holder: str = "Jane Buyer",
    ):
        return self.post(
            "/checkout/payment",
            {
                "payment_method": "card",
                "card_holder": holder,
                "card_number": number,
                "card_expiry": expiry or future_expiry(),
                "card_cvc": cvc,
            },
        )

    def pay_gift(self):
        return self.post("/checkout/payment", {"payment_method": "gift_card"})

    def place(self, note: str = ""):
        return self.post("/checkout/place", {"order_note": note})

    def buy(
        self, variant_id: str = "TS-BLK-M", quantity: int = 1, note: str = "", **address
    ) -> str:
        """Complete checkout by card; returns the supplier order number."""
        assert self.add(variant_id, quantity).status_code == 302
        assert self.address(**address).headers["Location"].endswith("/checkout/payment")
        assert self.pay_card().headers["Location"].endswith("/checkout/review")
        resp = self.place(note)
        assert "/checkout/confirmation/" in resp.headers["Location"], resp.get_data(as_text=True)[
            :2000
        ]
        return resp.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def app():
    return create_app(seed=1)


@pytest.fixture
def store(app):
    return app.extensions[STORE_KEY]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def buyer(client):
    return Buyer(client)


@pytest.fixture
def logged_in(buyer):
    assert buyer.login().status_code == 302
    return buyer


# ---------------------------------------------------------------------- subprocess shop + Chromium


@pytest.fixture(scope="session")
def shop_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("shop") / "shop.log"
    server = start_shop(seed=7, log_path=log, extra_args=("--quiet",))
    yield server
    server.stop()


@pytest.fixture
def shop(shop_server):
    """The running shop, reset to its seeded state before each test."""
    shop_server.reset()
    return shop_server


def chromium_path() -> str | None:
    from autoorder.scrapers.browser import chromium_executable

    return chromium_executable(os.environ.get("AUTOORDER_CHROMIUM_PATH"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, shop):
    ctx = browser.new_context(base_url=shop.url)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


class ShopUI:
    """Playwright helpers that use only the selectors documented in sandbox/shop/README.md."""

    def __init__(self, page, shop):
        self.page = page
        self.shop = shop

    def accept_cookies(self) -> None:
        banner = self.page.locator("#cookie-banner")
        if banner.count() and banner.is_visible():
            self.page.click("#cookie-accept")

    def login(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
        self.page.goto("/login")
        self.accept_cookies()
        self.page.fill("#login-email", email)
        self.page.fill("#login-password", password)
        self.page.click("#login-submit")
        self.page.wait_for_load_state()

    def open_product(self, slug: str, **options: str) -> None:
        self.page.goto(f"/products/{slug}")
        self.accept_cookies()
        for name, value in options.items():
            self.page.click(f'button.variant-option[data-option="{name}"][data-value="{value}"]')

    def add_to_cart(self, slug: str, quantity: int = 1, **options: str) -> None:
        self.open_product(slug, **options)
        self.page.fill("#quantity", str(quantity))
        self.page.click("#add-to-cart")
        self.page.wait_for_url("**/cart")

    def fill_address(self, **overrides: str) -> None:
        a = {**US_ADDRESS, **overrides}
        self.page.goto("/checkout/address")
        ids = {
            "full_name": "#ship-full-name",
            "address_line1": "#ship-address1",
            "address_line2": "#ship-address2",
            "city": "#ship-city",
            "state": "#ship-state",
            "postal_code": "#ship-postal-code",
            "phone": "#ship-phone",
        }
        for field, selector in ids.items():
            self.page.fill(selector, a[field])
        self.page.select_option("#ship-country", a["country"])
        self.page.click("#address-continue")

    def pay_card(
        self,
        number: str = GOOD_CARD,
        expiry: str | None = None,
        cvc: str = "123",
        holder: str = "Jane Buyer",
    ) -> None:
        self.page.check("#pay-method-card")
        self.page.fill("#card-holder", holder)
        self.page.fill("#card-number", number)
        self.page.fill("#card-expiry", expiry or future_expiry())
        self.page.fill("#card-cvc", cvc)
        self.page.click("#payment-continue")

    def pay_gift(self) -> None:
        self.page.check("#pay-method-gift")
        self.page.click("#payment-continue")

    def place(self, note: str = "") -> str:
        self.page.fill("#order-note", note)
        self.page.click("#place-order-button")
        return self.page.locator("#confirmation-number").inner_text()

    def buy(
        self, slug: str = "cotton-tshirt", quantity: int = 1, note: str = "", **options: str
    ) -> str:
        self.add_to_cart(slug, quantity, **options)
        self.fill_address()
        self.pay_card()
        self.page.wait_for_url("**/checkout/review")
        return self.place(note)


@pytest.fixture
def ui(page, shop):
    return ShopUI(page, shop)
