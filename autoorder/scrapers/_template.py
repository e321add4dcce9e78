"""TEMPLATE for a new supplier adapter — copy to ``autoorder/scrapers/<key>.py``; not registered.

See docs/adding-a-supplier.md. The base class (scrapers.base.SupplierAdapter) owns the checkout
skeleton and its safety rule (guard → exactly one place-order click → read only); you supply the
steps and the selectors. Raise a SupplierError subclass for every expected failure: the class
says whether anything may have been bought and whether a retry is safe (base.py).
"""

from decimal import Decimal  # noqa: F401 - amounts are Decimals

from bs4 import BeautifulSoup

from autoorder.scrapers import base
from autoorder.scrapers.base import act, amount_of, need, submit, text_of, which  # noqa: F401

# Every selector, by page, one per line; each an ordered list of fallbacks: stable ids, data
# attributes and roles first, older markup after. Say where each was verified (a fixture in
# tests/scrapers/fixtures/<key>/) or, if taken from public code or docs only, say so.
SELECTORS = {
    "login": {
        "signed_in": ["[data-testid=account-menu]"],
        "login_form": ["form#signin"],
        "login_email": ["input[name=email]"],
        "login_password": ["input[type=password]"],
        "login_submit": ["button[type=submit]"],
        "login_error": ["[role=alert]"],
        "captcha": ["#captcha"],
    },
    "product": {
        "add_to_cart": ["[data-testid=add-to-cart]"],
        "out_of_stock": ["[data-testid=out-of-stock]"],
    },
    "cart": {"cart_line": ["[data-testid=cart-line]"], "cart_empty": ["[data-testid=cart-empty]"]},
    "review": {
        "review_line": ["[data-testid=review-line]"],
        "review_total": ["[data-testid=order-total]"],
        "place_order": ["[data-testid=place-order]"],
    },
    "confirmation": {"order_number": ["[data-testid=order-number]"]},
    "order_detail": {"tracking_number": ["[data-testid=tracking-number]"]},
}


class TemplateAdapter(base.SupplierAdapter):
    key = "template"  # the Supplier.key; register the class in scrapers/__init__.py ADAPTERS
    display_name = "Template Supplier"
    default_base_url = "https://www.example.com"
    hosts = ("example.com",)  # product URLs must stay on these (autoorder.netguard)
    SELECTORS = SELECTORS
    tracking_in_browser = False  # True if the order page needs a browser (scripts, bot walls)

    def login(self, page, credentials) -> None:
        s = self.s
        page.goto(self.base_url + "/account/orders")  # product pages: self.product_page(url)
        state = which(page, {"in": s.signed_in, "form": s.login_form, "captcha": s.captcha})
        if state == "form":
            act(page, s.login_email, "fill", credentials.email)
            act(page, s.login_password, "fill", credentials.password)
            submit(page, s.login_submit)
            state = which(page, {"in": s.signed_in, "error": s.login_error, "captcha": s.captcha})
        if state == "error":
            raise base.LoginFailedError(text_of(page, s.login_error))
        if state == "captcha":
            raise base.BlockedError("the supplier shows a captcha", challenge="captcha")

    # --- the checkout steps (called by the base's place_order / walk_to_review) -----------------
    def empty_cart(self, page) -> None:
        raise NotImplementedError

    def add_to_cart(self, page, request) -> str:
        """Return the supplier's item id (variant/SKU) as review and confirmation show it."""
        raise NotImplementedError

    def checkout(self, page, request, credentials) -> None:
        """Address, shipping choice, payment (card or gift card/balance) → the review page."""
        raise NotImplementedError

    def read_review(self, page, request, item) -> base.ReviewTotals:
        raise NotImplementedError

    def click_place_order(self, page) -> None:
        submit(page, self.s.place_order)  # once; never retried

    def read_confirmation(self, page, request, item, totals) -> base.Confirmation:
        raise NotImplementedError

    # --- recovery and tracking -------------------------------------------------------------------
    def find_order(self, page, credentials, request, placed_after) -> base.FoundOrder | None:
        """Match the order history by item, quantity, ship-to name + postal code and time;
        AmbiguousMatchError when several fit."""
        raise NotImplementedError

    def tracking_url(self, supplier_order_number: str) -> str:
        return f"{self.base_url}/orders/{supplier_order_number}"

    def parse_tracking(self, html: str) -> base.TrackingInfo:
        soup = BeautifulSoup(html, "lxml")
        number = soup.select_one(self.s.tracking_number)
        if number is None:
            return base.TrackingInfo("processing")
        return base.TrackingInfo("shipped", None, number.get_text(strip=True))
