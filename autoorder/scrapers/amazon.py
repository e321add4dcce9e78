"""Amazon (amazon.com): sign-in with its state detector (TOTP for two-step verification), the
product by ASIN, add-on offers declined, address (with Amazon's suggestion dialog), card or the
account's gift-card balance, gift option, review totals, one click, order number, tracking per
shipment from the ship-track pages, and recovery by order-history match.

The selectors are in amazon_selectors.py, each group marked [real] (checked against a real saved
page: the golden tests prove it) or [code] (public code and docs only; the replica follows them).
"""

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urljoin

from autoorder.scrapers import amazon_pages as pages
from autoorder.scrapers import base
from autoorder.scrapers.amazon_selectors import SELECTORS
from autoorder.scrapers.base import PageChangedError, SupplierError, act, need, submit, which

HISTORY_PATH = "/your-orders/orders"
DETAILS_PATH = "/gp/your-account/order-details?orderID="
CART_PATH = "/gp/cart/view.html"
SIGNIN_PATH = "/ap/signin"
FIND_CLOCK_SLACK = timedelta(days=1)  # the history shows dates only (Pacific time)
CHECKOUT_STEPS = 10

AUTH_NAMES = [name for _state, name in pages.AUTH_STATES]


class AmazonAdapter(base.SupplierAdapter):
    key = "amazon"
    display_name = "Amazon"
    default_base_url = "https://www.amazon.com"
    hosts = ("amazon.com", "www.amazon.com", "smile.amazon.com")
    SELECTORS = SELECTORS
    tracking_in_browser = False  # order-details and ship-track pages read by HTTP with cookies

    def __init__(self, base_url, selector_override=None):
        super().__init__(base_url, selector_override)
        self.login_notes: dict = {}  # what the last sign-in did (the login test shows it)
        self.gift_card_balance: Decimal | None = None  # read on the payment page, if shown

    @classmethod
    def product_ref(cls, text, base_url):
        """``{base_url}/dp/<ASIN>`` for a product URL of any Amazon site or a bare ASIN/ISBN-10;
        ValueError (with what to paste instead) for an amzn.to / a.co short link."""
        try:
            asin = pages.asin_of(text)
        except pages.ShortLinkError as exc:
            raise ValueError(str(exc)) from None
        return f"{base_url.rstrip('/')}/dp/{asin}" if asin else None

    # --- the person's hand-off (autoorder.handoff): what shows a challenge, where a code goes ---
    @property
    def CHALLENGE_SELECTORS(self):  # noqa: N802 - the base's class attribute, from the selectors
        s = self.s
        codes = ", ".join((s.auth_email_code, s.auth_code_entry, s.auth_device_choice))
        return {"captcha": s.auth_captcha, "bot_check": s.auth_bot_check, "code": codes}

    def enter_code(self, page, code: str) -> None:
        """A code a person read (texted, e-mailed): the two-step form (auth-mfa-form) or the
        e-mailed-code form (verification-code-form, whose hidden otpCode a script fills)."""
        s = self.s
        if page.locator(s.auth_code_entry).count():
            act(page, s.otp_code, "fill", code)
            submit(page, s.otp_submit)
            return
        act(page, s.email_code_input, "fill", code)
        page.evaluate(
            "code => { const f = document.querySelector('form#verification-code-form "
            "input[name=otpCode]'); if (f) f.value = code; }",
            code,
        )
        submit(page, s.email_code_submit)

    # --- sign-in ---------------------------------------------------------------------------------
    def login(self, page, credentials) -> None:
        """Reuse the saved session or sign in (e-mail, password, intent, TOTP code), ending on the
        order history; LoginFailedError, BlockedError(challenge) or PageChangedError."""
        s, typed_code = self.s, False
        self.login_notes = {}
        page.goto(self.base_url + HISTORY_PATH)
        for _ in range(8):
            state = pages.AUTH_STATES[AUTH_NAMES.index(self._auth_state(page))][0]
            if state == "signed_in":
                if typed_code:
                    self.login_notes["totp"] = "accepted"
                return
            if state == "email":
                act(page, s.login_email, "fill", credentials.email)
                if page.locator(s.login_password).count():  # one form with both fields
                    act(page, s.login_password, "fill", credentials.password)
                submit(page, s.login_continue)
            elif state == "password":
                act(page, s.login_password, "fill", credentials.password)
                submit(page, s.login_submit)
            elif state == "intent":
                submit(page, s.intent_continue)
            elif state == "code_entry" and credentials.totp_secret and not typed_code:
                act(page, s.otp_code, "fill", credentials.one_time_code())
                if page.locator(s.otp_remember).count():
                    act(page, s.otp_remember, "check")
                typed_code = True
                submit(page, s.otp_submit)
            elif (
                state == "device_choice"
                and credentials.totp_secret
                and page.locator(s.otp_device_totp).count()
            ):
                act(page, s.otp_device_totp, "check")
                submit(page, s.otp_device_send)
            elif state in ("signed_out", "mobile_home"):
                page.goto(self.base_url + SIGNIN_PATH)
            else:
                self._refuse(page, state, typed_code)
        raise PageChangedError(f"the Amazon sign-in did not end on the order history ({page.url})")

    def _auth_state(self, page) -> str:
        return which(page, {name: getattr(self.s, name) for name in AUTH_NAMES})

    def _refuse(self, page, state, typed_code):
        error = page.locator(self.s.auth_error)
        message = " ".join(error.first.inner_text().split()) if error.count() else ""
        if state == "login_error":
            raise base.LoginFailedError(f"Amazon refused the sign-in: {message}")
        if state == "wrong_code" and typed_code:
            self.login_notes["totp"] = "refused"
            raise base.LoginFailedError(
                "Amazon did not accept the authenticator code: check the bot's authenticator key "
                "and the server clock"
            )
        kinds = {
            "bot_check": ("bot_check", "Amazon shows its browser check (AWS WAF / JavaScript)"),
            "captcha": ("captcha", "Amazon shows a captcha"),
            "email_code": ("code", "Amazon sent a one-time code by e-mail or SMS"),
            "code_entry": ("code", "Amazon asks for a two-step code and the bot has no key"),
            "wrong_code": ("code", "Amazon asks for a two-step code again"),
            "device_choice": ("code", "Amazon wants to text or call a one-time code"),
            "otp_limit": ("blocked", f"Amazon refuses to send more codes: {message}"),
        }
        kind, words = kinds.get(state, ("blocked", f"Amazon shows an unknown page ({state})"))
        if state == "unknown":
            raise PageChangedError(f"unknown Amazon sign-in page at {page.url}")
        raise base.BlockedError(f"{words}; a person must sign in once", challenge=kind)

    # --- the checkout steps (the skeleton in base.SupplierAdapter.place_order runs them) ---------
    def empty_cart(self, page) -> None:
        s = self.s
        if (self._text_if_present(page, s.cart_count) or "").strip() == "0":
            return  # the header of the page in hand (the order history) says the cart is empty
        page.goto(self.base_url + CART_PATH)
        for _ in range(30):
            if which(page, {"item": s.cart_item, "empty": s.cart_empty}) == "empty":
                return
            submit(page, f"{s.cart_item} >> nth=0 >> {s.cart_delete}")
        raise SupplierError("the Amazon cart could not be emptied")

    def add_to_cart(self, page, request) -> str:
        s = self.s
        page.goto(self.product_page(request.product_url))  # (waits for the page's load event)
        read = """s => [!!document.querySelector(s.title),
                        document.querySelector(s.asin)?.value ?? null,
                        document.querySelector(s.stock)?.innerText ?? null,
                        Array.from(document.querySelectorAll(s.options)).map(o => o.value)]"""
        args = {
            "title": s.product_title,
            "asin": s.product_asin,
            "stock": s.availability,
            "options": f"{s.quantity} option",
        }
        titled, asin, stock, options = page.evaluate(read, args)  # one round trip
        if not titled:  # not there yet (or not a product page): wait for it, then read again
            need(page, s.product_title)
            titled, asin, stock, options = page.evaluate(read, args)
        for selector, value in ((s.product_asin, asin), (s.availability, stock)):
            if value is None:
                raise base.missing_element(page, selector)
        stock = " ".join(stock.split())
        if re.search(r"unavailable|out of stock|not available", stock, re.I):
            raise base.OutOfStockError(f"Amazon: {asin} is {stock.lower()}")
        if str(request.quantity) not in options:
            raise base.OutOfStockError(
                f"Amazon sells at most {max(map(int, options or [0]))} of {asin}; "
                f"{request.quantity} needed"
            )
        act(page, s.quantity, "select_option", str(request.quantity))
        submit(page, s.add_to_cart)
        for _ in range(3):
            state = which(
                page,
                {"added": s.added, "addon": s.addon_decline, "error": s.product_error},
            )
            if state == "added":
                return asin
            if state == "error":
                message = " ".join(act(page, s.product_error, "inner_text").split())
                raise base.OutOfStockError(f"Amazon did not add {asin}: {message}")
            submit(page, s.addon_decline)  # a protection plan / add-on offer: "No thanks"
        raise PageChangedError("adding to the Amazon cart did not end on the added page")

    def checkout(self, page, request, credentials) -> None:
        s = self.s
        self._paying_by_gift_card = credentials.payment_method == "gift_card"
        page.goto(self.base_url + CART_PATH)
        submit(page, s.proceed)
        for _ in range(CHECKOUT_STEPS):
            step = which(
                page,
                {
                    "review": s.place_order,
                    "suggestion": s.suggestion,
                    "address_error": s.address_error,
                    "address": s.address_form,
                    "payment": s.payment_form,
                },
            )
            if step == "review":
                return
            if step == "address_error":
                error = self._text_if_present(page, s.address_error)
                raise base.AddressRejectedError(f"Amazon rejected the ship-to address: {error}")
            if step == "suggestion":  # Amazon suggests a corrected address: keep the original
                act(page, s.suggestion_original, "check")
                submit(page, s.suggestion_submit)
            elif step == "address":
                self._address(page, request.ship_to)
            else:
                self._payment(page, credentials)
        raise SupplierError("the Amazon checkout did not reach the review page")

    def _address(self, page, address) -> None:
        s = self.s
        for part in ("name", "line1", "line2", "city", "state", "postal_code", "phone"):
            act(page, getattr(s, f"address_{part}"), "fill", getattr(address, part) or "")
        country = (address.country or "US").upper()
        try:
            act(page, s.address_country, "select_option", country, timeout=2_000)
        except PageChangedError:
            raise base.AddressRejectedError(f"Amazon does not ship to {country!r}") from None
        submit(page, s.address_submit)

    @staticmethod
    def _text_if_present(page, selector) -> str | None:
        text = page.evaluate("s => document.querySelector(s)?.innerText ?? null", selector)
        return " ".join(text.split()) if text is not None else None

    def _payment(self, page, credentials) -> None:
        s = self.s
        error, balance, has_gc, rows = page.evaluate(  # one round trip for the whole page
            """s => [document.querySelector(s.error)?.innerText ?? null,
                     document.querySelector(s.balance)?.dataset.amount ?? null,
                     !!document.querySelector(s.use),
                     Array.from(document.querySelectorAll(s.rows))"""
            '.map(r => r.dataset.last4 || "")]',
            {
                "error": s.payment_error,
                "balance": s.gc_balance,
                "use": s.gc_use,
                "rows": s.card_row,
            },
        )
        if error is not None:
            message = " ".join(error.split())
            raise base.PaymentDeclinedError(f"Amazon refused the payment: {message}")
        if balance is not None:
            self.gift_card_balance = Decimal(balance)
        if credentials.payment_method == "gift_card":
            if not has_gc or not self.gift_card_balance:
                raise base.GiftCardBalanceLowError(
                    "the Amazon account has no gift-card balance; nothing was placed",
                    balance=self.gift_card_balance or Decimal("0"),
                )
            act(page, s.gc_use, "check")
        else:
            if has_gc:
                act(page, s.gc_use, "uncheck")
            self._card(page, credentials, rows)
        submit(page, s.payment_continue)

    def _card(self, page, credentials, rows) -> None:
        """The saved card ending in the bot's last four digits, or the bot's card added."""
        s = self.s
        last4 = re.sub(r"\D", "", credentials.card_number or "")[-4:]
        if last4 and last4 in rows:
            page.locator(s.card_row).nth(rows.index(last4)).check()
            return
        month, _, year = (credentials.card_expiry or "").partition("/")
        year = year.strip()
        act(page, s.card_holder, "fill", credentials.card_holder or "")
        act(page, s.card_number, "fill", credentials.card_number or "")
        act(page, s.card_month, "select_option", str(int(month or 0)))
        act(page, s.card_year, "select_option", year if len(year) == 4 else f"20{year}")
        act(page, s.card_cvc, "fill", credentials.card_cvc or "")

    def read_review(self, page, request, item) -> base.ReviewTotals:
        s = self.s
        lines, rows = page.evaluate(
            """s => [Array.from(document.querySelectorAll(s.item)).map(e => [e.dataset.asin,
                       e.querySelector(s.quantity)?.dataset.quantity]),
                     Array.from(document.querySelectorAll(s.row)).map(r => r.innerText)]""",
            {"item": s.review_item, "quantity": s.review_quantity, "row": s.review_row},
        )
        if lines != [[item, str(request.quantity)]]:
            raise SupplierError(
                f"the Amazon review lists {lines}, expected only {item} x {request.quantity}"
            )
        totals = review_totals(rows)
        if self._paying_by_gift_card and self.gift_card_balance is not None:
            if totals.total > 0:  # the balance did not cover it: Amazon would charge the rest
                raise base.GiftCardBalanceLowError(
                    f"the gift-card balance ${self.gift_card_balance} does not cover the order "
                    f"(${totals.total} left to pay); nothing was placed",
                    balance=self.gift_card_balance,
                )
        return totals

    _paying_by_gift_card = False

    def prepare_place(self, page, request) -> None:
        s = self.s
        if request.gift:
            act(page, s.gift_option, "check")
            if page.locator(s.gift_receipt).count():
                act(page, s.gift_receipt, "check")

    def click_place_order(self, page) -> None:
        submit(page, self.s.place_order)  # once; never retried

    def read_confirmation(self, page, request, item, totals) -> base.Confirmation:
        """The thank-you page's order number(s), then that order's details page (read only) for
        what was placed."""
        s = self.s
        outcome = which(
            page,
            {
                "placed": s.placed,
                "declined": s.payment_error,
                "refused": s.review_error,
                "review": s.place_order,
            },
        )
        if outcome == "declined":
            message = " ".join(page.locator(s.payment_error).first.inner_text().split())
            raise base.PaymentDeclinedError(f"Amazon declined the payment: {message}")
        if outcome in ("refused", "review"):
            message = (
                " ".join(page.locator(s.review_error).first.inner_text().split())
                if page.locator(s.review_error).count()
                else "the review page came back"
            )
            lowered = message.lower()
            cls = (
                base.OutOfStockError
                if "stock" in lowered or "no longer available" in lowered
                else base.PaymentDeclinedError
                if "payment" in lowered or "gift card balance" in lowered
                else SupplierError
            )
            raise cls(f"Amazon did not place the order: {message}")
        numbers = [n.strip() for n in page.locator(s.placed_number).all_inner_texts() if n.strip()]
        if not numbers:
            raise PageChangedError("the Amazon thank-you page shows no order number")
        html = page.request.get(self.tracking_url(numbers[0]), timeout=base.SUBMIT_WAIT_MS).text()
        placed = pages.read_order_details(html, s)
        lines = [(asin, qty) for asin, qty in placed.quantities]
        total = placed.total if placed.total is not None else totals.total
        postal = placed.ship_postal
        if postal and postal == (request.ship_to.postal_code or "").strip()[:5]:
            postal = request.ship_to.postal_code  # Amazon shows ZIP+4 as entered, or the ZIP
        return base.Confirmation(", ".join(numbers), total, lines, placed.ship_name, postal)

    # --- recovery and tracking -------------------------------------------------------------------
    def find_order(self, page, credentials, request, placed_after) -> base.FoundOrder | None:
        """The order in the history placed on or after ``placed_after``'s day with this ASIN, the
        quantity (its details page), ship-to name and ZIP. AmbiguousMatchError when several fit."""
        if not page.url.startswith(self.base_url + HISTORY_PATH):
            page.goto(self.base_url + HISTORY_PATH)
        need(page, self.s.order_history)
        asin = pages.asin_in_path(request.product_url)
        fits = []
        for order in pages.read_order_history(page.content(), self.s):
            if not history_candidate(order, request, asin, placed_after):
                continue
            html = page.request.get(self.tracking_url(order.number)).text()
            if details_match(pages.read_order_details(html, self.s), request, asin):
                fits.append(base.FoundOrder(order.number, order.total))
        if len(fits) > 1:
            raise base.AmbiguousMatchError(f"{len(fits)} Amazon orders match this sale")
        return fits[0] if fits else None

    def tracking_url(self, supplier_order_number: str) -> str:
        first = supplier_order_number.split(",")[0].strip()
        return f"{self.base_url}{DETAILS_PATH}{first}"

    def fetch_tracking_html(self, session, supplier_order_number: str) -> str:
        """The order-details page followed by each shipment's ship-track page (TRACK_MARKER
        between them): one document for the pure ``parse_tracking``."""
        response = session.get(self.tracking_url(supplier_order_number), timeout=20)
        if SIGNIN_PATH in response.url or response.status_code in (401, 403):
            raise base.LoginFailedError("the saved Amazon session has expired")
        response.raise_for_status()
        parts = [response.text]
        for shipment in pages.read_order_details(response.text, self.s).shipments:
            if shipment.track_url:
                track = session.get(urljoin(response.url, shipment.track_url), timeout=20)
                track.raise_for_status()
                parts.append(track.text)
        return pages.TRACK_MARKER.join(parts)

    def fetch_tracking_html_in_browser(self, page, supplier_order_number: str) -> str:
        """The same document as ``fetch_tracking_html``, read in the signed-in browser (for when
        Amazon answers plain HTTP with its bot check: set ``tracking_in_browser``)."""
        page.goto(self.tracking_url(supplier_order_number))
        need(page, self.s.order_details)
        parts = [page.content()]
        for shipment in pages.read_order_details(parts[0], self.s).shipments:
            if shipment.track_url:
                page.goto(urljoin(page.url, shipment.track_url))
                parts.append(page.content())
        return pages.TRACK_MARKER.join(parts)

    def parse_tracking(self, html: str) -> base.TrackingInfo:
        """Status per shipment from the details page, carrier and tracking id from each shipment's
        ship-track page (those fetched with it)."""
        details, *tracks = html.split(pages.TRACK_MARKER)
        order = pages.read_order_details(details, self.s)
        if order.status in ("cancelled", "processing"):
            return base.TrackingInfo(order.status)
        packages, tracked = [], iter(tracks)
        for shipment in order.shipments:
            if not shipment.track_url:
                continue
            part = next(tracked, None)
            if part is None:
                continue
            carrier, number, status = pages.read_ship_track(part, self.s)
            if number:
                state = shipment.status if shipment.status != "unknown" else status
                if state not in base.SHIPPED_STATUSES:
                    state = "shipped"
                packages.append(base.Package(number, carrier, state, shipment.asins))
        status = order.status if order.status in base.SHIPPED_STATUSES else "shipped"
        if not packages:
            return base.TrackingInfo(status if order.status != "unknown" else "processing")
        first = packages[0]
        return base.TrackingInfo(status, first.carrier, first.tracking_number, tuple(packages))


