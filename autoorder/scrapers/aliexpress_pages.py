"""AliExpress: what the adapter reads and writes, as pure functions (HTML or data in, data out).

Product references, the listing's SKU text, the ship-to mapped to AliExpress's address form, money
on its pages, and the order list, order detail and tracking pages. The selectors come from the
adapter (``autoorder.scrapers.aliexpress.SELECTORS``, with the supplier's override); where each
one comes from is said there.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup

from autoorder.scrapers import base
from autoorder.scrapers.base import AddressRejectedError, PageChangedError

# --- product references ---------------------------------------------------------------------------
# Item ids are 10–19 digits (global ids 1005…; the US site's ids are the global id + 2**51, 3256…).
ITEM_ID = re.compile(r"^\d{10,19}$")
ITEM_PATH = re.compile(r"/(?:item|i)/(?:[^/]*/)?(\d{10,19})(?:\.html?)?(?:$|[/?#])")
ITEM_QUERY = ("productId", "objectId", "itemId")


def item_id_of(text: str) -> str | None:
    """The item id in a pasted AliExpress product URL (any country or mobile site, tracking
    parameters, ``/item/<title>/<id>.html``, ``?productId=``) or a bare item id; None otherwise."""
    raw = (text or "").strip()
    if ITEM_ID.match(raw):
        return raw
    if "://" not in raw and raw.lower().startswith(("www.", "aliexpress", "m.", "es.", "fr.")):
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        return None
    match = ITEM_PATH.search(parts.path + ("?" if parts.query else ""))
    if match:
        return match.group(1)
    query = parse_qs(parts.query)
    for name in ITEM_QUERY:
        for value in query.get(name, []):
            if ITEM_ID.match(value):
                return value
    return None


def item_url(base_url: str, item_id: str) -> str:
    return f"{base_url.rstrip('/')}/item/{item_id}.html"


# --- the listing's SKU text -----------------------------------------------------------------------
def parse_variant(text: str | None) -> list[tuple[str | None, str]]:
    """``Color: Black, Size: L, Ships From: United States`` -> [("Color", "Black"), …];
    ``Black / L`` -> [(None, "Black"), (None, "L")] (values by position). Empty: []."""
    raw = " ".join((text or "").split())
    if not raw or raw.casefold() in ("standard", "default"):
        return []
    if ":" in raw:
        pairs = []
        for part in re.split(r"\s*[,;]\s*(?=[^,;:]+:)", raw):
            name, _, value = part.partition(":")
            if not value.strip():
                raise ValueError(f"{part!r} has no value after the colon")
            pairs.append((name.strip(), value.strip()))
        return pairs
    return [(None, part) for part in re.split(r"\s*/\s*", raw) if part]


def norm(value) -> str:
    return " ".join(str(value or "").split()).casefold()


def choose_options(rows: list[dict], wanted: list[tuple[str | None, str]]) -> list[str]:
    """Pick one option per SKU row: ``rows`` [{"name", "options": [{"col", "value",
    "sold_out"}]}]. Returns the options' ``col`` ids; VariantNotOfferedError naming what is
    offered when the listing's text does not fit the page."""
    named = {norm(n): v for n, v in wanted if n is not None}
    positional = [v for n, v in wanted if n is None]
    if named and positional:
        raise base.VariantNotOfferedError("mix of named and unnamed values in the variant")
    if positional and len(positional) != len(rows):
        raise base.VariantNotOfferedError(
            f"the variant names {len(positional)} values but the product has "
            f"{len(rows)} options ({', '.join(r['name'] for r in rows) or 'none'})"
        )
    unknown = set(named) - {norm(r["name"]) for r in rows}
    if unknown:
        raise base.VariantNotOfferedError(
            f"the product has no option {', '.join(sorted(unknown))}; "
            f"its options are {', '.join(r['name'] for r in rows) or 'none'}"
        )
    picks = []
    for position, row in enumerate(rows):
        value = positional[position] if positional else named.get(norm(row["name"]))
        offered = [o["value"] for o in row["options"]]
        if value is None:
            if len(row["options"]) == 1:
                picks.append(row["options"][0]["col"])
                continue
            raise base.VariantNotOfferedError(
                f"the listing does not say which {row['name']} to buy ({', '.join(offered)})"
            )
        option = next((o for o in row["options"] if norm(o["value"]) == norm(value)), None)
        if option is None:
            raise base.VariantNotOfferedError(
                f"{row['name']} {value!r} is not offered ({', '.join(offered)})"
            )
        picks.append(option["col"])
    return picks


def variant_matches(sku_label: str, wanted: list[tuple[str | None, str]]) -> bool:
    """Whether an order's SKU text (``Color: Black, Ships From: China``) is the listing's."""
    shown = parse_variant(sku_label)
    if not wanted:
        return True
    if any(n is None for n, _ in wanted):
        return sorted(norm(v) for _, v in shown) == sorted(norm(v) for _, v in wanted)
    have = {norm(n): norm(v) for n, v in shown}
    return all(have.get(norm(n)) == norm(v) for n, v in wanted)


