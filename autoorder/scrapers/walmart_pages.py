"""Walmart: what the adapter reads, as pure functions (text in, data out).

A pasted product reference (``/ip/<slug>/<itemId>``, a bare item id), the page data Walmart's
Next.js pages carry as ``<script id="__NEXT_DATA__">`` JSON (product, order history, order), the
order as Walmart's ``getOrder`` JSON shapes it (``groups_2101``; the names public order clients
read: eshaffer321/walmart-client-go ``models.go``), its shipments as packages, the ship-to as
Walmart's address form wants it, and money. The selectors come from the adapter
(``autoorder.scrapers.walmart.SELECTORS``, with the supplier's override).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from autoorder.scrapers import base
from autoorder.scrapers.amazon_pages import order_status
from autoorder.scrapers.base import AddressRejectedError, PageChangedError

# --- product references ---------------------------------------------------------------------------
# Item ids (usItemId) are 5–13 digits: /ip/Super-Mario-Odyssey-Nintendo-Switch/56011600,
# /ip/Apple-AirPods-Pro-…/1752657021 (public bots open these).
ITEM_ID = re.compile(r"^\d{5,13}$")
ITEM_PATH = re.compile(r"/ip/(?:[^/?#]+/)?(\d{5,13})/?$")
SHORT_HOSTS = ("walmrt.us", "wlmrt.us", "w-mt.co")


class ShortLinkError(ValueError):
    """A short Walmart link only redirects; resolving it would mean a request."""


def item_id_of(text: str) -> str | None:
    """The item id of a pasted Walmart product URL (``/ip/<slug>/<id>``, ``/ip/<id>``, tracking
    parameters, www/m/no host prefix) or a bare item id; None otherwise. ShortLinkError for a
    short link."""
    raw = (text or "").strip()
    if ITEM_ID.match(raw):
        return raw
    if "://" not in raw and raw.lower().startswith(("www.", "walmart.", "m.", "walmrt.", "wlmrt.")):
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    if host in SHORT_HOSTS:
        raise ShortLinkError(
            f"{host} is a short link: open it in a browser and paste the full walmart.com "
            "product URL (…/ip/<name>/<item id>)"
        )
    match = ITEM_PATH.search(parts.path)
    return match.group(1) if match else None


def item_url(base_url: str, item_id: str) -> str:
    return f"{base_url.rstrip('/')}/ip/{item_id}"


# --- page data ------------------------------------------------------------------------------------
def page_data(html: str, s) -> dict:
    """``props.pageProps.initialData.data`` of a page's ``__NEXT_DATA__`` script, or the ``data``
    of a getOrder JSON answer; PageChangedError when there is neither."""
    text = html.lstrip()
    if text.startswith("{"):
        try:
            return json.loads(text)["data"]
        except (ValueError, KeyError, TypeError):
            raise PageChangedError("the Walmart order JSON has no data") from None
    soup = BeautifulSoup(html, "lxml")
    script = None
    for selector in s.each("next_data"):
        script = soup.select_one(selector)
        if script is not None:
            break
    if script is None:
        raise PageChangedError(f"the Walmart page carries no page data ({s.next_data})")
    try:
        return json.loads(script.string or "")["props"]["pageProps"]["initialData"]["data"]
    except (ValueError, KeyError, TypeError):
        raise PageChangedError("the Walmart page data is not where it was") from None


def variant_rows(product: dict) -> list[dict]:
    """The product's variant pickers as ``aliexpress_pages.choose_options`` takes them."""
    return [
        {
            "name": c.get("name", ""),
            "options": [
                {"col": v.get("id"), "value": v.get("name", "")} for v in c.get("variantList", [])
            ],
        }
        for c in product.get("variantCriteria") or []
    ]


