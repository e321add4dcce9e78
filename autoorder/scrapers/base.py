"""The supplier adapter interface, its result types and its error family.

An adapter holds only supplier-specific steps. It is given a ready Playwright ``Page`` (it never
launches a browser) and plain data (never models), and it raises a ``SupplierError`` subclass,
whose ``code`` is the failure reason shown on the order, for every expected failure.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import requests


# --- what an adapter is given ------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str
    phone: str = ""


@dataclass(frozen=True)
class Credentials:
    """A bot's secrets, decrypted inside the job just before use. Never logged (repr hides them)."""

    email: str
    password: str = field(repr=False)
    payment_method: str = "card"  # card | gift_card
    card_number: str | None = field(default=None, repr=False)
    card_expiry: str | None = field(default=None, repr=False)
    card_cvc: str | None = field(default=None, repr=False)
    card_holder: str | None = field(default=None, repr=False)
    totp_secret: str | None = field(default=None, repr=False)  # authenticator key (autoorder.otp)

    def one_time_code(self) -> str | None:
        """The authenticator code valid now, or None when the bot has no authenticator key."""
        if not self.totp_secret:
            return None
        from autoorder import otp

        return otp.fresh_code_for(self.totp_secret)


@dataclass(frozen=True)
class PurchaseRequest:
    product_url: str
    variant: str | None  # the supplier's variant label, e.g. "Black / L"
    quantity: int
    ship_to: Address
    reference: str  # our stable marker, written into the supplier's order note
    max_total: Decimal | None  # refuse to place above this (price guard)
    shipping_rule: str | None = None  # the listing's rule (scrapers.shipping); None = cheapest
    gift: bool = False  # send as a gift (gift receipt: no prices to the buyer) where the site can


# --- what an adapter returns -------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewTotals:
    item: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    # The gift-card (account) balance the supplier showed during this checkout, before this
    # order, where the adapter can read it; None otherwise (a card bot, or not shown).
    balance: Decimal | None = None


@dataclass(frozen=True)
class PlacedOrder:
    supplier_order_number: str
    total: Decimal
    screenshots: dict = field(default_factory=dict)  # kind -> PNG bytes


@dataclass(frozen=True)
class Confirmation:
    """What the page after the click says was placed."""

    supplier_order_number: str
    total: Decimal
    lines: list  # [(item id, quantity)]
    ship_name: str
    ship_postal: str


SHIPPED_STATUSES = ("shipped", "delivered", "returned")  # a package left the supplier


@dataclass(frozen=True)
class Package:
    """One parcel of a supplier order (AliExpress splits orders; Amazon ships items apart)."""

    tracking_number: str
    carrier: str | None = None
    status: str = "shipped"  # shipped | delivered | returned | cancelled
    items: tuple = ()  # the supplier's item ids in it; empty = the whole order
    quantity: int | None = None  # units in it, when the supplier's page says; None = not shown


@dataclass(frozen=True)
class TrackingInfo:
    """The order's shipment as the supplier shows it. ``status``: processing | shipped |
    delivered | returned | cancelled. A supplier that ships in parcels lists each in ``packages``;
    ``carrier``/``tracking_number`` are then the first one's."""

    status: str
    carrier: str | None = None
    tracking_number: str | None = None
    packages: tuple = ()

    def all_packages(self) -> list[Package]:
        if self.packages:
            return list(self.packages)
        if self.tracking_number and self.status in SHIPPED_STATUSES:
            return [Package(self.tracking_number, self.carrier, self.status)]
        return []


@dataclass(frozen=True)
class FoundOrder:
    supplier_order_number: str
    total: Decimal | None = None


# --- errors: code is the reason shown on the order ---------------------------------------------
# Each class carries its own policy, read by autoorder.purchasing (no lists of codes elsewhere):
#   may_have_bought  raised after the place-order click, could an order exist now? (True = the
#                    outcome is unclear: look in the supplier's order history, never buy again)
#   retryable        nothing was bought and the cause passes (a flaky page): a new attempt is safe
#                    and may succeed; read only before the click
#   supplier_said_no the supplier refused for a reason a person cannot fix now (out of stock,
#                    payment declined): the sale ends "failed" rather than "needs attention"
class SupplierError(Exception):
    code = "unknown"
    may_have_bought = True  # an unknown failure after the click is never taken as "nothing bought"
    retryable = False
    supplier_said_no = False

    def __init__(self, message: str, *, screenshot: bytes | None = None):
        super().__init__(message)
        self.message = message
        self.screenshot = screenshot


