"""AliExpress: sign-in, SKU choice, cart, the confirm page, place order, order list and tracking.

No real saved AliExpress page was found publicly, so every selector below comes from public code
and notes about the live site (named per group), and was checked only against the local replica
(``sandbox/aliexpress``, built from the same sources) and the golden pages of its tracking
(``tests/scrapers/fixtures/aliexpress/``). Where no public source named an element, the replica's
name is used and the line says "replica". Fix a changed page with a selector override (docs/
adding-a-supplier.md); the pure readers live in ``aliexpress_pages``.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from autoorder.scrapers import aliexpress_pages as pages
from autoorder.scrapers import base, shipping
from autoorder.scrapers.base import PageChangedError, SupplierError, act, need, submit, which
from autoorder.scrapers.selectors import Selectors

ORDERS_PATH, CART_PATH = "/p/order/index.html", "/p/shoppingcart/index.html"
FIND_LIMIT = 30  # most recent orders searched
FIND_DAY_SLACK = timedelta(days=1)  # the list shows dates only, in the site's time zone
FIND_CLOCK_SLACK = timedelta(minutes=2)

SELECTORS = {
    # Pop-ups: the chat robot #J_xiaomi_dialog (hidden by a public order scraper: "Hide the good
    # damn robot"), the cookie banner and the coupon modal ("comet" components, public notes).
    "every_page": {
        "popup_close": [".comet-modal-wrap .comet-modal-close", ".comet-v2-modal-close"],
        "chat_robot": ["#J_xiaomi_dialog"],
        "cookie_accept": [".global-gdpr-wrap .btn-accept"],
    },
    # Sign-in (login.aliexpress.com): the havana form ids fm-login-id / fm-login-password and the
    # "nc" slider #nc_1_n1z of Alibaba's bot check, as public login scripts use them; the code
    # page and the error tip are the replica's.
    "login": {
        "signed_in": [".order-item", ".order-empty"],
        "login_form": ["#fm-login-id"],
        "login_email": ["#fm-login-id"],
        "login_password": ["#fm-login-password"],
        "login_submit": ["button.password-login", "button.fm-submit"],
        "login_error": [".fm-error-tip", ".fm-error"],
        "slider": ["#nc_1_n1z", "#baxia-dialog-content"],
        "code_form": [".verify-code-form"],  # replica
        "code_input": ["#verifyCode"],  # replica
        "code_submit": [".verify-submit"],  # replica
        "blocked": [".punish-page", "#punish-page"],  # the /_____tmd_____/punish bot wall
    },
    # Product page /item/<id>.html: options are [data-sku-col="<property>-<value>"], selected
    # ones get a class starting sku-item--selected (hashed suffix), the page model's
    # SKU.selectedSkuIdStr tells the SKU; quantity input.comet-v2-input-number-input inside
    # [class*=quantity--picker]; [class*=add-to-cart--addtocart] (a public browser extension's
    # notes measured on the live page, 2026). h1[data-pl=product-title]: a public content script.
    "product": {
        "product_title": ["h1[data-pl=product-title]"],
        "sku_row": ["[class*=sku-item--property]"],
        "sku_row_title": ["[class*=sku-item--title]"],
        "sku_option": ["[data-sku-col]"],
        "sku_sold_out": ["[class*=sku-item--soldOut]"],  # replica (hash differs per release)
        "quantity": ["[class*=quantity--picker] input.comet-v2-input-number-input"],
        "add_to_cart": ["button[class*=add-to-cart--addtocart]"],
        "added": [".add-to-cart-success"],  # replica (the real one is a pop-up)
        "product_error": [".comet-v2-message-error"],  # replica
    },
    # Cart /p/shoppingcart/index.html: replica names (no public source describes the cart).
    "cart": {
        "cart_line": [".cart-product[data-cart-id]"],
        "cart_empty": [".cart-empty"],
        "cart_delete": ["button.cart-header-delete"],
        "cart_checkout": [".cart-summary-button"],
    },
    # Confirm page /p/trade/confirm.html: pl-* BEM classes, the address drawer (.pl-address-model
    # -cls, button.add-address, div.mt-form.deliver-address-form, .mt-form-item, button.form-
    # button-confirm), .pl-summary__item-pc, .pl-order-toal-container__item (sic) and button.
    # place-order-primary-btn in .pl-order-toal-container__btn-box: the public notes above. The
    # shipping list, seller message and card fields are the replica's (the real ones are drawers
    # and a payment iframe).
    "confirm": {
        "confirm_page": ["#placeorder_wrap__inner"],
        "confirm_error": [".pl-error-tip"],
        "address_block": [".pl-address-item-container"],
        "address_name": [".pl-address-item__name"],
        "address_detail": [".pl-address-item__detail"],
        "address_change": [".pl-address-item__arrrow a", ".pl-address-item__new-btn-wrap button"],
        "address_add": ["button.add-address"],
        "address_form": [".deliver-address-form"],
        "address_item": [".mt-form-item"],
        "address_save": ["button.form-button-confirm"],
        "address_error": [".form-item-state-error"],
        "store_block": [".pl-store-block", ".pl-block-container"],
        "review_line": [".pl-product-item"],
        "review_line_title": ["a.pl-product-title"],
        "review_line_sku": [".pl-product-sku"],
        "review_line_quantity": [".comet-input-number input"],
        "shipping_option": ["label.pl-logistics-option"],
        "shipping_option_name": [".pl-logistics-option-name"],
        "shipping_option_price": [".pl-logistics-option-price"],
        "shipping_option_days": [".pl-logistics-option-days"],
        "shipping_apply": [".pl-logistics-apply"],
        "seller_note": ["textarea.pl-seller-message"],
        "pay_card": [".pay-channel-card input"],
        "pay_balance": [".pay-channel-balance input"],
        "card_number": ["input[name=cardNo]"],
        "card_expiry": ["input[name=expiryDate]"],
        "card_cvc": ["input[name=cvv]"],
        "card_holder": ["input[name=cardHolder]"],
        "summary_row": [".pl-summary__item-pc"],
        "order_total": [".pl-order-toal-container__item"],
        "place_order": [".pl-order-toal-container__btn-box button.place-order-primary-btn"],
    },
    # /p/second-payment/pay-result.html: the path is public; its markup is the replica's.
    "pay_result": {
        "paid": [".pay-result-success"],
        "pay_failed": [".pay-result-fail"],
        "paid_order_link": [".pay-result-success a[href*='orderId=']"],
    },
    # Order list /p/order/index.html: div.order-item, span.order-item-header-status-text, "Order
    # ID:" / "Order date:" in .order-item-header-right-info (several public order scrapers).
    "order_list": {
        "order_card": ["div.order-item"],
        "order_card_status": [".order-item-header-status-text"],
        "order_card_info": [".order-item-header-right-info"],
    },
    # Order detail /p/order/detail.html?orderId=: .order-detail-item-content-wrap, .item-title a,
    # .item-sku-attr, .item-price ("US $x.xx x N"), .order-price-item (a public order scraper);
    # the ship-to and placed-at elements are the replica's.
    "order_detail": {
        "detail_line": [".order-detail-item-content-wrap"],
        "detail_line_title": [".item-title"],
        "detail_line_sku": [".item-sku-attr"],
        "detail_line_price": [".item-price"],
        "detail_price_row": [".order-price-item"],
        "detail_ship_name": [".order-detail-address .contact-name"],
        "detail_ship_postal": [".order-detail-address .contact-zip"],
        "detail_placed": [".order-detail-order-info time[datetime]"],
        "detail_info": [".order-detail-order-info"],
    },
    # Tracking /p/tracking/index.html?tradeOrderId=: .tracking-module, span.title-eclp (carrier),
    # .status-title-text, the Cainiao link's mailNoList (a public order scraper);
    # .tracking-number-title (a public extension); the rest is the replica's.
    "tracking": {
        "tracking_package": [".tracking-module"],
        "tracking_carrier": [".title-eclp"],
        "tracking_number": [".tracking-number-value"],
        "tracking_carrier_link": ["a[href*='mailNoList=']"],
        "tracking_status": [".status-title-text"],
        "tracking_goods": [".package-goods-item"],
        "tracking_goods_sku": [".package-goods-sku"],
        "tracking_empty": [".tracking-empty"],
        "tracking_closed": [".tracking-closed"],
    },
}
DEFAULT = Selectors(SELECTORS)

ROWS_JS = """([row, title, option, soldOut]) => \
Array.from(document.querySelectorAll(row)).map(r => ({
  name: ((r.querySelector(title)?.innerText || "").split(":")[0] || "").trim(),
  options: Array.from(r.querySelectorAll(option)).map(o => ({
    col: o.dataset.skuCol, value: (o.getAttribute("title") || o.innerText || "").trim(),
    sold_out: o.matches(soldOut)}))}))"""
SELECTED_JS = """() => { const sku = window._d_c_?.lifeCycleEventList?.[0]?.data?.SKU;
  if (!sku) return null;
  const hit = sku.skuPaths.find(p => p.skuIdStr === sku.selectedSkuIdStr);
  return hit ? [hit.skuIdStr, hit.skuVal.availQuantity] : [null, null]; }"""
FILL_JS = """([item, values]) => {
  const missing = [];
  for (const [label, value] of Object.entries(values)) {
    const row = Array.from(document.querySelectorAll(item)).find(r =>
      (r.innerText || "").trim().toLowerCase().startsWith(label.toLowerCase()));
    const field = row && row.querySelector("input, select");
    if (!field) { missing.push(label); continue; }
    const proto = field.tagName === "SELECT" ? HTMLSelectElement : HTMLInputElement;
    Object.getOwnPropertyDescriptor(proto.prototype, "value").set.call(field, value);
    field.dispatchEvent(new Event("input", {bubbles: true}));
    field.dispatchEvent(new Event("change", {bubbles: true}));
  }
  return missing; }"""
REVIEW_JS = """s => ({
  stores: document.querySelectorAll(s.store).length,
  lines: Array.from(document.querySelectorAll(s.line)).map(l => [
    l.querySelector(s.title)?.getAttribute("href") || "", l.querySelector(s.sku)?.innerText || "",
    l.querySelector(s.quantity)?.value || ""]),
  rows: Array.from(document.querySelectorAll(s.row)).map(r => \
Array.from(r.children).map(c => c.innerText)),
  total: document.querySelector(s.total)?.innerText ?? null,
  name: document.querySelector(s.name)?.innerText ?? null,
  detail: document.querySelector(s.detail)?.innerText ?? null,
})"""
OPTIONS_JS = """([option, name, price, days]) => \
Array.from(document.querySelectorAll(option)).map(o => [
  o.querySelector(name)?.innerText || "", o.querySelector(price)?.innerText || "",
  o.querySelector(days)?.innerText || "", o.querySelector("input")?.checked || false])"""


class AliexpressAdapter(base.SupplierAdapter):
    key = "aliexpress"
    display_name = "AliExpress"
    default_base_url = "https://www.aliexpress.com"
    hosts = ("aliexpress.com", "aliexpress.us", "aliexpress.ru")
    SELECTORS = SELECTORS
    tracking_in_browser = True  # the real tracking page is built by scripts, behind the bot check
    LOGIN_WAIT_MS = 30_000  # a sign-in that hangs longer ends as supplier_unavailable

    @classmethod
    def product_ref(cls, text: str, base_url: str) -> str | None:
        """``{base_url}/item/<id>.html`` for a pasted AliExpress URL (any country site, the US
        and mobile sites, tracking parameters) or a bare item id; None for anything else."""
        raw = (text or "").strip()
        if "://" in raw:
            host = (urlsplit(raw).hostname or "").lower()
            base_host = (urlsplit(base_url).hostname or "").lower()
            ours = any(host == h or host.endswith("." + h) for h in cls.hosts)
            if not ours and host != base_host:
                return None
        item_id = pages.item_id_of(raw)
        return pages.item_url(base_url, item_id) if item_id else None

    # --- the person's hand-off (autoorder.handoff): what shows a challenge, where a code goes ---
    @property
    def CHALLENGE_SELECTORS(self):  # noqa: N802 - the base's class attribute, from the selectors
        return {"slider": self.s.slider, "code": self.s.code_form}

    def enter_code(self, page, code: str) -> None:
        act(page, self.s.code_input, "fill", code)
        submit(page, self.s.code_submit)

    # --- sign-in ---------------------------------------------------------------------------------
    def login(self, page, credentials) -> None:
        """Reuse the saved session or sign in, ending on the order list. LoginFailedError,
        BlockedError (slider, code, blocked), SupplierUnavailableError (the sign-in hangs)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        s = self.s
        page.goto(self.base_url + ORDERS_PATH)
        states = {
            "in": s.signed_in,
            "form": s.login_form,
            "slider": s.slider,
            "code": s.code_form,
            "blocked": s.blocked,
        }
        state = which(page, states)
        if state == "form":
            self.dismiss_popups(page)
            act(page, s.login_email, "fill", credentials.email)
            act(page, s.login_password, "fill", credentials.password)
            try:
                submit(page, s.login_submit, timeout=self.LOGIN_WAIT_MS)
            except PlaywrightTimeoutError:
                raise base.SupplierUnavailableError(
                    "AliExpress did not answer the sign-in; nothing was ordered"
                ) from None
            state = which(page, {"error": s.login_error, **states})
            if state == "form":  # still the form, with no error: the sign-in did not take
                raise base.LoginFailedError("AliExpress showed the sign-in form again")
        if state == "error":
            message = " ".join(act(page, s.login_error, "inner_text").split())
            raise base.LoginFailedError(f"AliExpress refused the sign-in: {message}")
        if state == "slider":
            raise base.BlockedError(
                'AliExpress asks to "slide to verify" at sign-in; a person must do it once '
                "from this browser",
                challenge="slider",
            )
        if state == "code":
            raise base.BlockedError(
                "AliExpress sent a verification code by e-mail/SMS; a person must enter it",
                challenge="code",
            )
        if state == "blocked":
            raise base.BlockedError(
                "AliExpress reports unusual traffic and restricted the account or this browser",
                challenge="blocked",
            )

    def dismiss_popups(self, page) -> None:
        """Close the coupon modal, accept the cookie banner, hide the chat robot (read-only
        clicks: nothing here changes an order)."""
        s = self.s
        page.evaluate(
            """([close, accept, robot]) => {
              document.querySelectorAll(close).forEach(b => b.click());
              document.querySelectorAll(accept).forEach(b => b.click());
              document.querySelectorAll(robot).forEach(r => r.style.display = "none");
            }""",
            [s.popup_close, s.cookie_accept, s.chat_robot],
        )

    # --- the checkout steps (the skeleton in base.SupplierAdapter.place_order runs them) ---------
    def empty_cart(self, page) -> None:
        s = self.s
        page.goto(self.base_url + CART_PATH)
        if which(page, {"lines": s.cart_line, "empty": s.cart_empty}) == "lines":
            self.dismiss_popups(page)
            submit(page, s.cart_delete)  # "select all" is on: deletes every line
            if which(page, {"lines": s.cart_line, "empty": s.cart_empty}) != "empty":
                raise SupplierError("AliExpress's cart still holds items after deleting them")

    def add_to_cart(self, page, request) -> str:
        """Open the item, click the listing's SKU options, set the quantity, add to cart;
        returns the item key (``<item id> <SKU text>``) as the checkout and orders show it."""
        s = self.s
        url = self.product_page(request.product_url)
        item_id = pages.item_id_of(url)
        if item_id is None:
            raise base.URLNotAllowedError(f"{url} is not an AliExpress item page (/item/<id>.html)")
        page.goto(url)
        need(page, s.product_title)
        self.dismiss_popups(page)
        rows = page.evaluate(ROWS_JS, [s.sku_row, s.sku_row_title, s.sku_option, s.sku_sold_out])
        try:
            wanted = pages.parse_variant(request.variant)
        except ValueError as exc:
            raise base.VariantNotOfferedError(f"the listing's variant: {exc}") from None
        picks = pages.choose_options(rows, wanted)
        labels = []
        for row, col in zip(rows, picks, strict=True):
            option = next(o for o in row["options"] if o["col"] == col)
            labels.append(f"{row['name']}: {option['value']}")
            element = need(page, f"[data-sku-col='{col}']")
            if element.evaluate("(el, soldOut) => el.matches(soldOut)", s.sku_sold_out):
                # (greyed out with the options chosen so far)
                raise base.OutOfStockError(f"{', '.join(labels)} is sold out")
            element.click()
        selected = page.evaluate(SELECTED_JS)
        if selected is None or selected[0] is None:
            raise PageChangedError(f"choosing {', '.join(labels)} selected no SKU on {page.url}")
        if (selected[1] or 0) < request.quantity:
            raise base.OutOfStockError(
                f"{', '.join(labels) or 'the item'}: {selected[1]} available, "
                f"{request.quantity} needed"
            )
        act(page, s.quantity, "fill", str(request.quantity))
        submit(page, s.add_to_cart)
        if which(page, {"added": s.added, "error": s.product_error}) == "error":
            message = " ".join(act(page, s.product_error, "inner_text").split())
            error = base.OutOfStockError if "stock" in message.lower() else SupplierError
            raise error(f"AliExpress did not add the item: {message}")
        return pages.item_key(item_id, ", ".join(labels))

    def checkout(self, page, request, credentials) -> None:
        s = self.s
        page.goto(self.base_url + CART_PATH)
        need(page, s.cart_line)
        self.dismiss_popups(page)
        submit(page, s.cart_checkout)
        if which(page, {"confirm": s.confirm_page, "error": s.confirm_error}) == "error":
            raise SupplierError(f"AliExpress's checkout failed: {self._error_text(page)}")
        self._fill_address(page, request.ship_to)
        self._choose_shipping(page, request)
        self._choose_payment(page, credentials)

    def _error_text(self, page) -> str:
        return " ".join(page.locator(self.s.confirm_error).first.inner_text().split())

    def _fill_address(self, page, address) -> None:
        """Add the sale's ship-to as a new address (it becomes the chosen one)."""
        s = self.s
        values = pages.address_form(address)  # AddressRejectedError before anything is typed
        self.dismiss_popups(page)
        act(page, s.address_change, "click")
        if not page.locator(s.address_form).first.is_visible():
            act(page, s.address_add, "click")
        need(page, s.address_form)
        missing = page.evaluate(FILL_JS, [s.address_item, values])
        if missing:
            raise PageChangedError(f"the address form has no field {', '.join(missing)}")
        submit(page, s.address_save)
        if page.locator(s.address_error).count():
            shown = page.locator(s.address_error).all_inner_texts()
            raise base.AddressRejectedError(
                "AliExpress refused the ship-to address: "
                + "; ".join(" ".join(t.split()) for t in shown)
            )
        need(page, s.address_block)

    def _choose_shipping(self, page, request) -> None:
        s = self.s
        try:
            rule = shipping.parse_rule(request.shipping_rule)
        except ValueError as exc:
            raise base.ShippingMethodError(f"the listing's shipping rule: {exc}") from None
        raw = page.evaluate(
            OPTIONS_JS,
            [
                s.shipping_option,
                s.shipping_option_name,
                s.shipping_option_price,
                s.shipping_option_days,
            ],
        )
        options = [
            shipping.ShippingOption(
                " ".join(name.split()),
                pages.money(price, "a shipping price"),
                int(pages.MONEY.search(days).group(1)) if pages.MONEY.search(days) else None,
            )
            for name, price, days, _checked in raw
        ]
        try:
            chosen = shipping.choose(options, rule)
        except LookupError as exc:
            raise base.ShippingMethodError(f"AliExpress: {exc}") from None
        index = options.index(chosen)
        if not raw[index][3]:
            act(page, f"{s.shipping_option} >> nth={index}", "click")
            submit(page, s.shipping_apply)
            need(page, s.confirm_page)

    def _choose_payment(self, page, credentials) -> None:
        s = self.s
        if credentials.payment_method == "gift_card":  # AliExpress balance and coupons
            act(page, s.pay_balance, "check")
            return
        if credentials.payment_method != "card" or not credentials.card_number:
            raise SupplierError("the bot has no card to pay AliExpress with")
        act(page, s.pay_card, "check")
        expiry = (credentials.card_expiry or "").replace(" ", "")
        month, _, year = expiry.partition("/")
        expiry = f"{int(month):02d}/{year[-2:]}" if month.isdigit() and year else expiry
        for selector, value in (
            (s.card_number, credentials.card_number),
            (s.card_expiry, expiry),
            (s.card_cvc, credentials.card_cvc or ""),
            (s.card_holder, credentials.card_holder or ""),
        ):
            act(page, selector, "fill", value)

    def read_review(self, page, request, item) -> base.ReviewTotals:
        """The confirm page must list only ``item`` x quantity (one store), shipped to the sale's
        name and postal code; returns its totals."""
        s = self.s
        seen = page.evaluate(
            REVIEW_JS,
            {
                "store": s.store_block,
                "line": s.review_line,
                "title": s.review_line_title,
                "sku": s.review_line_sku,
                "quantity": s.review_line_quantity,
                "row": s.summary_row,
                "total": s.order_total,
                "name": s.address_name,
                "detail": s.address_detail,
            },
        )
        lines = [
            (pages.item_key(pages.item_id_of(self.base_url + href) or href, sku), quantity)
            for href, sku, quantity in seen["lines"]
        ]
        if lines != [(item, str(request.quantity))] or seen["stores"] != 1:
            raise SupplierError(
                f"the checkout lists {lines} from {seen['stores']} store(s), expected only "
                f"{item} x {request.quantity}"
            )
        if pages.norm(seen["name"]) != pages.norm(request.ship_to.name) or (
            pages.norm(request.ship_to.postal_code)[:5] not in pages.norm(seen["detail"])
        ):
            raise base.AddressRejectedError("the checkout does not ship to the sale's address")
        if seen["total"] is None:
            raise base.missing_element(page, s.order_total)
        amounts = {pages.norm(cells[0]): cells[-1] for cells in seen["rows"] if cells}
        for needed in ("subtotal", "shipping fee"):
            if needed not in amounts:
                raise PageChangedError(
                    f"the checkout summary has no {needed!r} row ({s.summary_row})"
                )
        return base.ReviewTotals(
            item=pages.money(amounts["subtotal"], "the subtotal"),
            shipping=pages.money(amounts["shipping fee"], "the shipping fee"),
            tax=pages.money(amounts.get("additional charges", "0"), "the additional charges"),
            total=pages.money(seen["total"], "the total"),
        )

    def prepare_place(self, page, request) -> None:
        """Our reference in the seller message, where the page still has one."""
        if page.locator(self.s.seller_note).count():
            act(page, self.s.seller_note, "fill", request.reference[:512])

    def click_place_order(self, page) -> None:
        self.dismiss_popups(page)  # a coupon modal over the button would swallow the click
        submit(page, self.s.place_order)

    def read_confirmation(self, page, request, item, totals) -> base.Confirmation:
        """Read the pay result, then the order's detail page (read only)."""
        s = self.s
        outcome = which(page, {"paid": s.paid, "failed": s.pay_failed, "refused": s.confirm_error})
        if outcome == "failed":
            message = " ".join(act(page, s.pay_failed, "inner_text").split())
            raise base.PaymentDeclinedError(f"AliExpress: {message}")
        if outcome == "refused":
            message = self._error_text(page)
            said = message.lower()
            error = SupplierError
            if "stock" in said:
                error = base.OutOfStockError
            elif any(word in said for word in ("balance", "card", "payment")):
                error = base.PaymentDeclinedError
            raise error(f"AliExpress did not place the order: {message}")
        links = page.eval_on_selector_all(s.paid_order_link, "as => as.map(a => a.href)")
        numbers = list(
            dict.fromkeys(
                n for href in links for n in parse_qs(urlsplit(href).query).get("orderId", [])
            )
        )
        if not numbers:
            raise PageChangedError(f"the pay result names no order ({s.paid_order_link})")
        if len(numbers) > 1:
            raise base.WrongContentsError(
                f"one checkout made {len(numbers)} AliExpress orders ({', '.join(numbers)}): "
                "the store split it",
                supplier_order_number=numbers[0],
            )
        page.goto(self.detail_url(numbers[0]))
        need(page, s.detail_line)
        detail = pages.parse_detail(page.content(), s)
        total = detail["total"] if detail["total"] is not None else totals.total
        return base.Confirmation(
            numbers[0], total, detail["lines"], detail["ship_name"], detail["ship_postal"]
        )

    # --- recovery and tracking -------------------------------------------------------------------
    def detail_url(self, number: str) -> str:
        return f"{self.base_url}/p/order/detail.html?orderId={number}"

    def find_order(self, page, credentials, request, placed_after) -> base.FoundOrder | None:
        """The order ``request`` placed at or after ``placed_after``: same item and SKU,
        quantity, ship-to name and postal code (AliExpress keeps no note we can read back)."""
        s = self.s
        if not page.url.startswith(self.base_url + ORDERS_PATH):
            page.goto(self.base_url + ORDERS_PATH)
        need(page, s.signed_in)
        cards = pages.parse_order_list(page.content(), s)[:FIND_LIMIT]
        first_day = (placed_after - FIND_DAY_SLACK).date() if placed_after else None
        item_id = pages.item_id_of(self.product_page(request.product_url))
        wanted = pages.parse_variant(request.variant)
        fits = []
        for card in cards:
            day = pages.parse_order_date(card["date"])
            if first_day is not None and day is not None and day < first_day:
                continue
            html = page.request.get(self.detail_url(card["number"]), timeout=base.SUBMIT_WAIT_MS)
            detail = pages.parse_detail(html.text(), s)
            if (
                placed_after
                and detail["placed_at"]
                and (detail["placed_at"] < placed_after - FIND_CLOCK_SLACK)
            ):
                continue
            if order_fits(detail, request, item_id, wanted):
                fits.append(base.FoundOrder(card["number"], detail["total"]))
        if len(fits) > 1:
            raise base.AmbiguousMatchError(
                "AliExpress orders "
                + ", ".join(f.supplier_order_number for f in fits)
                + " all match"
            )
        return fits[0] if fits else None

    def tracking_url(self, supplier_order_number: str) -> str:
        return f"{self.base_url}/p/tracking/index.html?tradeOrderId={supplier_order_number}"

    def parse_tracking(self, html: str) -> base.TrackingInfo:
        return pages.parse_tracking(html, self.s)


def order_fits(detail: dict, request, item_id: str | None, wanted) -> bool:
    """Whether an order detail is exactly the request: one line of the item and SKU, the
    quantity, the ship-to name and postal code."""
    if len(detail["lines"]) != 1:
        return False
    key, quantity = detail["lines"][0]
    line_id, _, label = key.partition(" ")
    same = lambda a, b: pages.norm(a).replace(" ", "").replace("-", "") == (  # noqa: E731
        pages.norm(b).replace(" ", "").replace("-", "")
    )
    return (
        line_id == item_id
        and quantity == request.quantity
        and pages.variant_matches(label, wanted)
        and same(detail["ship_name"], request.ship_to.name)
        and same(detail["ship_postal"], request.ship_to.postal_code)
    )
