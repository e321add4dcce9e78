"""Amazon's pages read without a browser (pure: HTML string in, data out): the sign-in state, the
order history, an order's details, the tracking (ship-track) page, and a pasted product reference.

Selectors live in ``autoorder.scrapers.amazon.SELECTORS`` (one place, overridable per supplier);
every function here takes the adapter's ``Selectors`` so an override reaches them too. What was
checked against a real saved page is proved by the golden tests (tests/scrapers/fixtures/amazon/).
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import urlparse

import lxml.html
from bs4 import BeautifulSoup
from cssselect import HTMLTranslator, SelectorError
from cssselect.xpath import is_non_whitespace
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError

from autoorder.scrapers.base import PageChangedError

ORDER_NUMBER = re.compile(r"\b([0-9A-Z]\d{2}-\d{7}-\d{7})\b")
ASIN = re.compile(r"^(B0[0-9A-Z]{8}|\d{9}[\dX])$")
ASIN_IN_PATH = re.compile(
    r"/(?:dp|gp/product|gp/aw/d|o/ASIN|exec/obidos/ASIN)/([0-9A-Z]{10})(?:[/?]|$)"
)
POSTAL = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
MONEY = re.compile(r"-?\$?\s*-?([\d,]+\.\d\d)")
# ship-track pages put the parts after one another; the combined page carries this marker between
TRACK_MARKER = "<!-- autoorder:ship-track -->"

# The sign-in states in the order they are checked (first match wins). Each names a selector.
AUTH_STATES = (
    ("bot_check", "auth_bot_check"),
    ("captcha", "auth_captcha"),
    ("email_code", "auth_email_code"),
    ("wrong_code", "auth_wrong_code"),
    ("code_entry", "auth_code_entry"),
    ("otp_limit", "auth_otp_limit"),
    ("device_choice", "auth_device_choice"),
    ("intent", "auth_intent"),
    ("login_error", "auth_login_error"),
    ("password", "auth_password"),
    ("email", "auth_email"),
    ("signed_in", "signed_in"),
    ("mobile_home", "auth_mobile_home"),
    ("signed_out", "auth_signed_out"),
)


def money(text: str | None) -> Decimal | None:
    match = MONEY.search((text or "").replace("\xa0", " "))
    if match is None:
        return None
    try:
        value = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return None
    return -value if "-" in (text or "").split(match.group(1))[0] else value


# The order history is read with lxml and cssselect (≈ 20x faster than building a BeautifulSoup
# tree: bench/parse_amazon_history.py); a selector cssselect cannot translate (an override using
# what only soupsieve knows) falls back to BeautifulSoup. Both kinds of node go through these.
class _QuickClassTranslator(HTMLTranslator):
    """``.name`` tests a plain substring first (cheap in libxml2) before the exact word match:
    the same elements, ≈ 4x faster on a page of thousands of elements without that class."""

    def xpath_attrib_includes(self, xpath, name, value):
        if value and is_non_whitespace(value):
            xpath.add_condition(
                f"{name} and contains({name}, {self.xpath_literal(value)}) and "
                f"contains(concat(' ', normalize-space({name}), ' '), "
                f"{self.xpath_literal(' ' + value + ' ')})"
            )
        else:
            xpath.add_condition("0")
        return xpath


_TRANSLATOR = _QuickClassTranslator()


@lru_cache(maxsize=512)
def _compiled(css: str) -> CSSSelector:
    return CSSSelector(css, translator=_TRANSLATOR)


def _select(node, css: str) -> list:
    if isinstance(node, lxml.html.HtmlElement):
        return _compiled(css)(node)
    return node.select(css)


def _script_text(node) -> str:
    if node is None:
        return ""
    return (node.text if isinstance(node, lxml.html.HtmlElement) else node.string) or ""


def _text(node) -> str:
    if node is None:
        return ""
    if isinstance(node, lxml.html.HtmlElement):
        return " ".join(" ".join(node.itertext()).split())
    return " ".join(node.get_text(" ").split())


def _lines(node) -> list[str]:
    raw = (
        "\n".join(node.itertext())
        if isinstance(node, lxml.html.HtmlElement)
        else node.get_text("\n")
    )
    return [" ".join(x.split()) for x in raw.split("\n") if x.strip()]


def _first(soup, s, name):
    """The first element matching the named selector's fallbacks, in their order."""
    for selector in s.each(name):
        found = _select(soup, selector)
        if found:
            return found[0]
    return None