def variant_item(product: dict, picks: list[str]) -> str | None:
    """The item id of the variant whose option ids are ``picks`` (Walmart: each variant is an
    item of its own, listed in ``variantsMap``)."""
    wanted = set(picks)
    for entry in (product.get("variantsMap") or {}).values():
        if set(entry.get("variants") or []) == wanted:
            return str(entry.get("usItemId"))
    return None


SOLD_BY = ("sold by", "seller")
WALMART_SELLER = "walmart.com"


def split_seller(wanted: list[tuple[str | None, str]]):
    """The listing's variant pairs without its ``Sold by: …`` pair, and that seller (or None)."""
    seller = next((v for n, v in wanted if n and n.strip().casefold() in SOLD_BY), None)
    rest = [(n, v) for n, v in wanted if not (n and n.strip().casefold() in SOLD_BY)]
    return rest, seller


def seller_fits(required: str | None, seller_name: str) -> bool:
    if not required or required.strip().casefold() in ("any", "anyone"):
        return True
    want = required.strip().casefold()
    have = " ".join((seller_name or "").split()).casefold()
    if want in ("walmart", WALMART_SELLER):
        return have == WALMART_SELLER
    return have == want


# --- orders ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WalmartOrder:
    number: str = field(repr=False)  # the display id (2000346-30780113); reprs show no numbers
    placed_at: datetime | None
    total: Decimal | None
    status: str
    lines: tuple  # ((usItemId, quantity), …) over all groups, in first-seen order
    ship_name: str | None = field(default=None, repr=False)
    ship_postal: str | None = field(default=None, repr=False)
    packages: tuple = ()
    groups: int = 0


STATUS_WORDS = (
    ("cancel", "cancelled"),
    ("return", "returned"),
    ("refund", "returned"),
    ("deliver", "delivered"),  # DELIVERED (before "out for delivery": checked below)
    ("picked_up", "delivered"),
    ("ship", "shipped"),
    ("transit", "shipped"),
)


def group_status(status_type: str) -> str:
    t = (status_type or "").casefold()
    if "out_for_delivery" in t or "out for delivery" in t:
        return "shipped"
    for word, state in STATUS_WORDS:
        if word in t:
            return state
    return "processing" if t else "unknown"


def money(value, what: str = "an amount") -> Decimal:
    """A Walmart amount: a number (``value``), ``Subtotal $1,234.56``, ``Shipping Free`` →
    Decimal."""
    if isinstance(value, int | float):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    raw = " ".join(str(value or "").split())
    match = re.search(r"-?\$?\s*([\d,]+\.\d\d)", raw)
    if not match and re.search(r"\bfree\b", raw, re.I):
        return Decimal("0.00")
    if not match:
        raise PageChangedError(f"{what} is not an amount: {raw!r}")
    try:
        return Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        raise PageChangedError(f"{what} is not an amount: {raw!r}") from None


def _when(text) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_order(order: dict) -> WalmartOrder:
    """One order of Walmart's getOrder shape: number, time, total, status, lines, ship-to and one
    package per group that has a tracking number."""
    if not isinstance(order, dict) or not order.get("displayId") and not order.get("id"):
        raise PageChangedError("the Walmart order data has no order id")
    groups = order.get("groups_2101")
    if not isinstance(groups, list):
        raise PageChangedError("the Walmart order data has no groups (groups_2101)")
    lines: dict[str, int] = {}
    packages, states, name, postal = [], [], None, None
    for group in groups:
        state = group_status(((group.get("status") or {}).get("statusType")) or "")
        states.append(SimpleNamespace(status=state))
        items = []
        for item in group.get("items") or []:
            item_id = str((item.get("productInfo") or {}).get("usItemId") or "")
            quantity = int(item.get("quantity") or 0)
            if item_id:
                lines[item_id] = lines.get(item_id, 0) + quantity
                items.append((item_id, quantity))
        address = group.get("deliveryAddress") or {}
        name = name or address.get("fullName")
        postal = postal or (address.get("address") or {}).get("postalCode")
        shipment = group.get("shipment") or {}
        number = shipment.get("trackingNumber")
        if number and state != "cancelled":
            packages.append(
                base.Package(
                    str(number),
                    shipment.get("carrierName") or None,
                    state if state in base.SHIPPED_STATUSES else "shipped",
                    tuple(dict.fromkeys(i for i, _q in items)),
                    sum(q for _i, q in items) or None,
                )
            )
    grand = ((order.get("priceDetails") or {}).get("grandTotal")) or {}
    total = money(grand["value"], "the order total") if "value" in grand else None
    return WalmartOrder(
        order.get("displayId") or order.get("id"),
        _when(order.get("orderDate")),
        total,
        order_status(states, False),
        tuple(lines.items()),
        name,
        postal,
        tuple(packages),
        len(groups),
    )


