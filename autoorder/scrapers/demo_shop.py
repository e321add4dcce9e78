"""NovaMart Supply, the demo supplier shop (sandbox/shop): sign-in, checkout, order history,
tracking."""

import dataclasses
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
from autoorder.scrapers.selectors import Selectors

FLAKY_RETRIES = 2  # per checkout page, and only before the place-order click
FIND_LIMIT = 30  # most recent orders searched
FIND_CLOCK_SLACK = timedelta(minutes=2)  # the shop's clock and ours may differ a little

ORDERS_PATH, CART_PATH = "/orders", "/cart"
CONFIRMATION_URL = re.compile(r"/checkout/confirmation/([^/?#]+)")
ADDRESS_PARTS = ("name", "line1", "line2", "city", "state", "postal_code", "phone")
CARD_PARTS = ("card_holder", "card_number", "card_expiry", "card_cvc")
AMOUNT_PARTS = ("item", "shipping", "tax", "total")

# Every selector of the shop, by page, one per line; each an ordered list of fallbacks. Verified
# against the shop's page contract (sandbox/shop/README.md) and the fixtures in
# tests/scrapers/fixtures/demo_shop/. A user overrides any of them per supplier
# (scrapers.selectors).
SELECTORS = {
    "every_page": {
        "cart_count": ["#cart-count"],  # in every page's header
        "error_page": ["#error-page"],
        "flaky_page": ["#error-page[data-flaky='true']"],
        "retry_link": ["#retry-link"],
        "form_errors": ["#form-errors"],
        "field_errors": [".field-error"],
    },
    "login": {
        "login_form": ["#login-form"],
        "login_email": ["#login-email"],
        "login_password": ["#login-password"],
        "login_submit": ["#login-submit"],
        "login_error": ["#login-error"],
        "otp_form": ["#otp-form"],
        "otp_code": ["#otp-code"],
        "otp_submit": ["#otp-submit"],
        "captcha": ["#captcha-challenge"],
    },
    "order_history": {
        "order_list": ["#orders-table", "#no-orders"],
        "order_row": ["tr.order-row[data-order-number]"],
    },
    "product": {
        "product_title": ["#product-title"],
        "option_button": ["button.variant-option"],
        "variant_id": ["#variant-id"],
        "stock": ["#stock-status"],
        "quantity": ["#quantity"],
        "add_to_cart": ["#add-to-cart"],
        "product_error": ["#product-error"],
    },
    "cart": {
        "cart_line": ["tr.cart-line"],
        "cart_empty": ["#cart-empty"],
        "clear_cart": ["#clear-cart-button"],
        "checkout": ["#checkout-button"],
    },
    "address": {
        "address_form": ["#address-form"],
        "address_rejected": ["#address-rejected"],
        "address_name": ["#ship-full-name"],
        "address_line1": ["#ship-address1"],
        "address_line2": ["#ship-address2"],
        "address_city": ["#ship-city"],
        "address_state": ["#ship-state"],
        "address_postal_code": ["#ship-postal-code"],
        "address_phone": ["#ship-phone"],
        "country": ["#ship-country"],
        "address_continue": ["#address-continue"],
    },
    "payment": {
        "payment_form": ["#payment-form"],
        "payment_error": ["#payment-error"],
        "pay_card": ["#pay-method-card"],
        "pay_gift": ["#pay-method-gift"],
        "gift_balance": ["#payment-gift-balance[data-amount]"],
        "card_holder": ["#card-holder"],
        "card_number": ["#card-number"],
        "card_expiry": ["#card-expiry"],
        "card_cvc": ["#card-cvc"],
        "payment_continue": ["#payment-continue"],
    },
    "upsell": {
        "upsell_page": ["#upsell-page"],
        "upsell_decline": ["#upsell-decline"],
    },
    "review": {
        "review_line": ["tr.review-line"],
        "review_quantity": ["#review-item-0-quantity"],
        "review_item": ["#review-subtotal"],
        "review_shipping": ["#review-shipping"],
        "review_tax": ["#review-tax"],
        "review_total": ["#review-total"],
        "order_note": ["#order-note"],
        "place_order": ["#place-order-button"],
        "review_error": ["#review-error"],
        "note_error": ["#order-note-error"],
    },
    "confirmation": {
        "confirmation_number": ["#confirmation-number"],
        "confirmation_total": ["#confirmation-total"],
        "placed_line": ["#confirmation-items tr.order-item[data-variant-id]"],
        "placed_quantity": [".item-quantity"],
        "placed_ship_name": ["#confirmation-ship-name"],
        "placed_ship_postal": ["#confirmation-ship-postal-code"],
    },
    "order_detail": {
        "detail_number": ["#order-number"],
        "detail_status": ["#order-status[data-status]"],
        "detail_total": ["#order-total"],
        "detail_carrier": ["#order-carrier"],
        "detail_tracking": ["#order-tracking-number"],
        "detail_packages": ["#order-packages"],  # a split shipment: one row per package
        "detail_package": ["tr.order-package[data-tracking-number]"],
        "detail_line": ["#order-items tr.order-item[data-variant-id]"],
        "detail_variant": [".item-variant"],
        "detail_ship_name": ["#order-ship-name"],
        "detail_ship_postal": ["#order-ship-postal-code"],
    },
}
DEFAULT = Selectors(SELECTORS)