def _all(soup, s, name) -> list:
    for selector in s.each(name):
        found = _select(soup, selector)
        if found:
            return found
    return []


# --- sign-in ------------------------------------------------------------------------------------
def auth_state(html: str, s) -> tuple[str, str]:
    """(state, message) of a page met while signing in; state is one of AUTH_STATES' names or
    "unknown". ``message`` is the page's own error text (Amazon's words, no personal data)."""
    soup = BeautifulSoup(html, "lxml")
    for state, name in AUTH_STATES:
        if _first(soup, s, name) is not None:
            error = _first(soup, s, "auth_error")
            return state, _text(error)
    return "unknown", ""


# --- the order history and an order's details -----------------------------------------------------
@dataclass(frozen=True)
class Shipment:
    status: str  # processing | shipped | delivered | returned | cancelled | unknown
    status_text: str
    track_url: str | None
    asins: tuple = ()


@dataclass(frozen=True)
class AmazonOrder:
    number: str = field(repr=False)  # reprs and logs show no order number, name or address
    placed: date | None
    total: Decimal | None
    status: str
    asins: tuple = ()
    quantities: tuple = ()  # (asin, quantity) where the page says it (details pages)
    ship_name: str | None = field(default=None, repr=False)
    ship_postal: str | None = field(default=None, repr=False)
    shipments: tuple = ()


def shipment_status(text: str) -> str:
    t = text.casefold()
    if not t:
        return "unknown"
    if "cancel" in t:
        return "cancelled"
    if "return" in t or "refund" in t:
        return "returned"
    if "delivered" in t or "picked up" in t or "purchased at" in t:
        return "delivered"
    if any(w in t for w in ("arriving", "shipped", "out for delivery", "on the way", "in transit")):
        return "shipped"
    if any(w in t for w in ("preparing", "not yet shipped", "ordered", "processing")):
        return "processing"
    return "unknown"


def order_status(shipments, cancelled: bool) -> str:
    if cancelled:
        return "cancelled"
    states = [sh.status for sh in shipments if sh.status != "unknown"]
    for state in ("processing", "shipped", "returned", "delivered", "cancelled"):
        if states and all(x == state for x in states):
            return state
    if "processing" in states:
        return "processing"
    if states and all(x in ("delivered", "returned", "cancelled") for x in states):
        return "delivered"  # some parcels came back or were cancelled, the rest arrived
    return "shipped" if states else "unknown"


def _asins(tag, s=None, name=None) -> tuple:
    found = []
    links = _all(tag, s, name) if s is not None else _select(tag, "a[href]")
    for a in links:
        match = ASIN_IN_PATH.search((a.get("href") or "").split("?", 1)[0])
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return tuple(found)


def _placed(text: str) -> date | None:
    for match in re.finditer(r"([A-Z][a-z]+ \d{1,2}, \d{4})", text):
        try:
            return datetime.strptime(match.group(1), "%B %d, %Y").date()
        except ValueError:
            continue
    return None


def _recipient(tag, s) -> tuple[str | None, str | None]:
    """Ship-to name and ZIP of an order-details page (its address block)."""
    return _recipient_block(_first(tag, s, "order_address"), s)


