"""A listing's shipping rule (``Listing.shipping_rule``) and the choice it makes among the
shipping methods a supplier's checkout offers. Pure and supplier-neutral (AliExpress today;
Amazon or Walmart delivery speeds can use the same rule).

Rules, as a seller types them:
  ``cheapest``                  the lowest price (ties: the fastest); the default
  ``fastest``                   the fewest delivery days (ties: the cheapest)
  ``fastest under 5.00``        the fastest whose price is at most 5.00 (also ``fastest<=5``)
  ``method: AliExpress Standard Shipping``   that method by name (case and spaces ignored)
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

DEFAULT_RULE = "cheapest"
_CAP = re.compile(r"^fastest\s*(?:under|<=|≤|max|up to)\s*\$?\s*(\d+(?:\.\d{1,2})?)$", re.I)
_METHOD = re.compile(r"^(?:method|named)\s*:\s*(.+)$", re.I)


@dataclass(frozen=True)
class ShippingOption:
    name: str
    price: Decimal
    days: int | None = None  # delivery days as the checkout states them; None = not stated


@dataclass(frozen=True)
class ShippingRule:
    kind: str  # cheapest | fastest | method
    cap: Decimal | None = None  # fastest: the highest price allowed
    method: str | None = None

    def __str__(self) -> str:
        if self.kind == "method":
            return f"method: {self.method}"
        if self.cap is not None:
            return f"fastest under {self.cap}"
        return self.kind


def parse_rule(text: str | None) -> ShippingRule:
    """The rule a seller typed (None/blank = cheapest); ValueError with what is accepted."""
    raw = " ".join((text or "").split())
    low = raw.lower()
    if low in ("", "cheapest"):
        return ShippingRule("cheapest")
    if low == "fastest":
        return ShippingRule("fastest")
    cap = _CAP.match(raw)
    if cap:
        try:
            return ShippingRule("fastest", cap=Decimal(cap.group(1)))
        except InvalidOperation:
            pass
    method = _METHOD.match(raw)
    if method and method.group(1).strip():
        return ShippingRule("method", method=method.group(1).strip())
    raise ValueError(
        'Use "cheapest", "fastest", "fastest under 5.00" or "method: <the method\'s name>".'
    )


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def choose(options: list[ShippingOption], rule: ShippingRule) -> ShippingOption:
    """The option the rule picks; LookupError saying why none fits."""
    if not options:
        raise LookupError("the checkout offers no shipping method")
    slow = 10**6  # an option with no stated days counts as the slowest
    if rule.kind == "method":
        for option in options:
            if _same(option.name, rule.method):
                return option
        offered = ", ".join(o.name for o in options)
        raise LookupError(f"shipping method {rule.method!r} is not offered (offered: {offered})")
    if rule.kind == "cheapest":
        return min(options, key=lambda o: (o.price, o.days if o.days is not None else slow))
    allowed = [o for o in options if rule.cap is None or o.price <= rule.cap]
    if not allowed:
        cheapest = min(o.price for o in options)
        raise LookupError(f"no shipping method costs {rule.cap} or less (cheapest: {cheapest})")
    return min(allowed, key=lambda o: (o.days if o.days is not None else slow, o.price))