def item_key(item_id: str, sku_label: str) -> str:
    """How review, confirmation, order detail and packages name one SKU: id + its SKU text."""
    label = " ".join((sku_label or "").split())
    return f"{item_id} {label}".strip()


# --- the ship-to, as AliExpress's address form wants it -----------------------------------------
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "PR": "Puerto Rico", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming",
}  # fmt: skip
COUNTRY_CODES = {"US": "+1", "CA": "+1", "GB": "+44", "AU": "+61", "DE": "+49", "FR": "+33"}
COUNTRY_CODES["ES"] = "+34"
STREET_MAX = 35  # "Please enter an address with 5-35 characters including building number"
STREET_MIN = 5


def _split_street(line1: str, line2: str) -> tuple[str, str]:
    """Fit the street into 35 characters, moving the overflow (at a space) before line 2."""
    line1, line2 = " ".join(line1.split()), " ".join(line2.split())
    if len(line1) <= STREET_MAX:
        return line1, line2
    cut = line1.rfind(" ", 0, STREET_MAX + 1)
    if cut < STREET_MIN:
        raise AddressRejectedError(
            f"the street line is longer than AliExpress's {STREET_MAX} characters and has no "
            "space to split it at"
        )
    rest = " ".join(p for p in (line1[cut + 1 :], line2) if p)
    return line1[:cut], rest


def address_form(address: base.Address) -> dict[str, str]:
    """The address form's fields (by label) for an eBay ship-to: full state names, the national
    phone number, ZIP+4 with its dash, first and last name, the street split to 35 characters.
    AddressRejectedError (before anything is typed) for what AliExpress would refuse."""
    country = (address.country or "").strip().upper()
    if country not in COUNTRY_CODES:
        raise AddressRejectedError(f"the bot does not ship to country {address.country!r}")
    names = " ".join((address.name or "").split()).split(" ")
    if len(names) < 2:
        raise AddressRejectedError(
            f"AliExpress needs a first and a last name; the ship-to name is {address.name!r}"
        )
    street, apt = _split_street(address.line1 or "", address.line2 or "")
    if len(street) < STREET_MIN:
        raise AddressRejectedError(f"the street {street!r} is shorter than 5 characters")
    if len(apt) > STREET_MAX:
        raise AddressRejectedError(
            f"the address lines are too long for AliExpress (over {STREET_MAX * 2} characters)"
        )
    state = (address.state or "").strip()
    postal = (address.postal_code or "").strip()
    phone = re.sub(r"\D", "", address.phone or "")
    if country == "US":
        state = US_STATES.get(state.upper(), state)
        if state not in US_STATES.values():
            raise AddressRejectedError(f"{address.state!r} is not a US state")
        digits = re.sub(r"\D", "", postal)
        if len(digits) not in (5, 9):
            raise AddressRejectedError(f"{postal!r} is not a US ZIP code")
        postal = digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"
        if len(phone) == 11 and phone.startswith("1"):
            phone = phone[1:]
        if len(phone) != 10:
            raise AddressRejectedError(
                "AliExpress needs a 10-digit US phone number for the ship-to; eBay gave "
                f"{len(phone)} digits"
            )
    elif not postal:
        raise AddressRejectedError(f"the ship-to in {country} has no postal code")
    return {
        "Country/region": country,
        "First name": " ".join(names[:-1]),
        "Last name": names[-1],
        "Country code": COUNTRY_CODES[country],
        "Mobile number": phone,
        "Street": street,
        "Apt, suite, unit": apt,
        "State/Province": state,
        "City": " ".join((address.city or "").split()),
        "ZIP": postal,
    }


# --- money ----------------------------------------------------------------------------------------
MONEY = re.compile(r"(-?\d[\d,]*(?:\.\d{1,2})?)")


def money(text: str | None, what: str = "an amount") -> Decimal:
    """``US $1,234.56`` -> Decimal; ``Free`` / ``Free shipping`` -> 0; PageChangedError else."""
    raw = " ".join((text or "").split())
    if raw.casefold().startswith("free"):
        return Decimal("0.00")
    match = MONEY.search(raw.replace("\u00a0", " "))
    if not match:
        raise PageChangedError(f"{what} is not an amount: {raw!r}")
    try:
        return Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        raise PageChangedError(f"{what} is not an amount: {raw!r}") from None


# --- order list, order detail, tracking (pure) ---------------------------------------------------
def _text(el) -> str:
    return " ".join(el.get_text(" ").split()) if el is not None else ""