def _recipient_block(block, s) -> tuple[str | None, str | None]:
    """Name and ZIP of an address block (details) or of the history's ship-to popover (kept in a
    ``shipToData`` script: the name in its heading)."""
    if block is None:
        return None, None
    name = _first(block, s, "order_address_name")
    postal_line = _first(block, s, "order_address_postal")
    lines = _lines(block)
    name_text = _text(name) if name is not None else None
    if name_text is None:
        heading = (_select(block, "h5") or [None])[0]
        name_text = _text(heading) if heading is not None else (lines[0] if lines else None)
    postal = POSTAL.findall(_text(postal_line) if postal_line is not None else " ".join(lines))
    return name_text or None, (postal[-1] if postal else None)


def _shipments(tag, s) -> tuple:
    shipments = []
    for box in _all(tag, s, "shipment"):
        status_text = _text(_first(box, s, "shipment_status"))
        link = _first(box, s, "shipment_track_link")
        shipments.append(
            Shipment(
                shipment_status(status_text),
                status_text[:80],
                link.get("href") if link is not None else None,
                _asins(box),
            )
        )
    return tuple(shipments)


def _number(tag, s) -> str | None:
    for selector in s.each("order_number"):
        for el in _select(tag, selector):
            match = ORDER_NUMBER.search(_text(el))
            if match:
                return match.group(1)
    return None


def subtotal(tag, s, label: str) -> Decimal | None:
    """The amount of the subtotal row whose label contains ``label`` (details page)."""
    for row in _all(tag, s, "order_subtotal_row"):
        if _select(row, ".a-popover-preload"):
            continue
        cells = _select(row, "div.a-column, span")
        if label in _text(row).casefold() and cells:
            value = money(_text(cells[-1])) or money(_text(row))
            if value is not None:
                return value
    return None


def _cancelled(tag, s) -> bool:
    for el in _all(tag, s, "order_cancelled"):
        if "cancel" in _text(el).casefold():
            return True
    return False


def read_order_history(html: str, s) -> list[AmazonOrder]:
    """The orders on one order-history page, newest first; PageChangedError if it is not one."""
    try:
        return _read_order_history(lxml.html.document_fromstring(html.encode("utf-8")), s)
    except SelectorError:  # an override only soupsieve understands
        return _read_order_history(BeautifulSoup(html, "lxml"), s)


def _read_order_history(soup, s) -> list[AmazonOrder]:
    cards = _all(soup, s, "order_card")
    if not cards and _first(soup, s, "order_history") is None:  # (a whole-page look: only here)
        raise PageChangedError("not an Amazon order-history page (no order list container)")
    orders = []
    for card in cards:
        number = ORDER_NUMBER.search(_text(_first(card, s, "history_number")))
        if number is None:
            continue
        shipments = []
        for box in _all(card, s, "history_shipment"):
            status_text = _text(_first(box, s, "history_status"))
            link = _first(box, s, "shipment_track_link")
            shipments.append(
                Shipment(
                    shipment_status(status_text),
                    status_text[:80],
                    link.get("href") if link is not None else None,
                    _asins(box, s, "history_items"),
                )
            )
        script = _first(card, s, "history_ship_to")
        name, postal = _recipient_block(_parse_fragment(_script_text(script)), s)
        orders.append(
            AmazonOrder(
                number.group(1),
                _placed(_text(_first(card, s, "history_header"))),
                money(_text(_first(card, s, "history_total"))),
                order_status(shipments, False),
                _asins(card, s, "history_items"),
                (),
                name,
                postal,
                tuple(shipments),
            )
        )
    return orders


def _parse_fragment(html: str):
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(html)
    except ParserError:
        return None


