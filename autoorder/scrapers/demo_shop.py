"""NovaMart Supply, the demo supplier shop (sandbox/shop): sign-in, checkout, order history, tracking."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urljoin, urlparse

from bs4 import BeautifulSoup, SoupStrainer

from autoorder.scrapers import base
from autoorder.scrapers.base import (
    PageChangedError,
    SupplierError,
    act,
    amount_of,
    need,
    submit,
    text_of,
    to_amount,
    which,
)

FLAKY_RETRIES = 2  # per checkout page, and only before the place-order click
FIND_LIMIT = 30  # most recent orders searched
FIND_CLOCK_SLACK = timedelta(minutes=2)  # the shop's clock and ours may differ a little

ORDERS_PATH, CART_PATH, PRODUCT_TITLE = "/orders", "/cart", "#product-title"
LOGIN_FORM, LOGIN_EMAIL, LOGIN_PASSWORD = "#login-form", "#login-email", "#login-password"
LOGIN_SUBMIT, LOGIN_ERROR, OTP_FORM, CAPTCHA = (
    "#login-submit",
    "#login-error",
    "#otp-form",
    "#captcha-challenge",
)
ORDER_LIST, ORDER_ROW = "#orders-table, #no-orders", "tr.order-row[data-order-number]"
OPTION_BUTTON, VARIANT_ID, STOCK, QUANTITY = (
    "button.variant-option",
    "#variant-id",
    "#stock-status",
    "#quantity",
)
ADD_TO_CART, PRODUCT_ERROR, CART_LINE, CART_EMPTY = (
    "#add-to-cart",
    "#product-error",
    "tr.cart-line",
    "#cart-empty",
)
CLEAR_CART, CHECKOUT, ADDRESS_FORM = "#clear-cart-button", "#checkout-button", "#address-form"
CART_COUNT = "#cart-count"  # in every page's header
ADDRESS_REJECTED, FORM_ERRORS, FIELD_ERRORS = "#address-rejected", "#form-errors", ".field-error"
COUNTRY, ADDRESS_CONTINUE, PAYMENT_FORM = "#ship-country", "#address-continue", "#payment-form"
ADDRESS_FIELDS = {
    "name": "#ship-full-name",
    "line1": "#ship-address1",
    "line2": "#ship-address2",
    "city": "#ship-city",
    "state": "#ship-state",
    "postal_code": "#ship-postal-code",
    "phone": "#ship-phone",
}
PAYMENT_ERROR, PAY_CARD, PAY_GIFT = "#payment-error", "#pay-method-card", "#pay-method-gift"
CARD_FIELDS = {
    "card_holder": "#card-holder",
    "card_number": "#card-number",
    "card_expiry": "#card-expiry",
    "card_cvc": "#card-cvc",
}
PAYMENT_CONTINUE, UPSELL_PAGE, UPSELL_DECLINE = (
    "#payment-continue",
    "#upsell-page",
    "#upsell-decline",
)
REVIEW_LINE, REVIEW_QUANTITY, ORDER_NOTE = (
    "tr.review-line",
    "#review-item-0-quantity",
    "#order-note",
)
REVIEW_AMOUNTS = {
    "item": "#review-subtotal",
    "shipping": "#review-shipping",
    "tax": "#review-tax",
    "total": "#review-total",
}
PLACE_ORDER, REVIEW_ERROR, NOTE_ERROR = "#place-order-button", "#review-error", "#order-note-error"
CONFIRMATION_NUMBER, CONFIRMATION_TOTAL = "#confirmation-number", "#confirmation-total"
# What was placed, read after the click: lines (variant id, quantity) and the ship-to name/postcode.
PLACED_LINE, PLACED_QUANTITY = (
    "#confirmation-items tr.order-item[data-variant-id]",
    ".item-quantity",
)
PLACED_SHIP_NAME, PLACED_SHIP_POSTAL = "#confirmation-ship-name", "#confirmation-ship-postal-code"
# The order page says the same (used when the confirmation page failed to load).
DETAIL_LINE, DETAIL_SHIP_NAME = "#order-items tr.order-item[data-variant-id]", "#order-ship-name"
DETAIL_SHIP_POSTAL = "#order-ship-postal-code"
CONFIRMATION_URL = re.compile(r"/checkout/confirmation/([^/?#]+)")
ERROR_PAGE, FLAKY_PAGE, RETRY_LINK = "#error-page", "#error-page[data-flaky='true']", "#retry-link"
DETAIL_NUMBER, DETAIL_STATUS, DETAIL_TOTAL = (
    "#order-number",
    "#order-status[data-status]",
    "#order-total",
)
DETAIL_CARRIER, DETAIL_TRACKING = "#order-carrier", "#order-tracking-number"
TRACKING_PARTS = SoupStrainer(
    id={"order-status", "order-carrier", "order-tracking-number"}
)  # ids of the three


class DemoShopAdapter(base.SupplierAdapter):
    key = "demo_shop"
    display_name = "Demo Shop"

    # --- sign-in ---------------------------------------------------------------------------------
    def login(self, page, credentials) -> None:
        """Reuse the saved session or sign in, ending on the order history; raise LoginFailedError,
        BlockedError (2FA, captcha) or PageChangedError."""
        page.goto(self.base_url + ORDERS_PATH)
        state = which(
            page, {"in": ORDER_LIST, "form": LOGIN_FORM, "otp": OTP_FORM, "captcha": CAPTCHA}
        )
        if state == "form":
            act(page, LOGIN_EMAIL, "fill", credentials.email)
            act(page, LOGIN_PASSWORD, "fill", credentials.password)
            submit(page, LOGIN_SUBMIT)
            state = which(
                page, {"in": ORDER_LIST, "error": LOGIN_ERROR, "otp": OTP_FORM, "captcha": CAPTCHA}
            )
        if state == "error":
            raise base.LoginFailedError(
                f"Demo Shop refused the sign-in: {text_of(page, LOGIN_ERROR)}"
            )
        if state == "otp":
            raise base.BlockedError(
                "Demo Shop asks for a two-factor code after the password; a bot cannot enter it"
            )
        if state == "captcha":
            raise base.BlockedError(
                "Demo Shop shows a captcha (bot challenge); a bot cannot solve it"
            )

    # --- the checkout steps (the skeleton in base.SupplierAdapter.place_order runs them) ---------
    def empty_cart(self, page) -> None:
        if self._cart_may_hold_items(page):  # leftovers of an earlier, failed run
            page.goto(self.base_url + CART_PATH)
            if which(page, {"lines": CART_LINE, "empty": CART_EMPTY}) == "lines":
                submit(page, CLEAR_CART)
                need(page, CART_EMPTY)

    def add_to_cart(self, page, request) -> str:
        return self._add_to_cart(page, request)

    def checkout(self, page, request, credentials) -> None:
        submit(page, CHECKOUT)
        self._checkout_steps(page, request, credentials)

    def read_review(self, page, request, item) -> base.ReviewTotals:
        lines, quantity, totals = _read_review(page)
        if lines != [item] or quantity != str(request.quantity):  # the cart is per account
            raise SupplierError(
                f"the review page lists {lines}, expected only {item} x {request.quantity}"
            )
        return totals

    def prepare_place(self, page, request) -> None:
        if page.locator(ORDER_NOTE).count():  # the shop may keep no note (then: found by contents)
            act(page, ORDER_NOTE, "fill", request.reference)

    def click_place_order(self, page) -> None:
        submit(page, PLACE_ORDER)

    @staticmethod
    def _cart_may_hold_items(page) -> bool:
        """False only when the header of the page in hand (the order history, just loaded by
        ``login``) says the cart is empty; anything else (no counter, not a number) means look."""
        counter = page.query_selector(CART_COUNT)
        return counter is None or counter.inner_text().strip() != "0"

    def _add_to_cart(self, page, request) -> str:
        page.goto(urljoin(self.base_url + "/", request.product_url))
        need(page, PRODUCT_TITLE)
        _choose_variant(page, request.variant)
        variant_id, stock = page.evaluate(
            "([v, s]) => [document.querySelector(v)?.value, document.querySelector(s)?.dataset.stock]",
            [VARIANT_ID, STOCK],
        )
        for selector, value in ((VARIANT_ID, variant_id), (STOCK, stock)):
            if value is None:
                raise base.missing_element(page, selector)
        if not stock.isdigit():
            raise PageChangedError(f"{STOCK} has no numeric data-stock after choosing {variant_id}")
        if int(stock) < request.quantity:
            raise base.OutOfStockError(f"{variant_id}: {stock} in stock, {request.quantity} needed")
        act(page, QUANTITY, "fill", str(request.quantity))
        submit(page, ADD_TO_CART)
        if which(page, {"cart": CART_LINE, "error": PRODUCT_ERROR}) == "error":
            message = text_of(page, PRODUCT_ERROR)
            raise (
                base.OutOfStockError
                if re.search("stock|available", message, re.I)
                else SupplierError
            )(f"the shop refused to add {variant_id}: {message}")
        return variant_id

    def _checkout_steps(self, page, request, credentials) -> None:
        """Walk address -> payment -> (upsell) to the review page, retrying a flaky page a couple of times."""
        retries: dict[str, int] = {}
        for _ in range(12):
            step = which(
                page,
                {
                    "review": PLACE_ORDER,
                    "address": ADDRESS_FORM,
                    "payment": PAYMENT_FORM,
                    "upsell": UPSELL_PAGE,
                    "flaky": FLAKY_PAGE,
                    "error": ERROR_PAGE,
                },
            )
            if step == "review":
                return
            if step == "address":
                _fill_address(page, request.ship_to)
            elif step == "payment":
                _fill_payment(page, credentials)
            elif step == "upsell":
                submit(page, UPSELL_DECLINE)
            elif step == "error":
                raise SupplierError(
                    f"the shop showed an error page at {page.url}: {text_of(page, ERROR_PAGE)}"
                )
            else:
                path = urlparse(page.url).path
                retries[path] = retries.get(path, 0) + 1
                if retries[path] > FLAKY_RETRIES:
                    raise base.SupplierUnavailableError(
                        f"the shop kept failing on {path}; nothing was ordered"
                    )
                href = (
                    page.get_attribute(RETRY_LINK, "href")
                    if page.locator(RETRY_LINK).count()
                    else None
                )
                page.goto(
                    urljoin(page.url, href or "/checkout")
                )  # always a GET: safe before placing
        raise SupplierError("the checkout did not reach the review page")

    def read_confirmation(self, page, request, item, totals) -> base.Confirmation:
        """Read what the click placed (read only: nothing here is retried)."""
        outcome = which(
            page,
            {
                "placed": CONFIRMATION_NUMBER,
                "declined": PAYMENT_ERROR,
                "refused": REVIEW_ERROR,
                "note": NOTE_ERROR,
                "error": ERROR_PAGE,
            },
        )
        if outcome == "declined":
            raise base.PaymentDeclinedError(
                f"Demo Shop declined the payment: {text_of(page, PAYMENT_ERROR)}"
            )
        if outcome in ("refused", "note"):
            message = text_of(page, REVIEW_ERROR if outcome == "refused" else NOTE_ERROR)
            raise (base.OutOfStockError if "stock" in message.lower() else SupplierError)(
                f"not placed: {message}"
            )
        redirect = CONFIRMATION_URL.search(page.url)
        if outcome == "error" and redirect is None:
            raise SupplierError(
                f"the place-order click led to an error page ({text_of(page, ERROR_PAGE)})"
            )
        if outcome == "placed":
            number = act(page, CONFIRMATION_NUMBER, "get_attribute", "data-order-number")
            number, total = (
                number or text_of(page, CONFIRMATION_NUMBER),
                amount_of(page, CONFIRMATION_TOTAL),
            )
            placed = _read_placed(page, PLACED_LINE, PLACED_SHIP_NAME, PLACED_SHIP_POSTAL)
        else:  # placed (the redirect names the order) but the confirmation failed: the order page
            number = redirect.group(1)
            page.goto(self.tracking_url(number))
            if which(page, {"detail": DETAIL_NUMBER, "error": ERROR_PAGE}) != "detail":
                raise SupplierError(
                    f"order {number} was placed but neither its confirmation nor its order page "
                    "could be read"
                )
            total = amount_of(page, DETAIL_TOTAL)
            placed = _read_placed(page, DETAIL_LINE, DETAIL_SHIP_NAME, DETAIL_SHIP_POSTAL)
        return base.Confirmation(number, total, *placed)

    # --- recovery and tracking -------------------------------------------------------------------
    def find_order(self, page, credentials, request, placed_after) -> base.FoundOrder | None:
        """The order ``request`` placed at or after ``placed_after``: same product and variant,
        quantity, ship-to name and postal code; where the order page keeps our note, it must be
        ours. AmbiguousMatchError when more than one fits."""
        if not page.url.startswith(self.base_url + ORDERS_PATH):
            page.goto(self.base_url + ORDERS_PATH)
        need(page, ORDER_LIST)
        rows = page.eval_on_selector_all(
            ORDER_ROW,
            "rs => rs.map(r => [r.dataset.orderNumber, "
            "r.querySelector('.order-total')?.getAttribute('data-amount'), "
            "r.querySelector('.order-date time')?.getAttribute('datetime')])",
        )
        since = placed_after - FIND_CLOCK_SLACK if placed_after else None
        fits = []
        for number, amount, placed_at in rows[:FIND_LIMIT]:
            if since is not None and placed_at and _when(placed_at) < since:
                continue  # older than the attempt: not ours (the history is newest first)
            html = page.request.get(self.tracking_url(number), timeout=base.SUBMIT_WAIT_MS).text()
            if order_matches(html, request):
                fits.append(base.FoundOrder(number, Decimal(amount) if amount else None))
        if len(fits) > 1:
            raise base.AmbiguousMatchError(
                "orders " + ", ".join(f.supplier_order_number for f in fits) + " all match"
            )
        return fits[0] if fits else None

    def tracking_url(self, supplier_order_number: str) -> str:
        return f"{self.base_url}{ORDERS_PATH}/{supplier_order_number}"

    def parse_tracking(self, html: str) -> base.TrackingInfo:
        """Read status, carrier and tracking number from an order page; PageChangedError if they are absent."""
        soup = BeautifulSoup(
            html, "lxml", parse_only=TRACKING_PARTS
        )  # builds only those elements: ≈ 3x faster
        status = (soup.select_one(DETAIL_STATUS) or {}).get("data-status", "").strip().lower()
        if status in ("processing", "cancelled"):
            return base.TrackingInfo(status)
        number, carrier = (
            " ".join(el.get_text().split()) if el else None
            for el in (soup.select_one(DETAIL_TRACKING), soup.select_one(DETAIL_CARRIER))
        )
        if status != "shipped" or not number:
            raise PageChangedError(
                f"no {DETAIL_STATUS} or {DETAIL_TRACKING} on the order page (status {status!r})"
            )
        return base.TrackingInfo("shipped", carrier, number)


def _when(iso: str) -> datetime:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def order_matches(html: str, request) -> bool:
    """Whether an order page shows exactly ``request``: its product (slug) and variant, the
    quantity, the ship-to name and postal code, and our reference if the page keeps a note."""
    soup = BeautifulSoup(html, "lxml")
    lines = soup.select(DETAIL_LINE)
    name, postal = soup.select_one(DETAIL_SHIP_NAME), soup.select_one(DETAIL_SHIP_POSTAL)
    if not lines or name is None or postal is None:
        raise PageChangedError(f"an order page lacks {DETAIL_LINE} or the ship-to")
    note = soup.select_one(ORDER_NOTE)
    if note is not None and note.get_text(strip=True) not in ("", request.reference):
        return False  # the shop keeps notes and this one is another order's
    slug = urlparse(request.product_url).path.rstrip("/").rsplit("/", 1)[-1]
    wanted = _variant_key(request.variant)
    if len(lines) != 1:
        return False
    line = lines[0]
    variant, quantity = line.select_one(".item-variant"), line.select_one(PLACED_QUANTITY)
    if line.get("data-product-slug") != slug or quantity is None:
        return False
    if " ".join(quantity.get_text().split()) != str(request.quantity):
        return False
    if wanted is not None and _variant_key(variant.get_text() if variant else None) != wanted:
        return False  # (no variant asked: the product URL chose it, any variant of it fits)
    same = lambda a, b: _norm(a).replace(" ", "") == _norm(b).replace(" ", "")  # noqa: E731
    return same(name.get_text(), request.ship_to.name) and same(
        postal.get_text().replace("-", ""), request.ship_to.postal_code.replace("-", "")
    )


def _variant_key(label):
    """A variant label in a comparable form: "l / Black" == "Black / L"."""
    if not label or _norm(label) in ("standard", "default"):
        return None
    return tuple(sorted(_norm(part) for part in re.split(r"\s*/\s*", label)))


# --- page steps -----------------------------------------------------------------------------------
def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def match_options(groups: dict[str, list[str]], parts: list[str]) -> list[tuple[str, str]] | None:
    """Pair each label part with the option group offering it: any order, any case ("l / black")."""
    find, names, picks = (
        {n: {_norm(v): v for v in values} for n, values in groups.items()},
        list(groups),
        {},
    )
    if len(parts) != len(names):
        return None
    for position, part in enumerate(map(_norm, parts)):
        hits = [n for n in names if n not in picks and part in find[n]]
        if (
            len(hits) > 1 and names[position] in hits
        ):  # a value two groups offer: trust the position
            hits = [names[position]]
        if len(hits) != 1:
            return None
        picks[hits[0]] = find[hits[0]][part]
    return list(picks.items())


def _choose_variant(page, label: str | None) -> None:
    """Click the option buttons that make up ``label`` (e.g. "Black / L"); PageChangedError if impossible."""
    groups: dict[str, list[str]] = {}
    buttons = page.eval_on_selector_all(
        OPTION_BUTTON, "bs => bs.map(b => [b.dataset.option, b.dataset.value])"
    )
    for option, value in buttons:
        groups.setdefault(option, []).append(value)
    if not groups and label and _norm(label) not in ("standard", "default"):
        raise PageChangedError(
            f"the product has no options, but the listing asks for variant {label!r}"
        )
    if not groups or (not label and act(page, VARIANT_ID, "input_value")):
        return  # a single-variant product, or a variant preselected by the product URL (?variant=)
    if not label:
        raise PageChangedError(
            f"the product needs a choice of {', '.join(groups)} but the listing has no variant"
        )
    picks = match_options(groups, label.split(" / ")) or match_options(
        groups, re.split(r"\s*/\s*", label)
    )
    if picks is None:
        raise PageChangedError(f"variant {label!r} is not offered; the options are {groups}")
    for option, value in picks:
        act(
            page,
            f"{OPTION_BUTTON}[data-option={json.dumps(option)}][data-value={json.dumps(value)}]",
            "click",
        )
    if not act(page, VARIANT_ID, "input_value"):
        raise PageChangedError(
            f"choosing {label!r} selected no variant ({VARIANT_ID} stayed empty)"
        )


PLACED_JS = """s => [
  Array.from(document.querySelectorAll(s.line)).map(r => [
    r.dataset.variantId, (r.querySelector(s.quantity)?.innerText || "").trim()]),
  document.querySelector(s.name)?.innerText ?? null,
  document.querySelector(s.postal)?.innerText ?? null,
]"""


def _read_placed(page, line, name, postal) -> tuple[list, str, str]:
    """What the page says was placed: [(variant id, quantity)], ship-to name and postal code."""
    lines, ship_name, ship_postal = page.evaluate(
        PLACED_JS, {"line": line, "quantity": PLACED_QUANTITY, "name": name, "postal": postal}
    )
    for selector, value in ((name, ship_name), (postal, ship_postal)):
        if value is None:
            raise base.missing_element(page, selector)
    if not lines:
        raise base.missing_element(page, line)
    if not all(quantity.isdigit() for _, quantity in lines):
        raise PageChangedError(f"{line} {PLACED_QUANTITY} is not a number: {lines}")
    return lines, ship_name, ship_postal


REVIEW_JS = """s => {
  const q = sel => document.querySelector(sel);
  return [Array.from(document.querySelectorAll(s.line)).map(r => r.dataset.variantId),
          q(s.quantity) ? q(s.quantity).innerText : null,
          Object.fromEntries(Object.entries(s.amounts).map(([k, sel]) => [k, q(sel)?.getAttribute("data-amount")]))];
}"""


def _read_review(page) -> tuple[list[str], str, base.ReviewTotals]:
    """The review page's lines (variant ids), quantity and amounts, read in one round trip."""
    lines, quantity, amounts = page.evaluate(
        REVIEW_JS, {"line": REVIEW_LINE, "quantity": REVIEW_QUANTITY, "amounts": REVIEW_AMOUNTS}
    )
    if quantity is None:
        raise base.missing_element(page, REVIEW_QUANTITY)
    totals = base.ReviewTotals(
        **{k: to_amount(amounts.get(k), sel) for k, sel in REVIEW_AMOUNTS.items()}
    )
    return lines, " ".join(quantity.split()), totals


