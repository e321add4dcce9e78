"""Money helpers, shipping and sales tax. All amounts are integer cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

US_SHIPPING = 499
US_FREE_SHIPPING_OVER = 5000
INTL_SHIPPING = 1299
PROTECTION_PLAN = 299  # per order, offered by the upsell interstitial

# A few state rates; every other US state uses DEFAULT_US_TAX. Non-US orders: no tax.
US_TAX_RATES = {
    "CA": Decimal("0.0725"),
    "NY": Decimal("0.04"),
    "TX": Decimal("0.0625"),
    "WA": Decimal("0.065"),
    "FL": Decimal("0.06"),
    "NJ": Decimal("0.06625"),
    "OR": Decimal("0"),
    "MT": Decimal("0"),
    "NH": Decimal("0"),
    "DE": Decimal("0"),
}
DEFAULT_US_TAX = Decimal("0.05")


def round_cents(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def scale(cents: int, factor: float | str | Decimal) -> int:
    return round_cents(Decimal(cents) * Decimal(str(factor)))


def money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def dec(cents: int | None) -> str | None:
    """Plain decimal string for JSON / data-amount attributes: 1234 -> "12.34"."""
    if cents is None:
        return None
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def parse_money(value) -> int:
    """ "12.34" / 12.34 / "$12.34" -> 1234 cents. Raises ValueError."""
    text = str(value).strip().replace("$", "").replace(",", "")
    try:
        amount = Decimal(text)
    except Exception:
        raise ValueError(f"not an amount: {value!r}") from None
    if amount < 0 or not amount.is_finite():
        raise ValueError(f"amount must be >= 0: {value!r}")
    return round_cents(amount * 100)


def tax_rate(address: dict | None) -> Decimal:
    if not address or address.get("country") != "US":
        return Decimal("0")
    return US_TAX_RATES.get(address.get("state", ""), DEFAULT_US_TAX)


def shipping_cost(subtotal: int, address: dict | None) -> int:
    if address and address.get("country") not in (None, "", "US"):
        return INTL_SHIPPING
    return 0 if subtotal >= US_FREE_SHIPPING_OVER else US_SHIPPING


def totals(lines: list[dict], address: dict | None, protection: bool) -> dict:
    """lines: dicts with unit_price and quantity. Tax applies to items + protection plan."""
    subtotal = sum(line["unit_price"] * line["quantity"] for line in lines)
    protection_cost = PROTECTION_PLAN if protection else 0
    shipping = shipping_cost(subtotal, address)
    tax = round_cents(Decimal(subtotal + protection_cost) * tax_rate(address))
    return {
        "subtotal": subtotal,
        "protection": protection_cost,
        "shipping": shipping,
        "tax": tax,
        "total": subtotal + protection_cost + shipping + tax,
    }