class DemoShopAdapter(base.SupplierAdapter):
    key = "demo_shop"
    display_name = "Demo Shop"
    default_base_url = "http://127.0.0.1:8802"
    SELECTORS = SELECTORS

    @classmethod
    def product_ref(cls, text: str, base_url: str) -> str | None:
        """A bare product slug: the shop's products live at /products/<slug> (a pasted URL is
        checked as given)."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,99}", text or ""):
            return None
        return f"{base_url.rstrip('/')}/products/{text}"

    # --- sign-in ---------------------------------------------------------------------------------
    def login(self, page, credentials) -> None:
        """Reuse the saved session or sign in, ending on the order history; raise LoginFailedError,
        BlockedError (2FA, captcha) or PageChangedError."""
        s = self.s
        page.goto(self.base_url + ORDERS_PATH)
        state = which(
            page,
            {"in": s.order_list, "form": s.login_form, "otp": s.otp_form, "captcha": s.captcha},
        )
        if state == "form":
            act(page, s.login_email, "fill", credentials.email)
            act(page, s.login_password, "fill", credentials.password)
            submit(page, s.login_submit)
            state = which(
                page,
                {
                    "in": s.order_list,
                    "error": s.login_error,
                    "otp": s.otp_form,
                    "captcha": s.captcha,
                },
            )
        if state == "error":
            raise base.LoginFailedError(
                f"Demo Shop refused the sign-in: {text_of(page, s.login_error)}"
            )
        code = credentials.one_time_code() if state == "otp" else None
        if code:  # the bot has the account's authenticator key: no person needed
            self.enter_code(page, code)
            state = which(page, {"in": s.order_list, "otp": s.otp_form, "captcha": s.captcha})
            if state == "otp":
                raise base.LoginFailedError(
                    "Demo Shop refused the authenticator code: check the bot's authenticator key"
                )
        if state == "otp":
            raise base.BlockedError(
                "Demo Shop asks for a one-time code sent to the account's e-mail",
                challenge="code",
            )
        if state == "captcha":
            raise base.BlockedError(
                'Demo Shop shows a "slide to verify" puzzle (bot challenge)', challenge="slider"
            )

    @property
    def CHALLENGE_SELECTORS(self):  # noqa: N802 - the base's class attribute, from the selectors
        return {"code": self.s.otp_form, "slider": self.s.captcha}

    def enter_code(self, page, code: str) -> None:
        s = self.s
        act(page, s.otp_code, "fill", code)
        submit(page, s.otp_submit)

    # --- the checkout steps (the skeleton in base.SupplierAdapter.place_order runs them) ---------
    def empty_cart(self, page) -> None:
        s = self.s
        if self._cart_may_hold_items(page):  # leftovers of an earlier, failed run
            page.goto(self.base_url + CART_PATH)
            if which(page, {"lines": s.cart_line, "empty": s.cart_empty}) == "lines":
                submit(page, s.clear_cart)
                need(page, s.cart_empty)

    def add_to_cart(self, page, request) -> str:
        return self._add_to_cart(page, request)

    def checkout(self, page, request, credentials) -> None:
        s = self.s
        self.seen_balance = None
        submit(page, s.checkout)
        self._checkout_steps(page, request, credentials)

    def read_review(self, page, request, item) -> base.ReviewTotals:
        lines, quantity, totals = _read_review(page, self.s)
        if lines != [item] or quantity != str(request.quantity):  # the cart is per account
            raise SupplierError(
                f"the review page lists {lines}, expected only {item} x {request.quantity}"
            )
        return dataclasses.replace(totals, balance=getattr(self, "seen_balance", None))

    def prepare_place(self, page, request) -> None:
        s = self.s
        if page.locator(
            s.order_note
        ).count():  # the shop may keep no note (then: found by contents)
            act(page, s.order_note, "fill", request.reference)

    def click_place_order(self, page) -> None:
        s = self.s
        submit(page, s.place_order)

    def _cart_may_hold_items(self, page) -> bool:
        """False only when the header of the page in hand (the order history, just loaded by
        ``login``) says the cart is empty; anything else (no counter, not a number) means look."""
        s = self.s
        counter = page.query_selector(s.cart_count)
        return counter is None or counter.inner_text().strip() != "0"

    def _add_to_cart(self, page, request) -> str:
        s = self.s
        page.goto(self.product_page(request.product_url))  # refuses a URL off the shop
        need(page, s.product_title)
        _choose_variant(page, request.variant, s)
        variant_id, stock = page.evaluate(
            "([v, s]) => [document.querySelector(v)?.value, "
            "document.querySelector(s)?.dataset.stock]",
            [s.variant_id, s.stock],
        )
        for selector, value in ((s.variant_id, variant_id), (s.stock, stock)):
            if value is None:
                raise base.missing_element(page, selector)
        if not stock.isdigit():
            raise PageChangedError(
                f"{s.stock} has no numeric data-stock after choosing {variant_id}"
            )
        if int(stock) < request.quantity:
            raise base.OutOfStockError(f"{variant_id}: {stock} in stock, {request.quantity} needed")
        act(page, s.quantity, "fill", str(request.quantity))
        submit(page, s.add_to_cart)
        if which(page, {"cart": s.cart_line, "error": s.product_error}) == "error":
            message = text_of(page, s.product_error)
            raise (
                base.OutOfStockError
                if re.search("stock|available", message, re.I)
                else SupplierError
            )(f"the shop refused to add {variant_id}: {message}")
        return variant_id

    def _checkout_steps(self, page, request, credentials) -> None:
        """Walk address -> payment -> (upsell) to the review page, retrying a flaky page a couple
        of times."""
        s = self.s
        retries: dict[str, int] = {}
        for _ in range(12):
            step = which(
                page,
                {
                    "review": s.place_order,
                    "address": s.address_form,
                    "payment": s.payment_form,
                    "upsell": s.upsell_page,
                    "flaky": s.flaky_page,
                    "error": s.error_page,
                },
            )
            if step == "review":
                return
            if step == "address":
                _fill_address(page, request.ship_to, s)
            elif step == "payment":
                self.seen_balance = _fill_payment(page, credentials, s)
            elif step == "upsell":
                submit(page, s.upsell_decline)
            elif step == "error":
                raise SupplierError(
                    f"the shop showed an error page at {page.url}: {text_of(page, s.error_page)}"
                )
            else:
                path = urlparse(page.url).path
                retries[path] = retries.get(path, 0) + 1
                if retries[path] > FLAKY_RETRIES:
                    raise base.SupplierUnavailableError(
                        f"the shop kept failing on {path}; nothing was ordered"
                    )
                href = (
                    page.get_attribute(s.retry_link, "href")
                    if page.locator(s.retry_link).count()
                    else None
                )
                page.goto(
                    urljoin(page.url, href or "/checkout")
                )  # always a GET: safe before placing
        raise SupplierError("the checkout did not reach the review page")

    def read_confirmation(self, page, request, item, totals) -> base.Confirmation:
        """Read what the click placed (read only: nothing here is retried)."""
        s = self.s
        outcome = which(
            page,
            {
                "placed": s.confirmation_number,
                "declined": s.payment_error,
                "refused": s.review_error,
                "note": s.note_error,
                "error": s.error_page,
            },
        )
        if outcome == "declined":
            raise base.PaymentDeclinedError(
                f"Demo Shop declined the payment: {text_of(page, s.payment_error)}"
            )
        if outcome in ("refused", "note"):
            message = text_of(page, s.review_error if outcome == "refused" else s.note_error)
            raise (base.OutOfStockError if "stock" in message.lower() else SupplierError)(
                f"not placed: {message}"
            )
        redirect = CONFIRMATION_URL.search(page.url)
        if outcome == "error" and redirect is None:
            raise SupplierError(
                f"the place-order click led to an error page ({text_of(page, s.error_page)})"
            )
        if outcome == "placed":
            number = act(page, s.confirmation_number, "get_attribute", "data-order-number")
            number, total = (
                number or text_of(page, s.confirmation_number),
                amount_of(page, s.confirmation_total),
            )
            placed = _read_placed(page, s.placed_line, s.placed_ship_name, s.placed_ship_postal, s)
        else:  # placed (the redirect names the order) but the confirmation failed: the order page
            number = redirect.group(1)
            page.goto(self.tracking_url(number))
            if which(page, {"detail": s.detail_number, "error": s.error_page}) != "detail":
                raise SupplierError(
                    f"order {number} was placed but neither its confirmation nor its order page "
                    "could be read"
                )
            total = amount_of(page, s.detail_total)
            placed = _read_placed(page, s.detail_line, s.detail_ship_name, s.detail_ship_postal, s)
        return base.Confirmation(number, total, *placed)

    # --- recovery and tracking -------------------------------------------------------------------
    def find_order(self, page, credentials, request, placed_after) -> base.FoundOrder | None:
        """The order ``request`` placed at or after ``placed_after``: same product and variant,
        quantity, ship-to name and postal code; where the order page keeps our note, it must be
        ours. AmbiguousMatchError when more than one fits."""
        s = self.s
        if not page.url.startswith(self.base_url + ORDERS_PATH):
            page.goto(self.base_url + ORDERS_PATH)
        need(page, s.order_list)
        rows = page.eval_on_selector_all(
            s.order_row,
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
            if order_matches(html, request, s):
                fits.append(base.FoundOrder(number, Decimal(amount) if amount else None))
        if len(fits) > 1:
            raise base.AmbiguousMatchError(
                "orders " + ", ".join(f.supplier_order_number for f in fits) + " all match"
            )
        return fits[0] if fits else None

    def tracking_url(self, supplier_order_number: str) -> str:
        return f"{self.base_url}{ORDERS_PATH}/{supplier_order_number}"

    def parse_tracking(self, html: str) -> base.TrackingInfo:
        """Read status, carrier and tracking number from an order page; PageChangedError if they
        are absent."""
        s = self.s
        soup = BeautifulSoup(
            html, "lxml", parse_only=tracking_strainer(s)
        )  # builds only those elements: ≈ 3x faster
        status = (soup.select_one(s.detail_status) or {}).get("data-status", "").strip().lower()
        if status in ("processing", "cancelled"):
            return base.TrackingInfo(status)
        packages = tuple(
            base.Package(
                row["data-tracking-number"].strip(),
                (row.get("data-carrier") or "").strip() or None,
                (row.get("data-status") or "shipped").strip().lower(),
                tuple((row.get("data-variant-ids") or "").split()),
                _units(row.get("data-quantities")),
            )
            for row in soup.select(f"{s.detail_packages} {s.detail_package}")
            if row.get("data-tracking-number", "").strip()
        )
        number, carrier = (
            " ".join(el.get_text().split()) if el else None
            for el in (soup.select_one(s.detail_tracking), soup.select_one(s.detail_carrier))
        )
        if packages and not number:
            number, carrier = packages[0].tracking_number, packages[0].carrier
        if status not in base.SHIPPED_STATUSES or not number:
            raise PageChangedError(
                f"no {s.detail_status} or {s.detail_tracking} on the order page (status {status!r})"
            )
        return base.TrackingInfo(status, carrier, number, packages)


def _units(quantities: str | None) -> int | None:
    """Units in a package from its per-item quantities ("1 2"); None when the page lists none."""
    counts = [int(q) for q in (quantities or "").split() if q.isdigit()]
    return sum(counts) if counts else None


def amounts_of(s) -> dict[str, str]:
    return {k: getattr(s, f"review_{k}") for k in AMOUNT_PARTS}


PLAIN_ID = re.compile(r"^#([A-Za-z][\w-]*)(\[[^\]]*\])?$")


def tracking_strainer(s) -> SoupStrainer | None:
    """Build only the elements the tracking read needs (≈ 3x faster) — derived from the selectors
    in use, override included; when one is not a plain ``#id`` the whole page is parsed."""
    ids = set()
    for name in ("detail_status", "detail_carrier", "detail_tracking", "detail_packages"):
        for selector in s.each(name):
            match = PLAIN_ID.match(selector)
            if match is None:
                return None
            ids.add(match.group(1))
    return SoupStrainer(id=ids)