class SupplierUnavailableError(SupplierError):
    """The supplier's pages kept failing (HTTP 500, "try again") before the place-order click."""

    code = "supplier_unavailable"
    may_have_bought = False
    retryable = True


class OutOfStockError(SupplierError):
    code = "out_of_stock"
    may_have_bought = False  # the shop refused the order: nothing was placed
    supplier_said_no = True


class PriceAboveLimitError(SupplierError):
    """Our price guard refused the review page's total (always before the click)."""

    code = "price_above_limit"
    may_have_bought = False


class LoginFailedError(SupplierError):
    code = "login_failed"
    may_have_bought = False


# What stopped a bot, as a person would name it (the hand-off shows it and picks the helper:
# a live view for the pictures and gestures, a code box for the codes).
CHALLENGE_KINDS = {
    "captcha": "a picture or text captcha",
    "slider": 'a "slide to verify" slider',
    "press_hold": 'a "press and hold" button',
    "bot_check": "a browser check the bot did not pass (JavaScript or firewall)",
    "code": "a one-time code sent by e-mail or SMS",
    "approve": "an approval on the account holder's phone",
    "blocked": "the site refused the account or this browser",
}


class BlockedError(SupplierError):
    """A captcha, bot wall or second-factor page a bot cannot pass. ``challenge`` is one of
    CHALLENGE_KINDS (what a person would have to do)."""

    code = "challenge"

    def __init__(self, message: str, *, challenge: str = "blocked", screenshot=None):
        if challenge not in CHALLENGE_KINDS:
            raise ValueError(f"unknown challenge kind {challenge!r}")
        super().__init__(message, screenshot=screenshot)
        self.challenge = challenge


class PaymentDeclinedError(SupplierError):
    code = "payment_declined"
    may_have_bought = False  # the shop says so after the click: definite, nothing was placed
    supplier_said_no = True


class GiftCardBalanceLowError(SupplierError):
    """The gift-card balance does not cover the order (the supplier said so at checkout, or the
    review page's balance is below its total): nothing was placed; the sale waits for a top-up."""

    code = "gift_card_low"
    may_have_bought = False

    def __init__(self, message: str, *, balance: Decimal | None = None, **kw):
        super().__init__(message, **kw)
        self.balance = balance


class PageChangedError(SupplierError):
    """An expected element is missing: the supplier changed its page."""

    code = "page_changed"


class VariantNotOfferedError(SupplierError):
    """The listing's variant (SKU text) names an option or value the product page does not offer:
    the listing needs fixing; nothing was added."""

    code = "variant_not_offered"
    may_have_bought = False


class ShippingMethodError(SupplierError):
    """No shipping method the checkout offers fits the listing's shipping rule."""

    code = "no_shipping_method"
    may_have_bought = False


class AddressRejectedError(SupplierError):
    code = "address_rejected"
    may_have_bought = False


class WrongContentsError(SupplierError):
    """The supplier placed an order, but its confirmation shows other items, quantities or
    ship-to than we asked for (e.g. someone else used the account's cart at the same time)."""

    code = "wrong_contents"
    may_have_bought = True  # it was bought: purchasing records it and stops for a person

    def __init__(self, message: str, *, supplier_order_number: str, screenshots=None):
        super().__init__(message)
        self.supplier_order_number = supplier_order_number
        self.screenshots = screenshots or {}


def contents_mismatch(
    request: "PurchaseRequest", expected_item: str, lines: list, ship_name, ship_postal
) -> str | None:
    """Compare a confirmation's ``lines`` [(item id, quantity)] and ship-to with the request;
    return what differs, in words, or None when it is exactly what we asked for."""
    problems = []
    wanted = [(expected_item, request.quantity)]
    got = [(str(item), int(quantity)) for item, quantity in lines]
    if got != wanted:
        problems.append(f"items {got}, expected {wanted}")
    norm = lambda v: " ".join(str(v or "").split()).casefold()  # noqa: E731
    if norm(ship_name) != norm(request.ship_to.name):
        problems.append("the ship-to name differs")
    postal = lambda v: norm(v).replace(" ", "").replace("-", "")  # noqa: E731
    if postal(ship_postal) != postal(request.ship_to.postal_code):
        problems.append("the ship-to postal code differs")
    return "; ".join(problems) or None


class AmbiguousMatchError(SupplierError):
    """Recovery found more than one order in the supplier's history that fits the attempt: a
    person must say which (never a second buy)."""

    code = "ambiguous_match"
    may_have_bought = True