def read_order_page(html: str, s) -> WalmartOrder:
    """The order on an order page (``__NEXT_DATA__`` ``data.order``) or in a getOrder answer."""
    data = page_data(html, s)
    if not isinstance(data, dict) or not data.get("order"):
        raise PageChangedError("the Walmart page shows no order")
    return read_order(data["order"])


def read_history(html: str, s) -> list[WalmartOrder]:
    """The orders of the purchase-history page (``__NEXT_DATA__`` ``data.orderHistory``)."""
    data = page_data(html, s)
    orders = data.get("orderHistory") if isinstance(data, dict) else None
    if not isinstance(orders, list):
        raise PageChangedError("the Walmart purchase history shows no order list")
    return [read_order(o) for o in orders]


def tracking(order: WalmartOrder) -> base.TrackingInfo:
    if order.status == "cancelled":
        return base.TrackingInfo("cancelled")
    if not order.packages:
        return base.TrackingInfo("processing" if order.status != "unknown" else "processing")
    status = order.status if order.status in base.SHIPPED_STATUSES else "shipped"
    first = order.packages[0]
    return base.TrackingInfo(status, first.carrier, first.tracking_number, order.packages)


def order_id(number: str) -> str:
    """The order id in URLs: the display id's digits (2000346-30780113 → 200034630780113)."""
    return re.sub(r"\D", "", number or "")


# --- the ship-to, as Walmart's address form wants it ------------------------------------------
def address_form(address: base.Address) -> dict[str, str]:
    """First/last name, street lines, city, the state's two letters, ZIP (or ZIP+4) and a 10-digit
    phone (or none). AddressRejectedError before anything is typed for what Walmart refuses:
    walmart.com ships to US addresses only."""
    country = (address.country or "US").strip().upper()
    if country not in ("US", "USA"):
        raise AddressRejectedError(f"walmart.com ships to US addresses only, not {country!r}")
    names = " ".join((address.name or "").split()).split(" ")
    if len(names) < 2:
        raise AddressRejectedError(
            f"Walmart needs a first and a last name; the ship-to name is {address.name!r}"
        )
    digits = re.sub(r"\D", "", address.postal_code or "")
    if len(digits) not in (5, 9):
        raise AddressRejectedError(f"{address.postal_code!r} is not a US ZIP code")
    phone = re.sub(r"\D", "", address.phone or "")
    if len(phone) == 11 and phone.startswith("1"):
        phone = phone[1:]
    return {
        "firstName": " ".join(names[:-1]),
        "lastName": names[-1],
        "addressLineOne": " ".join((address.line1 or "").split()),
        "addressLineTwo": " ".join((address.line2 or "").split()),
        "city": " ".join((address.city or "").split()),
        "state": (address.state or "").strip().upper(),
        "postalCode": digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}",
        "phone": phone if len(phone) == 10 else "",
    }


def norm(value) -> str:
    return " ".join(str(value or "").split()).casefold()


def same_postal(a, b) -> bool:
    clean = lambda v: re.sub(r"\D", "", str(v or ""))[:5]  # noqa: E731
    return bool(clean(a)) and clean(a) == clean(b)