def _when(iso: str) -> datetime:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def order_matches(html: str, request, s=DEFAULT) -> bool:
    """Whether an order page shows exactly ``request``: its product (slug) and variant, the
    quantity, the ship-to name and postal code, and our reference if the page keeps a note."""
    soup = BeautifulSoup(html, "lxml")
    lines = soup.select(s.detail_line)
    name, postal = soup.select_one(s.detail_ship_name), soup.select_one(s.detail_ship_postal)
    if not lines or name is None or postal is None:
        raise PageChangedError(f"an order page lacks {s.detail_line} or the ship-to")
    note = soup.select_one(s.order_note)
    if note is not None and note.get_text(strip=True) not in ("", request.reference):
        return False  # the shop keeps notes and this one is another order's
    slug = urlparse(request.product_url).path.rstrip("/").rsplit("/", 1)[-1]
    wanted = _variant_key(request.variant)
    if len(lines) != 1:
        return False
    line = lines[0]
    variant, quantity = line.select_one(s.detail_variant), line.select_one(s.placed_quantity)
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


def _choose_variant(page, label: str | None, s=DEFAULT) -> None:
    """Click the option buttons that make up ``label`` (e.g. "Black / L"); PageChangedError if
    impossible."""
    groups: dict[str, list[str]] = {}
    buttons = page.eval_on_selector_all(
        s.option_button, "bs => bs.map(b => [b.dataset.option, b.dataset.value])"
    )
    for option, value in buttons:
        groups.setdefault(option, []).append(value)
    if not groups and label and _norm(label) not in ("standard", "default"):
        raise PageChangedError(
            f"the product has no options, but the listing asks for variant {label!r}"
        )
    if not groups or (not label and act(page, s.variant_id, "input_value")):
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
            f"{s.option_button}[data-option={json.dumps(option)}][data-value={json.dumps(value)}]",
            "click",
        )
    if not act(page, s.variant_id, "input_value"):
        raise PageChangedError(
            f"choosing {label!r} selected no variant ({s.variant_id} stayed empty)"
        )


