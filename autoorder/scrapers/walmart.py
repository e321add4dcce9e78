"""Walmart (walmart.com): sign-in with its state detector (password, e-mailed code, the
"Robot or human?" press-and-hold page, a stale session's 403), the product by item id with its
variant (each variant is an item of its own) and quantity, the seller check ("Sold by: Walmart" in
the listing's variant text), address book or a new address, the delivery choice by the listing's
shipping rule, the saved card with its security code asked again (or a new card) or the account's
gift-card balance, review totals, one click, order number, tracking per shipment from the order
page's data, and recovery by order-history match.

No saved real Walmart page was found publicly: every selector below names the public code it was
taken from, or says "replica" where no public source named the element (then the local replica,
``sandbox/walmart``, defines it). They were checked only against the replica and the golden pages
of its order data (``tests/scrapers/fixtures/walmart/``). Fix a changed page with a selector
override (docs/adding-a-supplier.md); the pure readers live in ``walmart_pages``.
"""

import re
from datetime import timedelta
from decimal import Decimal

from autoorder.scrapers import aliexpress_pages, base, shipping
from autoorder.scrapers import walmart_pages as pages
from autoorder.scrapers.base import PageChangedError, SupplierError, act, need, submit, which

ORDERS_PATH, CART_PATH, LOGIN_PATH = "/orders", "/cart", "/account/login"
# The order JSON the order page loads (public order clients: eshaffer321/walmart-client-go
# client.go builds /orchestra/orders/graphql/getOrder/<hash>?variables={"orderId": …}).
GET_ORDER_PATH = "/orchestra/orders/graphql/getOrder/d0622497daef19150438d07c506739d4"
FIND_LIMIT = 20  # most recent orders searched
FIND_CLOCK_SLACK = timedelta(minutes=10)  # the worker's clock and Walmart's
STALE = (403, 412, 418)  # a stale or distrusted session (public notes: 403/418; orchestra 412)
CHECKOUT_STEPS = 8