def _fill_address(page, address) -> None:
    if page.locator(f"{ADDRESS_REJECTED}, {FORM_ERRORS}").count():
        shown = page.locator(f"{ADDRESS_REJECTED}, {FIELD_ERRORS}").all_inner_texts()
        raise base.AddressRejectedError(
            "Demo Shop rejected the ship-to address: " + " ".join(shown)
        )
    for field, selector in ADDRESS_FIELDS.items():
        act(page, selector, "fill", getattr(address, field) or "")
    options = page.eval_on_selector_all(
        f"{COUNTRY} option", "os => os.map(o => [o.value, o.textContent])"
    )
    value = next(
        (v for v, text in options if _norm(address.country) in (_norm(v), _norm(text))), None
    )
    if value is None:
        raise base.AddressRejectedError(
            f"Demo Shop does not ship to {address.country!r} ({[v for v, _ in options]})"
        )
    act(page, COUNTRY, "select_option", value)
    submit(page, ADDRESS_CONTINUE)


def _fill_payment(page, credentials) -> None:
    if page.locator(f"{PAYMENT_ERROR}, {FORM_ERRORS}").count():
        shown = page.locator(f"{PAYMENT_ERROR}, {FIELD_ERRORS}").all_inner_texts()
        raise base.PaymentDeclinedError("Demo Shop refused the payment: " + " ".join(shown))
    if credentials.payment_method not in ("card", "gift_card"):
        raise SupplierError(f"Demo Shop has no payment method {credentials.payment_method!r}")
    act(page, PAY_GIFT if credentials.payment_method == "gift_card" else PAY_CARD, "check")
    for field, selector in CARD_FIELDS.items() if credentials.payment_method == "card" else ():
        value = (
            getattr(credentials, field) or ""
        )  # the expiry field wants MM/YY: a stored MM/YYYY is shortened
        if field == "card_expiry":
            value = re.sub(
                r"^\s*(\d\d?)\s*/\s*(?:\d\d)?(\d\d)\s*$", lambda m: f"{int(m[1]):02d}/{m[2]}", value
            )
        act(page, selector, "fill", value)
    submit(page, PAYMENT_CONTINUE)