PLACED_JS = """s => [
  Array.from(document.querySelectorAll(s.line)).map(r => [
    r.dataset.variantId, (r.querySelector(s.quantity)?.innerText || "").trim()]),
  document.querySelector(s.name)?.innerText ?? null,
  document.querySelector(s.postal)?.innerText ?? null,
]"""


def _read_placed(page, line, name, postal, s=DEFAULT) -> tuple[list, str, str]:
    """What the page says was placed: [(variant id, quantity)], ship-to name and postal code."""
    lines, ship_name, ship_postal = page.evaluate(
        PLACED_JS, {"line": line, "quantity": s.placed_quantity, "name": name, "postal": postal}
    )
    for selector, value in ((name, ship_name), (postal, ship_postal)):
        if value is None:
            raise base.missing_element(page, selector)
    if not lines:
        raise base.missing_element(page, line)
    if not all(quantity.isdigit() for _, quantity in lines):
        raise PageChangedError(f"{line} {s.placed_quantity} is not a number: {lines}")
    return lines, ship_name, ship_postal


REVIEW_JS = """s => {
  const q = sel => document.querySelector(sel);
  return [Array.from(document.querySelectorAll(s.line)).map(r => r.dataset.variantId),
          q(s.quantity) ? q(s.quantity).innerText : null,
          Object.fromEntries(Object.entries(s.amounts).map(([k, sel]) => \
[k, q(sel)?.getAttribute("data-amount")]))];
}"""