SELECTORS = {
    # Every page: Next.js page data (the __NEXT_DATA__ script public scrapers read for product
    # and order data) and the header's cart count (replica).
    "every_page": {
        "next_data": ["script#__NEXT_DATA__"],
        "cart_count": ["[data-automation-id=cart-count]"],  # replica
    },
    # Sign-in /account/login: #loginId / #email and #password in #sign-in-form (public Playwright
    # and password-manager login flows); the code form and the error are the replica's. The
    # press-and-hold wall: div#px-captcha with its iframe (public PerimeterX solvers for walmart).
    "login": {
        "signed_in": ["[data-automation-id=purchase-history]"],  # replica
        "login_email": ["input#loginId", "input#email", "input[name=loginId]"],
        "login_password": ["#sign-in-form input#password", "input[type=password]"],
        "login_submit": ["#sign-in-form button[type=submit]"],
        "login_error": ["#sign-in-form ~ [role=alert]", "[data-automation-id=signin-error]"],
        "code_form": ["form#otp-form", "[data-automation-id=otp-form]"],  # replica
        "code_input": ["[data-automation-id=otp-input]", "input[autocomplete=one-time-code]"],
        "code_submit": ["[data-automation-id=otp-submit-btn]"],  # replica
        "press_hold": ["#px-captcha"],
        "access_denied": ["[data-automation-id=access-denied]"],  # replica (a 403 page)
    },
    # Product /ip/<slug>/<id>: h1#main-title / [itemprop=name], button[data-automation-id=atc]
    # (several public bots and extensions), select[aria-label=Quantity] (a public checkout
    # playbook); the error line is the replica's.
    "product": {
        "product_title": ["h1#main-title", "h1[itemprop=name]"],
        "quantity": ["select[aria-label=Quantity]", "select[aria-label*=Quantity]"],
        "add_to_cart": [
            "button[data-automation-id=atc]",
            "button[data-automation-id=add-to-cart-btn]",
        ],
        "product_error": ["[data-automation-id=atc-error]"],  # replica
    },
    # Cart /cart: [data-automation-id=cart-item] and the checkout button (public checkout
    # scripts); the remove button and the empty cart are the replica's.
    "cart": {
        "cart_line": ["[data-automation-id=cart-item]"],
        "cart_empty": ["[data-automation-id=empty-cart]"],  # replica
        "cart_remove": ["[data-automation-id=cart-item-remove]"],  # replica
        "cart_checkout": ["button[data-automation-id=checkout]"],
    },
    # Checkout /checkout: shipping-continue-btn, cc-number-input, cc-expiry-input, cc-cvv-input
    # and place-order-btn (public Walmart checkout bots); the rest is the replica's.
    "checkout": {
        "checkout_error": ["[data-automation-id=checkout-error]"],  # replica
        "address_step": ["[data-automation-id=address-step]"],  # replica
        "address_card": ["[data-automation-id=address-card]"],  # replica
        "address_card_name": ["[data-automation-id=address-card-name]"],  # replica
        "address_card_lines": ["[data-automation-id=address-card-lines]"],  # replica
        "address_book_continue": ["[data-automation-id=address-book-continue-btn]"],  # replica
        "address_form": ["form[data-automation-id=address-form]"],  # replica
        "address_submit": ["[data-automation-id=address-form-submit]"],  # replica
        "shipping_step": ["[data-automation-id=fulfillment-step]"],  # replica
        "shipping_option": ["[data-automation-id=fulfillment-option]"],  # replica
        "shipping_option_name": ["[data-automation-id=fulfillment-option-name]"],  # replica
        "shipping_option_price": ["[data-automation-id=fulfillment-option-price]"],  # replica
        "shipping_option_days": ["[data-automation-id=fulfillment-option-days]"],  # replica
        "shipping_continue": ["button[data-automation-id=shipping-continue-btn]"],
        "payment_form": ["[data-automation-id=payment-form]"],  # replica
        "saved_card": ["[data-automation-id=payment-card]"],  # replica
        "cvv_verify": ["[data-automation-id=cvv-verify-input]"],  # replica
        "card_name": ["[data-automation-id=cc-name-input]"],  # replica
        "card_number": ["[data-automation-id=cc-number-input]"],
        "card_expiry": ["[data-automation-id=cc-expiry-input]"],
        "card_cvc": ["[data-automation-id=cc-cvv-input]"],
        "gift_card_balance": ["[data-automation-id=gift-card-balance]"],  # replica
        "gift_card_apply": ["[data-automation-id=apply-gift-card]"],  # replica
        "payment_continue": ["[data-automation-id=payment-continue-btn]"],  # replica
        "review_item": ["[data-automation-id=review-item]"],  # replica
        "review_name": ["[data-automation-id=review-address-name]"],  # replica
        "review_zip": ["[data-automation-id=review-address-zip]"],  # replica
        "summary_subtotal": ["[data-automation-id=order-summary-subtotal]"],  # replica
        "summary_shipping": ["[data-automation-id=order-summary-shipping]"],  # replica
        "summary_tax": ["[data-automation-id=order-summary-tax]"],  # replica
        "summary_remaining": ["[data-automation-id=order-summary-remaining]"],  # replica
        "summary_total": ["[data-automation-id=order-summary-total]"],  # replica
        "place_order": ["button[data-automation-id=place-order-btn]"],
    },
    # Thank-you: [data-automation-id=order-confirmation-number] (a public checkout adapter);
    # the details link is the replica's.
    "confirmation": {
        "order_number": ["[data-automation-id=order-confirmation-number]"],
        "order_link": ["a[data-automation-id=view-order-details]"],  # replica
    },
}


STEPS = ("review", "address", "shipping", "payment")
# The checkout page in one round trip: which step it shows, its error, and what that step offers
# (address book entries, delivery options, gift-card balance, saved cards' last four digits).
CHECKOUT_JS = """s => {
  const one = sel => document.querySelector(sel), \
all = sel => Array.from(document.querySelectorAll(sel));
  const text = (el, sel) => el.querySelector(sel)?.innerText ?? "";
  const step = ["review", "address", "shipping", "payment"].find(k => one(s[k])) ?? null;
  return {
    step, error: one(s.error)?.innerText ?? null,
    cards: all(s.card).map(c => [text(c, s.card_name), text(c, s.card_lines)]),
    options: all(s.option).map(o => [text(o, s.option_name), text(o, s.option_price),
                                      text(o, s.option_days)]),
    balance: one(s.balance)?.dataset.amount ?? null,
    saved: all(s.saved).map(c => c.dataset.last4 || ""),
  };
}"""
# The product's page data (__NEXT_DATA__ props.pageProps.initialData.data.product), or null.
PRODUCT_JS = """selectors => {
  for (const sel of selectors) {
    const el = document.querySelector(sel);
    if (!el) continue;
    try { return JSON.parse(el.textContent).props.pageProps.initialData.data.product ?? null; }
    catch (e) { return null; }
  }
  return null;
}"""