def _item_id_in(el) -> str | None:
    link = el if el is not None and el.name == "a" else (el.select_one("a[href]") if el else None)
    match = ITEM_PATH.search((link.get("href") or "") + "?") if link is not None else None
    return match.group(1) if match else None


def parse_order_list(html: str, s) -> list[dict]:
    """The order list's cards: [{number, date (text), status (text)}], newest first."""
    soup = BeautifulSoup(html, "lxml")
    cards = []
    for card in soup.select(s.order_card):
        info = _text(card.select_one(s.order_card_info))
        number = re.search(r"Order ID:\s*(\d{10,20})", info)
        date = re.search(r"Order date:\s*([A-Za-z]{3} \d{1,2}, \d{4})", info)
        if number is None:
            raise PageChangedError(f"an order card has no 'Order ID' in {s.order_card_info}")
        cards.append(
            {
                "number": number.group(1),
                "date": date.group(1) if date else None,
                "status": _text(card.select_one(s.order_card_status)),
            }
        )
    return cards


def parse_order_date(text: str | None):
    try:
        return datetime.strptime(text or "", "%b %d, %Y").date()
    except ValueError:
        return None


def parse_detail(html: str, s) -> dict:
    """An order detail page: {number, lines [(item key, quantity)], ship_name, ship_postal,
    total, placed_at (aware datetime or None)}; PageChangedError when a part is missing."""
    soup = BeautifulSoup(html, "lxml")
    lines = []
    for line in soup.select(s.detail_line):
        item_id = _item_id_in(line.select_one(s.detail_line_title))
        price = _text(line.select_one(s.detail_line_price))
        quantity = re.search(r"x\s*(\d+)\s*$", price)
        if item_id is None or quantity is None:
            raise PageChangedError(f"an order line lacks its item link or 'x N' ({price!r})")
        lines.append(
            (item_key(item_id, _text(line.select_one(s.detail_line_sku))), int(quantity[1]))
        )
    name, postal = soup.select_one(s.detail_ship_name), soup.select_one(s.detail_ship_postal)
    if not lines or name is None or postal is None:
        raise PageChangedError(f"the order page lacks {s.detail_line} or the ship-to")
    total = None
    for row in soup.select(s.detail_price_row):
        cells = [_text(c) for c in row.select("span")]
        if cells and cells[0].casefold() == "total":
            total = money(cells[-1], "the order total")
    placed = soup.select_one(s.detail_placed)
    placed_at = None
    if placed is not None and placed.get("datetime"):
        placed_at = datetime.fromisoformat(placed["datetime"].replace("Z", "+00:00"))
        placed_at = placed_at if placed_at.tzinfo else placed_at.replace(tzinfo=UTC)
    number = re.search(r"Order ID:\s*(\d{10,20})", _text(soup.select_one(s.detail_info)))
    return {
        "number": number.group(1) if number else None,
        "lines": lines,
        "ship_name": _text(name),
        "ship_postal": _text(postal),
        "total": total,
        "placed_at": placed_at,
    }


PACKAGE_STATUS = (("deliver", "delivered"), ("return", "returned"), ("cancel", "cancelled"))


def parse_tracking(html: str, s) -> base.TrackingInfo:
    """The tracking page: one ``Package`` per parcel (number, carrier, status, its SKUs);
    processing while the seller has not shipped; cancelled for a closed order."""
    soup = BeautifulSoup(html, "lxml")
    packages = []
    for module in soup.select(s.tracking_package):
        number = _text(module.select_one(s.tracking_number))
        if not number:
            link = module.select_one(s.tracking_carrier_link)
            query = parse_qs(urlsplit(link.get("href", "")).query) if link is not None else {}
            number = (query.get("mailNoList") or [""])[0].split(",")[0]
        if not number:
            raise PageChangedError(f"a package on the tracking page has no {s.tracking_number}")
        said = norm(_text(module.select_one(s.tracking_status)))
        status = next((st for word, st in PACKAGE_STATUS if word in said), "shipped")
        items = tuple(
            item_key(_item_id_in(goods) or "", _text(goods.select_one(s.tracking_goods_sku)))
            for goods in module.select(s.tracking_goods)
        )
        carrier = _text(module.select_one(s.tracking_carrier)) or None
        packages.append(base.Package(number, carrier, status, items))
    if packages:
        statuses = {p.status for p in packages}
        overall = statuses.pop() if len(statuses) == 1 else "shipped"
        overall = "shipped" if overall == "cancelled" else overall
        return base.TrackingInfo(
            overall, packages[0].carrier, packages[0].tracking_number, tuple(packages)
        )
    if soup.select_one(s.tracking_closed) is not None:
        return base.TrackingInfo("cancelled")
    if soup.select_one(s.tracking_empty) is not None:
        return base.TrackingInfo("processing")
    raise PageChangedError(
        f"the tracking page has none of {s.tracking_package}, {s.tracking_empty}, "
        f"{s.tracking_closed}"
    )