class URLNotAllowedError(SupplierError):
    """The listing's supplier URL leaves the supplier's site (autoorder.netguard); nothing
    opened."""

    code = "url_not_allowed"
    may_have_bought = False  # raised before anything is opened


class UnknownSupplierError(KeyError):
    """No adapter is registered under that supplier key."""


# --- shared helpers ----------------------------------------------------------------------------
def session_from_storage_state(state: dict | None) -> requests.Session:
    """Return a requests Session carrying the cookies of a Playwright storage state (for tracking
    GETs)."""
    session = requests.Session()
    for cookie in (state or {}).get("cookies", []):
        expires = cookie.get("expires")
        session.cookies.set_cookie(
            requests.cookies.create_cookie(
                cookie["name"],
                cookie["value"],
                domain=cookie.get("domain", ""),
                path=cookie.get("path", "/"),
                secure=bool(cookie.get("secure")),
                expires=int(expires) if expires and expires > 0 else None,
                rest={"HttpOnly": None} if cookie.get("httpOnly") else {},
            )
        )
    return session


# Playwright steps every adapter needs; a missing element is a PageChangedError naming the selector.
PAGE_WAIT_MS = (
    5_000  # an expected element: a changed page fails in seconds, not at the 15 s default
)
SUBMIT_WAIT_MS = 30_000  # a form submit and the page it leads to


# Each Playwright call is a round trip to the driver and the browser (≈ 5–10 ms): the helpers act on
# the element directly (Playwright waits for it) instead of waiting for it first, and ``which``
# looks up all candidates at once.
def need(page, selector: str, timeout: int = PAGE_WAIT_MS):
    """Return the first element matching ``selector``; raise PageChangedError if it never
    appears."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    locator = page.locator(selector).first
    try:
        locator.wait_for(state="attached", timeout=timeout)
    except PlaywrightTimeoutError:
        raise missing_element(page, selector) from None
    return locator


def act(page, selector: str, action: str, *args, timeout: int = PAGE_WAIT_MS, **kwargs):
    """``locator.<action>(*args)`` on the first element matching ``selector`` (fill, click, check,
    input_value, get_attribute, inner_text, select_option…); PageChangedError if it never becomes
    usable."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        return getattr(page.locator(selector).first, action)(*args, timeout=timeout, **kwargs)
    except PlaywrightTimeoutError:
        raise missing_element(page, selector) from None


def missing_element(page, selector: str) -> "PageChangedError":
    return PageChangedError(f"expected element {selector} is missing on {page.url}")


FIRST_PRESENT_JS = """selectors => {
  for (let i = 0; i < selectors.length; i++) {
    try { if (document.querySelector(selectors[i])) return i; } catch (e) { return -2; }
  }
  return -1;
}"""


def which(page, expected: dict[str, str], timeout: int = PAGE_WAIT_MS) -> str:
    """Wait until one of the ``expected`` selectors is on the page; return the first matching key.

    One round trip when the page is already there (the usual case: ``submit`` and ``goto`` have
    waited for the load): look first, and wait only when none is on the page yet."""
    keys = list(expected)
    selectors = list(expected.values())
    index = first_present(page, selectors)
    if index == -1:  # not there yet (or the page was still navigating): wait, then look again
        need(page, ", ".join(selectors), timeout)
        index = first_present(page, selectors)
    if index == -2:  # not plain CSS (a Playwright-only selector): ask Playwright one by one
        need(page, ", ".join(selectors), timeout)
        index = next((i for i, key in enumerate(keys) if page.locator(expected[key]).count()), -1)
    if index < 0:  # the page moved on between the wait and the look
        raise PageChangedError(f"none of {', '.join(selectors)} is on {page.url}")
    return keys[index]


def first_present(page, selectors: list[str]) -> int:
    """Index of the first of ``selectors`` on the page now; -1 for none (or a page between two
    documents), -2 when one is not plain CSS."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return page.evaluate(FIRST_PRESENT_JS, selectors)
    except PlaywrightError as exc:  # "Execution context was destroyed": a navigation is under way
        if "context" in str(exc) or "navigat" in str(exc):
            return -1
        raise


def submit(page, selector: str, timeout: int = SUBMIT_WAIT_MS) -> None:
    """Click ``selector`` and wait for the page the click leads to."""
    with page.expect_navigation(
        timeout=timeout
    ):  # a slow answer is the navigation's wait, not the click's
        act(page, selector, "click", no_wait_after=True)


def text_of(page, selector: str) -> str:
    """Return the element's visible text with whitespace collapsed."""
    return " ".join(act(page, selector, "inner_text").split())