def read_order_details(html: str, s) -> AmazonOrder:
    """One order-details page: number, date, total, status, items, ship-to and shipments."""
    soup = BeautifulSoup(html.split(TRACK_MARKER, 1)[0], "lxml")
    root = _first(soup, s, "order_details")
    if root is None:
        raise PageChangedError("not an Amazon order-details page (no #orderDetails)")
    number = _number(root, s)
    if number is None:
        raise PageChangedError("the order-details page shows no order number")
    shipments = _shipments(root, s)
    name, postal = _recipient(root, s)
    quantities: dict[str, int] = {}  # per ASIN, over all shipments (a split order ships apart)
    for item in _all(root, s, "order_item"):
        asins = _asins(item)
        if not asins:
            continue
        qty = _first(item, s, "order_item_quantity")
        quantities[asins[0]] = quantities.get(asins[0], 0) + (
            int(_text(qty)) if _text(qty).isdigit() else 1
        )
    date_node = _first(root, s, "order_date")
    return AmazonOrder(
        number,
        _placed(_text(date_node) if date_node is not None else _text(root)[:2000]),
        subtotal(root, s, "grand total"),
        order_status(shipments, _cancelled(root, s)),
        _asins(root),
        tuple(quantities.items()),
        name,
        postal,
        shipments,
    )


# --- the tracking page ----------------------------------------------------------------------------
CARRIERS = (
    ("TBA", "Amazon Logistics"),
    ("1Z", "UPS"),
)


def read_ship_track(html: str, s) -> tuple[str | None, str | None, str]:
    """(carrier, tracking id, status) of a ship-track page. From Amazon's documented page (no real
    copy saved): "Shipped with UPS" / "Tracking ID: 1Z…" in the carrier-info block."""
    soup = BeautifulSoup(html, "lxml")
    info = _first(soup, s, "track_carrier_info")
    text = _text(info if info is not None else soup.body)
    if "tracking id" not in text.casefold() and info is None:
        raise PageChangedError("the ship-track page shows no carrier information or Tracking ID")
    number = re.search(r"Tracking ID:?\s*([A-Z0-9]{8,40})", text, re.I)
    carrier = re.search(
        r"(?:Shipped with|Delivered by|Carrier:?)\s+(.+?)(?:\s+Tracking ID|$)", text
    )
    status_node = _first(soup, s, "track_status")
    tracking = number.group(1) if number else None
    carrier_name = carrier.group(1).strip() if carrier else None
    if carrier_name and carrier_name.casefold() in ("amazon", "amazon.com"):
        carrier_name = "Amazon Logistics"
    if carrier_name is None and tracking:
        carrier_name = next((c for p, c in CARRIERS if tracking.upper().startswith(p)), None)
    return carrier_name, tracking, shipment_status(_text(status_node))


# --- what a seller pastes in a listing -----------------------------------------------------------
SHORT_HOSTS = ("amzn.to", "a.co", "amzn.com", "amzn.eu", "amzn.asia")


class ShortLinkError(ValueError):
    """A short Amazon link (amzn.to, a.co) cannot be opened offline: ask for the full URL."""


def asin_in_path(url: str) -> str | None:
    """The ASIN of a product URL on any host (the supplier's own, or a replica's)."""
    match = ASIN_IN_PATH.search(urlparse(url).path + "/")
    return match.group(1) if match else None


def asin_of(text: str) -> str | None:
    """The ASIN in a product URL of any Amazon site or a bare ASIN / ISBN-10; None if not one.
    ShortLinkError for a short link (it only redirects; resolving it would mean a request)."""
    value = (text or "").strip()
    if ASIN.match(value.upper()) and (value.upper().startswith("B0") or value[:9].isdigit()):
        return value.upper()
    url = urlparse(value if "//" in value else f"https://{value}")
    host = (url.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if host in SHORT_HOSTS:
        raise ShortLinkError(
            f"{host} is a short link: open it in a browser and paste the full amazon.com "
            "product URL (…/dp/ASIN)"
        )
    if not re.match(r"^(smile\.)?amazon\.[a-z.]+$", host):
        return None
    match = ASIN_IN_PATH.search(url.path + ("/" if not url.path.endswith("/") else ""))
    return match.group(1) if match else None
