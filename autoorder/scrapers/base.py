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


@dataclass(frozen=True)
class PurchaseRequest:
    product_url: str
    variant: str | None  # the supplier's variant label, e.g. "Black / L"
    quantity: int
    ship_to: Address
    reference: str  # our stable marker, written into the supplier's order note
    max_total: Decimal | None  # refuse to place above this (price guard)


# --- what an adapter returns -------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewTotals:
    item: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class PlacedOrder:
    supplier_order_number: str
    total: Decimal
    screenshots: dict = field(default_factory=dict)  # kind -> PNG bytes


@dataclass(frozen=True)
class TrackingInfo:
    status: str  # shipped | processing | cancelled
    carrier: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class FoundOrder:
    supplier_order_number: str
    total: Decimal | None = None


# --- errors: code is the reason shown on the order ---------------------------------------------
class SupplierError(Exception):
    code = "unknown"
    retryable = False  # True only where nothing can have been bought

    def __init__(self, message: str, *, screenshot: bytes | None = None):
        super().__init__(message)
        self.message = message
        self.screenshot = screenshot


class OutOfStockError(SupplierError):
    code = "out_of_stock"


class PriceAboveLimitError(SupplierError):
    code = "price_above_limit"


class LoginFailedError(SupplierError):
    code = "login_failed"


class BlockedError(SupplierError):
    """A captcha, bot wall or second-factor page a bot cannot pass."""

    code = "challenge"


class PaymentDeclinedError(SupplierError):
    code = "payment_declined"


class PageChangedError(SupplierError):
    """An expected element is missing: the supplier changed its page."""

    code = "page_changed"


class AddressRejectedError(SupplierError):
    code = "address_rejected"


class WrongContentsError(SupplierError):
    """The supplier placed an order, but its confirmation shows other items, quantities or
    ship-to than we asked for (e.g. someone else used the account's cart at the same time)."""

    code = "wrong_contents"

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


class UnknownSupplierError(KeyError):
    """No adapter is registered under that supplier key."""


# --- shared helpers ----------------------------------------------------------------------------
def session_from_storage_state(state: dict | None) -> requests.Session:
    """Return a requests Session carrying the cookies of a Playwright storage state (for tracking GETs)."""
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
# the element directly (Playwright waits for it) instead of waiting for it first, and ``which`` looks
# up all candidates at once.
def need(page, selector: str, timeout: int = PAGE_WAIT_MS):
    """Return the first element matching ``selector``; raise PageChangedError if it never appears."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    locator = page.locator(selector).first
    try:
        locator.wait_for(state="attached", timeout=timeout)
    except PlaywrightTimeoutError:
        raise missing_element(page, selector) from None
    return locator


def act(page, selector: str, action: str, *args, timeout: int = PAGE_WAIT_MS, **kwargs):
    """``locator.<action>(*args)`` on the first element matching ``selector`` (fill, click, check,
    input_value, get_attribute, inner_text, select_option…); PageChangedError if it never becomes usable."""
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
    """Wait until one of the ``expected`` selectors is on the page; return the first matching key."""
    need(page, ", ".join(expected.values()), timeout)
    keys = list(expected)
    index = page.evaluate(FIRST_PRESENT_JS, list(expected.values()))
    if index == -2:  # not plain CSS (a Playwright-only selector): ask Playwright one by one
        index = next((i for i, key in enumerate(keys) if page.locator(expected[key]).count()), -1)
    if index < 0:  # the page moved on between the wait and the look
        raise PageChangedError(f"none of {', '.join(expected.values())} is on {page.url}")
    return keys[index]


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

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    @abstractmethod
    def login(self, page, credentials: Credentials) -> None:
        """Make ``page``'s context logged in (reusing saved cookies when still valid)."""

    @abstractmethod
    def place_order(
        self, page, request: PurchaseRequest, credentials: Credentials, before_place=None
    ) -> PlacedOrder:
        """Buy ``request`` on ``page``; call ``before_place(totals)`` right before the click.

        ``before_place`` may raise to stop (price guard, lost lease); after it returns the
        click may happen, so the caller treats any later failure as ambiguous.
        """

    @abstractmethod
    def find_order(self, page, credentials: Credentials, reference: str) -> FoundOrder | None:
        """Log in if needed and look for an order carrying our reference in the order history."""

    @abstractmethod
    def tracking_url(self, supplier_order_number: str) -> str:
        """Return the page that shows this order's shipment."""

    @abstractmethod
    def parse_tracking(self, html: str) -> TrackingInfo:
        """Read carrier and tracking number from an order page (pure: HTML in, data out)."""

    def fetch_tracking_html(self, session: requests.Session, supplier_order_number: str) -> str:
        """GET the order page with the bot's session cookies; raise LoginFailedError if logged out."""
        response = session.get(self.tracking_url(supplier_order_number), timeout=20)
        if response.status_code in (401, 403) or "/login" in response.url:
            raise LoginFailedError("the saved supplier session has expired")
        response.raise_for_status()
        return response.text