def amount_of(page, selector: str, attribute: str = "data-amount") -> Decimal:
    """Return the money amount in the element's ``attribute``; PageChangedError if it is not one."""
    return to_amount(act(page, selector, "get_attribute", attribute), selector, attribute)


def to_amount(raw, selector: str, attribute: str = "data-amount") -> Decimal:
    try:
        return Decimal(raw)
    except (InvalidOperation, TypeError):
        raise PageChangedError(f"{selector} has no {attribute} amount (got {raw!r})") from None


# --- the interface -----------------------------------------------------------------------------
class SupplierAdapter(ABC):
    key: str
    display_name: str
    default_base_url: str  # the supplier's site; a Supplier row may point elsewhere (a replica)
    SELECTORS: dict = {}  # {page: {name: [fallbacks]}}; see autoorder.scrapers.selectors
    # The supplier's own hosts (subdomains included): a listing's product URL must be on one of
    # them or on the host and port of the supplier's configured base URL (autoorder.netguard).
    hosts: tuple[str, ...] = ()

    def __init__(self, base_url: str, selector_override: dict | None = None):
        from autoorder.scrapers.selectors import Selectors

        self.base_url = base_url.rstrip("/")
        self.s = Selectors(self.SELECTORS, selector_override)

    @classmethod
    def product_ref(cls, text: str, base_url: str) -> str | None:
        """The product page URL (on ``base_url``) for what a seller pasted in a listing: a product
        URL of this supplier (any of its hosts, country sites, tracking parameters, short links) or
        a bare product id (an AliExpress item id, an ASIN). None when not recognised: the text is
        then checked as a URL as given. Pure (no network)."""
        return None

    def product_page(self, product_url: str) -> str:
        """The absolute product URL to open; URLNotAllowedError if it leaves the supplier."""
        from autoorder import netguard

        try:
            return netguard.product_page(self.base_url, product_url, self.hosts)
        except netguard.UnsafeURLError as exc:
            raise URLNotAllowedError(f"Not opening the product URL: {exc}") from None

    def request_guard(self):
        """A Playwright route handler for the job's browser: no requests to internal addresses
        other than this supplier's own configured host."""
        from autoorder import netguard

        return netguard.guard(self.base_url, self.hosts)

    @abstractmethod
    def login(self, page, credentials: Credentials) -> None:
        """Make ``page``'s context logged in (reusing saved cookies when still valid)."""

    # --- the human hand-off (autoorder.handoff): a person passes a challenge in the live view ----
    # {challenge kind: selector of the page element that shows it}; an adapter lists the
    # challenges its site shows, so the hand-off can tell when the person has passed one.
    CHALLENGE_SELECTORS: dict[str, str] = {}

    def challenge_on(self, page) -> str | None:
        """The challenge kind the page shows now, or None when none of CHALLENGE_SELECTORS is on
        it. Never navigates (a person may be in the middle of a drag)."""
        selectors = self.CHALLENGE_SELECTORS
        if not selectors:
            return None
        # page.evaluate, not first_present: a page between two documents raises here, so that
        # the hand-off never takes "navigating" for "the challenge is gone"
        index = page.evaluate(FIRST_PRESENT_JS, list(selectors.values()))
        return list(selectors)[index] if index is not None and index >= 0 else None

    def enter_code(self, page, code: str) -> None:
        """Type a one-time code a person read from their phone or mailbox into the page's code
        form and submit it (the code box of the hand-off). PageChangedError where there is none."""
        raise PageChangedError(f"{self.display_name} has no one-time code form to fill")

    # --- the checkout skeleton: the base owns the order of steps and the one-click rule --------
    # An adapter supplies the steps below; it never overrides ``place_order`` (a test checks every
    # registered adapter). Before the click any step may raise; the guard may refuse; the click
    # happens at most once; after it, only ``read_confirmation`` runs, and nothing is retried.
    def place_order(
        self, page, request: PurchaseRequest, credentials: Credentials, before_place=None
    ) -> PlacedOrder:
        """Buy ``request`` on a signed-in ``page``: empty the cart, add the item, walk the
        checkout, read the review, call ``before_place(totals)`` (the guard: it may raise, then
        nothing is clicked), click place-order once, read and verify the confirmation."""
        item, totals = self.walk_to_review(page, request, credentials)
        self.prepare_place(page, request)
        review_png = page.screenshot(full_page=True)
        if before_place is not None:
            before_place(totals)  # may raise (price guard, lost lease): then nothing is clicked
        self.click_place_order(page)  # the one click; from here on, read only
        confirmation = self.read_confirmation(page, request, item, totals)
        screenshots = {"review": review_png, "confirmation": page.screenshot(full_page=True)}
        mismatch = contents_mismatch(
            request, item, confirmation.lines, confirmation.ship_name, confirmation.ship_postal
        )
        if mismatch:
            raise WrongContentsError(
                mismatch,
                supplier_order_number=confirmation.supplier_order_number,
                screenshots=screenshots,
            )
        return PlacedOrder(confirmation.supplier_order_number, confirmation.total, screenshots)

    def walk_to_review(
        self, page, request: PurchaseRequest, credentials: Credentials, steps=None
    ) -> tuple[str, ReviewTotals]:
        """Every step up to the review page (also the canary's dry run, which stops here);
        returns the supplier's item id and the review totals. ``steps(name)`` is told each step's
        name before it runs (the canary reports per step)."""
        tell = steps or (lambda _name: None)
        tell("empty_cart")
        self.empty_cart(page)
        tell("add_to_cart")
        item = self.add_to_cart(page, request)
        tell("checkout")
        self.checkout(page, request, credentials)
        tell("review")
        return item, self.read_review(page, request, item)

    @abstractmethod
    def empty_cart(self, page) -> None:
        """Remove whatever an earlier, failed run left in the account's cart."""

    @abstractmethod
    def add_to_cart(self, page, request: PurchaseRequest) -> str:
        """Open the product, choose ``request.variant`` and quantity, add it to the cart; return
        the supplier's id of what was added (variant id / SKU), as the review and confirmation
        show it. OutOfStockError when it cannot be had."""

    @abstractmethod
    def checkout(self, page, request: PurchaseRequest, credentials: Credentials) -> None:
        """From the cart to the review page: address, shipping choice, payment (card or
        gift-card/balance), interstitials. Retrying a failed page is allowed here (before the
        click) — SupplierUnavailableError when it keeps failing."""

    @abstractmethod
    def read_review(self, page, request: PurchaseRequest, item: str) -> ReviewTotals:
        """Read the review page: it must list only ``item`` x quantity; return its totals."""

    def prepare_place(self, page, request: PurchaseRequest) -> None:
        """Last touches before the guard (e.g. our reference in the order note, where the
        supplier keeps one). Nothing irreversible."""
        return None

    @abstractmethod
    def click_place_order(self, page) -> None:
        """Click place-order once and wait for the page it leads to. Never retries."""

    @abstractmethod
    def read_confirmation(
        self, page, request: PurchaseRequest, item: str, totals: ReviewTotals
    ) -> "Confirmation":
        """After the click: read what was placed (number, total, lines, ship-to). Read only: a
        definite refusal is its error (PaymentDeclinedError, OutOfStockError), anything unclear
        another SupplierError (the order is then looked up, never bought again)."""

    @abstractmethod
    def find_order(
        self, page, credentials: Credentials, request: PurchaseRequest, placed_after
    ) -> FoundOrder | None:
        """On a signed-in ``page``, look in the order history for the order ``request`` may have
        placed at or after ``placed_after`` (an aware datetime): matched by item (product/variant),
        quantity, ship-to name and postal code, and by ``request.reference`` where the supplier
        keeps an order note. None when nothing fits; AmbiguousMatchError when several do."""

    @abstractmethod
    def tracking_url(self, supplier_order_number: str) -> str:
        """Return the page that shows this order's shipment."""

    @abstractmethod
    def parse_tracking(self, html: str) -> TrackingInfo:
        """Read carrier and tracking number from an order page (pure: HTML in, data out)."""

    tracking_in_browser = False  # True: the order page needs a browser (scripts, bot walls)

    def fetch_tracking_html_in_browser(self, page, supplier_order_number: str) -> str:
        """Open the order page in the signed-in ``page`` and return its HTML."""
        page.goto(self.tracking_url(supplier_order_number))
        return page.content()

    def fetch_tracking_html(self, session: requests.Session, supplier_order_number: str) -> str:
        """GET the order page with the bot's session cookies; raise LoginFailedError if logged
        out."""
        response = session.get(self.tracking_url(supplier_order_number), timeout=20)
        if response.status_code in (401, 403) or "/login" in response.url:
            raise LoginFailedError("the saved supplier session has expired")
        response.raise_for_status()
        return response.text