def _read_review(page, s=DEFAULT) -> tuple[list[str], str, base.ReviewTotals]:
    """The review page's lines (variant ids), quantity and amounts, read in one round trip."""
    lines, quantity, amounts = page.evaluate(
        REVIEW_JS, {"line": s.review_line, "quantity": s.review_quantity, "amounts": amounts_of(s)}
    )
    if quantity is None:
        raise base.missing_element(page, s.review_quantity)
    totals = base.ReviewTotals(
        **{k: to_amount(amounts.get(k), sel) for k, sel in amounts_of(s).items()}
    )
    return lines, " ".join(quantity.split()), totals


def _fill_address(page, address, s=DEFAULT) -> None:
    if page.locator(f"{s.address_rejected}, {s.form_errors}").count():
        shown = page.locator(f"{s.address_rejected}, {s.field_errors}").all_inner_texts()
        raise base.AddressRejectedError(
            "Demo Shop rejected the ship-to address: " + " ".join(shown)
        )
    for field, selector in ((f, getattr(s, f"address_{f}")) for f in ADDRESS_PARTS):
        act(page, selector, "fill", getattr(address, field) or "")
    options = page.eval_on_selector_all(
        f"{s.country} option", "os => os.map(o => [o.value, o.textContent])"
    )
    value = next(
        (v for v, text in options if _norm(address.country) in (_norm(v), _norm(text))), None
    )
    if value is None:
        raise base.AddressRejectedError(
            f"Demo Shop does not ship to {address.country!r} ({[v for v, _ in options]})"
        )
    act(page, s.country, "select_option", value)
    submit(page, s.address_continue)