def review_totals(rows: list[str]) -> base.ReviewTotals:
    """Items, shipping, tax and order total from the review page's subtotal rows (label: amount)."""
    found = {}
    for row in rows:
        label = row.casefold()
        amount = pages.money(row)
        if amount is None:
            continue
        for key, words in (
            ("total", ("order total",)),
            ("tax", ("estimated tax", "tax to be collected")),
            ("shipping", ("shipping",)),
            ("item", ("items",)),
        ):
            if any(w in label for w in words) and key not in found:
                found[key] = amount
                break
    missing = [k for k in ("item", "shipping", "tax", "total") if k not in found]
    if missing:
        raise PageChangedError(f"the Amazon review page shows no {', '.join(missing)} row")
    return base.ReviewTotals(found["item"], found["shipping"], found["tax"], found["total"])


def _same(a, b) -> bool:
    return " ".join(str(a or "").split()).casefold() == " ".join(str(b or "").split()).casefold()


def history_candidate(order, request, asin, placed_after) -> bool:
    """An order-history entry that may be the one ``request`` placed: not cancelled, on or after
    the attempt's day, with the ASIN, the ship-to name and ZIP."""
    if order.status == "cancelled" or asin not in order.asins:
        return False
    if placed_after is not None and order.placed is not None:
        if order.placed < (placed_after - FIND_CLOCK_SLACK).date():
            return False
    zip5 = (request.ship_to.postal_code or "").strip()[:5]
    return _same(order.ship_name, request.ship_to.name) and (order.ship_postal or "") == zip5


def details_match(order, request, asin) -> bool:
    """The order's details page shows exactly ``asin`` x quantity to the same name and ZIP."""
    zip5 = (request.ship_to.postal_code or "").strip()[:5]
    return (
        list(order.quantities) == [(asin, request.quantity)]
        and _same(order.ship_name, request.ship_to.name)
        and (order.ship_postal or "") == zip5
    )