class SellerNotAllowedError(SupplierError):
    """The listing asks for an item sold by Walmart (``Sold by: Walmart``) and a marketplace
    seller sells it now: nothing was added; a person decides (another source, or drop the rule)."""

    code = "seller_not_allowed"
    may_have_bought = False


class WalmartAdapter(base.SupplierAdapter):
    key = "walmart"
    display_name = "Walmart"
    default_base_url = "https://www.walmart.com"
    hosts = ("walmart.com", "www.walmart.com")
    SELECTORS = SELECTORS
    # The order page is read in the signed-in browser: Walmart's bot wall (PerimeterX) answers
    # plain HTTP clients 412/403 (public notes on its orchestra endpoints).
    tracking_in_browser = True

    def __init__(self, base_url, selector_override=None):
        super().__init__(base_url, selector_override)
        self.login_notes: dict = {}
        self.gift_card_balance: Decimal | None = None
        self._paying_by_gift_card = False

    @classmethod
    def product_ref(cls, text, base_url):
        """``{base_url}/ip/<item id>`` for a pasted walmart.com product URL or a bare item id;
        ValueError for a short link; None for anything else."""
        raw = (text or "").strip()
        if "://" in raw:
            from urllib.parse import urlsplit

            host = (urlsplit(raw).hostname or "").lower()
            base_host = (urlsplit(base_url).hostname or "").lower()
            ours = any(host == h or host.endswith("." + h) for h in cls.hosts)
            if not ours and host != base_host and host not in pages.SHORT_HOSTS:
                return None
        try:
            item_id = pages.item_id_of(raw)
        except pages.ShortLinkError as exc:
            raise ValueError(str(exc)) from None
        if item_id is None and "://" in raw:  # a Walmart page, but no item (search, category)
            raise ValueError(
                "This is not a Walmart item page: paste the product's URL "
                "(https://www.walmart.com/ip/<name>/<item id>) or its item id."
            )
        return pages.item_url(base_url, item_id) if item_id else None

    # --- the person's hand-off (autoorder.handoff) ---------------------------------------------
    @property
    def CHALLENGE_SELECTORS(self):  # noqa: N802 - the base's class attribute, from the selectors
        return {"press_hold": self.s.press_hold, "code": self.s.code_form}

    def enter_code(self, page, code: str) -> None:
        """The code Walmart e-mailed, typed by a person into the sign-in's code form."""
        act(page, self.s.code_input, "fill", code)
        submit(page, self.s.code_submit)

    # --- sign-in ---------------------------------------------------------------------------------
    def login(self, page, credentials) -> None:
        """Reuse the saved session or sign in (e-mail, password), ending on the order history.
        A stale session (403) is dropped and signed in afresh once. LoginFailedError,
        BlockedError (press_hold, code, blocked) or PageChangedError."""
        s = self.s
        self.login_notes = {}
        response = page.goto(self.base_url + ORDERS_PATH)
        if response is not None and response.status in STALE:
            page.context.clear_cookies()  # Walmart's answer to old cookies: sign in again
            self.login_notes["session"] = "expired"
            response = page.goto(f"{self.base_url}{LOGIN_PATH}?returnUrl={ORDERS_PATH}")
            if response is not None and response.status in STALE:
                raise base.BlockedError(
                    "Walmart refuses this browser even after dropping its cookies",
                    challenge="blocked",
                )
        states = {
            "press_hold": s.press_hold,
            "code": s.code_form,
            "error": s.login_error,
            "password": s.login_password,
            "email": s.login_email,
            "signed_in": s.signed_in,
            "denied": s.access_denied,
        }
        for _ in range(6):
            state = which(page, states)
            if state == "signed_in":
                return
            if state == "email":
                act(page, s.login_email, "fill", credentials.email)
                submit(page, s.login_submit)
            elif state == "password":
                act(page, s.login_password, "fill", credentials.password)
                submit(page, s.login_submit)
            elif state == "error":
                message = " ".join(act(page, s.login_error, "inner_text").split())
                raise base.LoginFailedError(f"Walmart refused the sign-in: {message}")
            elif state == "code":
                raise base.BlockedError(
                    "Walmart e-mailed a one-time code to the account; a person must type it",
                    challenge="code",
                )
            elif state == "press_hold":
                raise base.BlockedError(
                    'Walmart asks "Robot or human?" (press and hold); a person must do it once '
                    "from this browser",
                    challenge="press_hold",
                )
            else:
                raise base.BlockedError(
                    "Walmart denies access to this browser", challenge="blocked"
                )
        raise PageChangedError(f"the Walmart sign-in did not end on the order history ({page.url})")

    # --- the checkout steps (the skeleton in base.SupplierAdapter.place_order runs them) ---------
    def empty_cart(self, page) -> None:
        s = self.s
        count = page.evaluate("s => document.querySelector(s)?.innerText ?? null", s.cart_count)
        if (count or "").strip() == "0":
            return  # the header of the page in hand says the cart is empty
        page.goto(self.base_url + CART_PATH)
        for _ in range(30):
            if which(page, {"line": s.cart_line, "empty": s.cart_empty}) == "empty":
                return
            submit(page, s.cart_remove)
        raise SupplierError("the Walmart cart could not be emptied")

    def _product(self, page) -> dict:
        """The product's page data, parsed in the browser (one round trip; the page's HTML is
        not copied over)."""
        product = page.evaluate(PRODUCT_JS, self.s.each("next_data"))
        if product is None:  # not there yet (or not a product page): wait for it, then read again
            need(page, self.s.product_title)
            product = page.evaluate(PRODUCT_JS, self.s.each("next_data"))
        if not isinstance(product, dict) or not product.get("usItemId"):
            raise PageChangedError(f"the Walmart product page carries no product data ({page.url})")
        return product

    def _open_variant(self, page, request) -> tuple[dict, str | None]:
        """Open the listing's product and, for its variant, the variant's own item page; return
        the product data and the seller the listing requires (``Sold by: …``) or None."""
        url = self.product_page(request.product_url)
        if pages.item_id_of(url) is None:
            raise base.URLNotAllowedError(f"{url} is not a Walmart item page (/ip/…/<item id>)")
        try:
            wanted = aliexpress_pages.parse_variant(request.variant)
        except ValueError as exc:
            raise base.VariantNotOfferedError(f"the listing's variant: {exc}") from None
        wanted, seller = pages.split_seller(wanted)
        page.goto(url)
        product = self._product(page)
        rows = pages.variant_rows(product)
        if wanted and not rows:
            raise base.VariantNotOfferedError(
                f"the listing names a variant ({request.variant}) but the item has none"
            )
        if rows:
            picks = aliexpress_pages.choose_options(rows, wanted)
            target = pages.variant_item(product, picks)
            if target is None:
                raise base.VariantNotOfferedError(
                    f"Walmart sells no item with the variant {request.variant!r}"
                )
            if target != str(product["usItemId"]):
                page.goto(pages.item_url(self.base_url, target))
                product = self._product(page)
        return product, seller

    def add_to_cart(self, page, request) -> str:
        s = self.s
        product, seller = self._open_variant(page, request)
        item_id = str(product["usItemId"])
        seller_name = product.get("sellerDisplayName") or product.get("sellerName") or ""
        if not pages.seller_fits(seller, seller_name):
            raise SellerNotAllowedError(
                f"Walmart item {item_id} is sold by {seller_name!r}; the listing asks for "
                f"an item sold by {seller}"
            )
        if product.get("availabilityStatus") != "IN_STOCK":
            raise base.OutOfStockError(f"Walmart item {item_id} is out of stock")
        limit = int(product.get("orderLimit") or 0)
        if request.quantity > limit:
            raise base.OutOfStockError(
                f"Walmart sells at most {limit} of item {item_id}; {request.quantity} needed"
            )
        act(page, s.quantity, "select_option", str(request.quantity))
        submit(page, s.add_to_cart)
        if which(page, {"added": s.cart_line, "error": s.product_error}) == "error":
            message = " ".join(act(page, s.product_error, "inner_text").split())
            error = base.OutOfStockError if "stock" in message.lower() else SupplierError
            raise error(f"Walmart did not add item {item_id}: {message}")
        return item_id

    def checkout(self, page, request, credentials) -> None:
        s = self.s
        self._paying_by_gift_card = credentials.payment_method == "gift_card"
        values = pages.address_form(request.ship_to)  # AddressRejectedError before any typing
        if not page.url.startswith(self.base_url + CART_PATH):
            page.goto(self.base_url + CART_PATH)
        submit(page, s.cart_checkout)
        seen: list[str] = []
        for _ in range(CHECKOUT_STEPS):
            state = page.evaluate(CHECKOUT_JS, self._checkout_selectors())
            if state["step"] is None:  # not there yet: wait for any step, then read again
                which(page, {k: v for k, v in self._checkout_selectors().items() if k in STEPS})
                state = page.evaluate(CHECKOUT_JS, self._checkout_selectors())
            step = state["step"]
            if state["error"] is not None:
                self._refuse(step, " ".join(state["error"].split()))
            if step == "review":
                return
            if seen.count(step) >= 2:
                raise SupplierError(f"the Walmart checkout keeps asking for the {step} step")
            seen.append(step)
            if step == "address":
                self._address(page, values, state["cards"])
            elif step == "shipping":
                self._shipping(page, request, state["options"])
            else:
                self._payment(page, credentials, state["balance"], state["saved"])
        raise SupplierError("the Walmart checkout did not reach the review")

    def _checkout_selectors(self) -> dict:
        s = self.s
        return {
            "review": s.place_order,
            "address": s.address_step,
            "shipping": s.shipping_step,
            "payment": s.payment_form,
            "error": s.checkout_error,
            "card": s.address_card,
            "card_name": s.address_card_name,
            "card_lines": s.address_card_lines,
            "option": s.shipping_option,
            "option_name": s.shipping_option_name,
            "option_price": s.shipping_option_price,
            "option_days": s.shipping_option_days,
            "balance": s.gift_card_balance,
            "saved": s.saved_card,
        }

    def _refuse(self, step, error) -> None:
        if step == "address":
            raise base.AddressRejectedError(f"Walmart refused the ship-to address: {error}")
        if step == "payment" and self._paying_by_gift_card:
            raise base.GiftCardBalanceLowError(
                f"Walmart refused the gift card: {error}", balance=self.gift_card_balance
            )
        if step == "payment":
            raise base.PaymentDeclinedError(f"Walmart refused the card: {error}")
        raise SupplierError(f"Walmart's checkout says: {error}")

    @staticmethod
    def _text_if_present(page, selector) -> str | None:
        text = page.evaluate("s => document.querySelector(s)?.innerText ?? null", selector)
        return " ".join(text.split()) if text is not None else None

    def _address(self, page, values, cards) -> None:
        """The address book's entry for the sale's ship-to, or the ship-to added as new."""
        s = self.s
        name = f"{values['firstName']} {values['lastName']}"
        for index, (card_name, card_lines) in enumerate(cards):
            lines = pages.norm(card_lines)
            if (
                pages.norm(card_name) == pages.norm(name)
                and pages.norm(values["addressLineOne"]) in lines
                and pages.norm(values["addressLineTwo"]) in lines
                and pages.norm(values["city"]) in lines
                and values["postalCode"] in card_lines
            ):
                act(page, f"{s.address_card} >> nth={index} >> input", "check")
                submit(page, s.address_book_continue)
                return
        missing = page.evaluate(
            """([form, values]) => {
                 const f = document.querySelector(form), missing = [];
                 for (const [name, value] of Object.entries(values)) {
                   const el = f && f.querySelector(`[name="${name}"]`);
                   if (!el) { missing.push(name); continue; }
                   el.value = value;
                   el.dispatchEvent(new Event("input", {bubbles: true}));
                   el.dispatchEvent(new Event("change", {bubbles: true}));
                 }
                 return missing;
               }""",
            [s.address_form, values],
        )
        if missing:
            raise PageChangedError(f"the Walmart address form has no field {', '.join(missing)}")
        submit(page, s.address_submit)

    def _shipping(self, page, request, raw) -> None:
        s = self.s
        try:
            rule = shipping.parse_rule(request.shipping_rule)
        except ValueError as exc:
            raise base.ShippingMethodError(f"the listing's shipping rule: {exc}") from None
        options = []
        for name, price, days in raw:
            number = re.search(r"(\d+)", days or "")
            options.append(
                shipping.ShippingOption(
                    " ".join(name.split()),
                    pages.money(price, "a delivery price"),
                    int(number.group(1)) if number else None,
                )
            )
        try:
            chosen = shipping.choose(options, rule)
        except LookupError as exc:
            raise base.ShippingMethodError(f"Walmart: {exc}") from None
        act(page, f"{s.shipping_option} >> nth={options.index(chosen)} >> input", "check")
        submit(page, s.shipping_continue)

    def _payment(self, page, credentials, balance, cards) -> None:
        s = self.s
        if balance is not None:
            self.gift_card_balance = pages.money(balance, "the gift-card balance")
        if credentials.payment_method == "gift_card":
            if not self.gift_card_balance:
                raise base.GiftCardBalanceLowError(
                    "the Walmart account has no gift-card balance; nothing was placed",
                    balance=self.gift_card_balance or Decimal("0"),
                )
            act(page, s.gift_card_apply, "check")
        else:
            if not credentials.card_number or not credentials.card_cvc:
                raise SupplierError("the bot has no card (with its security code) to pay Walmart")
            last4 = re.sub(r"\D", "", credentials.card_number)[-4:]
            if last4 in cards:  # the saved card: Walmart asks for its security code again
                act(page, f"{s.saved_card} >> nth={cards.index(last4)} >> input", "check")
                act(page, s.cvv_verify, "fill", credentials.card_cvc)
            else:
                month, _, year = (credentials.card_expiry or "").replace(" ", "").partition("/")
                expiry = f"{int(month):02d}/{year[-2:]}" if month.isdigit() and year else ""
                act(page, s.card_name, "fill", credentials.card_holder or "")
                act(page, s.card_number, "fill", credentials.card_number)
                act(page, s.card_expiry, "fill", expiry)
                act(page, s.card_cvc, "fill", credentials.card_cvc)
        submit(page, s.payment_continue)

    def read_review(self, page, request, item) -> base.ReviewTotals:
        s = self.s
        seen = page.evaluate(
            """s => {
                 const text = sel => document.querySelector(sel)?.innerText ?? null;
                 return {
                   lines: Array.from(document.querySelectorAll(s.item)).map(
                     e => [e.dataset.itemId, e.dataset.quantity]),
                   name: text(s.name), zip: text(s.zip), subtotal: text(s.subtotal),
                   shipping: text(s.shipping), tax: text(s.tax), total: text(s.total),
                   remaining: text(s.remaining)};
               }""",
            {
                "item": s.review_item,
                "name": s.review_name,
                "zip": s.review_zip,
                "subtotal": s.summary_subtotal,
                "shipping": s.summary_shipping,
                "tax": s.summary_tax,
                "total": s.summary_total,
                "remaining": s.summary_remaining,
            },
        )
        if seen["lines"] != [[item, str(request.quantity)]]:
            raise SupplierError(
                f"the Walmart review lists {seen['lines']}, expected only {item} x "
                f"{request.quantity}"
            )
        if pages.norm(seen["name"]) != pages.norm(request.ship_to.name) or not pages.same_postal(
            seen["zip"], request.ship_to.postal_code
        ):
            raise base.AddressRejectedError(
                "the Walmart review does not ship to the sale's address"
            )
        for key, selector in (
            ("subtotal", s.summary_subtotal),
            ("shipping", s.summary_shipping),
            ("tax", s.summary_tax),
            ("total", s.summary_total),
        ):
            if seen[key] is None:
                raise base.missing_element(page, selector)
        amount = lambda key: pages.money(seen[key], f"the {key}")  # noqa: E731
        totals = base.ReviewTotals(
            amount("subtotal"),
            amount("shipping"),
            amount("tax"),
            amount("total"),
            self.gift_card_balance if self._paying_by_gift_card else None,
        )
        if self._paying_by_gift_card:
            remaining = amount("remaining") if seen["remaining"] is not None else Decimal(0)
            if remaining > 0:
                raise base.GiftCardBalanceLowError(
                    f"the gift-card balance ${self.gift_card_balance} does not cover the order "
                    f"(${remaining} left to pay); nothing was placed",
                    balance=self.gift_card_balance,
                )
        return totals

    def click_place_order(self, page) -> None:
        submit(page, self.s.place_order)  # once; never retried

    def read_confirmation(self, page, request, item, totals) -> base.Confirmation:
        """The thank-you page's order number, then that order's JSON (read only)."""
        s = self.s
        outcome = which(
            page,
            {"placed": s.order_number, "refused": s.checkout_error, "review": s.place_order},
        )
        if outcome != "placed":
            message = self._text_if_present(page, s.checkout_error) or "the checkout came back"
            said = message.lower()
            if "stock" in said:
                raise base.OutOfStockError(f"Walmart did not place the order: {message}")
            if "gift card" in said:
                raise base.GiftCardBalanceLowError(
                    f"Walmart did not place the order: {message}", balance=self.gift_card_balance
                )
            if "payment" in said or "card" in said:
                raise base.PaymentDeclinedError(f"Walmart declined the payment: {message}")
            raise SupplierError(f"Walmart did not place the order: {message}")
        number = " ".join(act(page, s.order_number, "inner_text").split())
        number = re.sub(r"^Order\s*#\s*", "", number, flags=re.I)
        if not pages.order_id(number):
            raise PageChangedError("the Walmart thank-you page shows no order number")
        placed = self._order(page, number)
        total = placed.total if placed.total is not None else totals.total
        return base.Confirmation(
            placed.number, total, list(placed.lines), placed.ship_name, placed.ship_postal
        )

    def order_json_url(self, number: str) -> str:
        from urllib.parse import quote

        variables = quote(f'{{"orderId":"{pages.order_id(number)}"}}')
        return f"{self.base_url}{GET_ORDER_PATH}?variables={variables}"

    def _order(self, page, number: str) -> pages.WalmartOrder:
        answer = page.request.get(self.order_json_url(number), timeout=base.SUBMIT_WAIT_MS)
        if answer.status in STALE:
            raise base.LoginFailedError("the Walmart session expired while reading the order")
        return pages.read_order_page(answer.text(), self.s)

    # --- recovery and tracking -------------------------------------------------------------------
    def find_order(self, page, credentials, request, placed_after) -> base.FoundOrder | None:
        """The order ``request`` placed at or after ``placed_after``: the variant's item id and
        quantity, ship-to name and ZIP (Walmart keeps no order note we can read back); each
        candidate from the purchase history is read from its order JSON."""
        s = self.s
        product, _seller = self._open_variant(page, request)  # read only: the variant's item id
        item_id = str(product["usItemId"])
        page.goto(self.base_url + ORDERS_PATH)
        need(page, s.signed_in)
        fits = []
        for listed in pages.read_history(page.content(), s)[:FIND_LIMIT]:
            if (
                placed_after
                and listed.placed_at
                and listed.placed_at < placed_after - FIND_CLOCK_SLACK
            ):
                continue
            if listed.status == "cancelled" or item_id not in dict(listed.lines):
                continue
            order = self._order(page, listed.number)
            if order_fits(order, request, item_id):
                fits.append(base.FoundOrder(order.number, order.total))
        if len(fits) > 1:
            raise base.AmbiguousMatchError(f"{len(fits)} Walmart orders match this sale")
        return fits[0] if fits else None

    def tracking_url(self, supplier_order_number: str) -> str:
        return f"{self.base_url}{ORDERS_PATH}/{pages.order_id(supplier_order_number)}"

    def fetch_tracking_html(self, session, supplier_order_number: str) -> str:
        response = session.get(self.tracking_url(supplier_order_number), timeout=20)
        if response.status_code in (401, *STALE) or LOGIN_PATH in response.url:
            raise base.LoginFailedError("the saved Walmart session has expired")
        response.raise_for_status()
        return response.text

    def fetch_tracking_html_in_browser(self, page, supplier_order_number: str) -> str:
        response = page.goto(self.tracking_url(supplier_order_number))
        if response is not None and response.status in STALE:
            raise base.LoginFailedError("Walmart refused the order page (stale session)")
        need(page, self.s.next_data)
        return page.content()

    def parse_tracking(self, html: str) -> base.TrackingInfo:
        """Status and one package per shipment (carrier, tracking number, item ids, units) from
        the order page's data (or the order JSON)."""
        return pages.tracking(pages.read_order_page(html, self.s))


def order_fits(order: pages.WalmartOrder, request, item_id: str) -> bool:
    """The order is exactly ``item_id`` x quantity to the sale's name and ZIP, not cancelled."""
    return (
        order.status != "cancelled"
        and list(order.lines) == [(item_id, request.quantity)]
        and pages.norm(order.ship_name) == pages.norm(request.ship_to.name)
        and pages.same_postal(order.ship_postal, request.ship_to.postal_code)
    )