def _fill_payment(page, credentials, s=DEFAULT) -> Decimal | None:
    """Choose the payment and continue; return the gift-card balance the page shows (gift-card
    bots), or None. A refused gift-card payment is GiftCardBalanceLowError (nothing placed)."""
    balance = None
    if credentials.payment_method == "gift_card" and page.locator(s.gift_balance).count():
        balance = to_amount(page.get_attribute(s.gift_balance, "data-amount"), s.gift_balance)
    if page.locator(f"{s.payment_error}, {s.form_errors}").count():
        shown = page.locator(f"{s.payment_error}, {s.field_errors}").all_inner_texts()
        if credentials.payment_method == "gift_card":
            raise base.GiftCardBalanceLowError(
                "Demo Shop refused the gift-card payment: " + " ".join(shown), balance=balance
            )
        raise base.PaymentDeclinedError("Demo Shop refused the payment: " + " ".join(shown))
    if credentials.payment_method not in ("card", "gift_card"):
        raise SupplierError(f"Demo Shop has no payment method {credentials.payment_method!r}")
    act(page, s.pay_gift if credentials.payment_method == "gift_card" else s.pay_card, "check")
    for field, selector in (
        ((f, getattr(s, f)) for f in CARD_PARTS) if credentials.payment_method == "card" else ()
    ):
        value = (
            getattr(credentials, field) or ""
        )  # the expiry field wants MM/YY: a stored MM/YYYY is shortened
        if field == "card_expiry":
            value = re.sub(
                r"^\s*(\d\d?)\s*/\s*(?:\d\d)?(\d\d)\s*$", lambda m: f"{int(m[1]):02d}/{m[2]}", value
            )
        act(page, selector, "fill", value)
    submit(page, s.payment_continue)
    return balance
