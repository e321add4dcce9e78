"""Turn eBay orders into autoorder sales: one Order per line item, created once.

Pure domain code over parsed JSON and the database; the poll job does the HTTP.
"""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select

from autoorder import clock, orders, sku_rules
from autoorder.ebay.client import parse_ebay_timestamp
from autoorder.extensions import db
from autoorder.models import EbayAccount, Listing, Order, Team
from autoorder.orders import OrderStatus

log = logging.getLogger(__name__)

MAX_BUFFER_SECONDS = 3600  # eBay's buyer-cancel window
NO_CANCEL = "NONE_REQUESTED"
RESUMABLE_HOLDS = {"unpaid"}  # hold codes the poller lifts by itself once eBay says so
# eBay's enums (CancelStateEnum, OrderPaymentStatusEnum, OrderFulfillmentStatus). A value not listed
# here (eBay adds values without notice) holds the sale for a person: never cancel or buy on a
# guess.
CANCEL_STATES = {"NONE_REQUESTED", "IN_PROGRESS", "CANCELED"}
PAYMENT_STATUSES = {"PAID", "PENDING", "FAILED", "FULLY_REFUNDED", "PARTIALLY_REFUNDED"}
FULFILLMENT_STATUSES = {"NOT_STARTED", "IN_PROGRESS", "FULFILLED"}
MAX_AMOUNT = Decimal("1000000000")  # orders.sale_price is Numeric(12, 2); no sale comes near this
# A creationDate later than now + this cannot be a sale time (9999-12-31…): the order is recorded as
# unreadable. Generous on purpose: a clock that is off by hours or days must not stop the sales.
FUTURE_TOLERANCE = timedelta(days=7)
EARLIEST_SALE = datetime(1995, 9, 1, tzinfo=UTC)  # before eBay existed


class MalformedOrderError(ValueError):
    """An eBay order lacks what autoorder needs (ids, line items, dates)."""


def buffer_seconds(team: Team) -> int:
    seconds = team.order_buffer_seconds
    if seconds is None:
        seconds = current_app.config["ORDER_BUFFER_SECONDS"]
    return max(0, min(int(seconds), MAX_BUFFER_SECONDS))


def ship_to_of(ebay_order: dict) -> dict:
    """Return the SHIP_TO step's shipTo (name, phone, address) as a flat snapshot, or {}."""
    for instruction in ebay_order.get("fulfillmentStartInstructions") or []:
        if not isinstance(instruction, dict):
            continue
        ship_to = (instruction.get("shippingStep") or {}).get("shipTo")
        if isinstance(ship_to, dict) and ship_to:
            address = ship_to.get("contactAddress") or {}
            return {
                "name": ship_to.get("fullName") or "",
                "phone": (ship_to.get("primaryPhone") or {}).get("phoneNumber") or "",
                "email": ship_to.get("email") or "",
                "line1": address.get("addressLine1") or "",
                "line2": address.get("addressLine2") or "",
                "city": address.get("city") or "",
                "state": address.get("stateOrProvince") or "",
                "postal_code": address.get("postalCode") or "",
                "country": address.get("countryCode") or "",
            }
    return {}


def has_address(ship_to: dict | None) -> bool:
    """A ship-to a supplier can deliver to: at least a street line and a country."""
    return bool(ship_to and ship_to.get("line1") and ship_to.get("country"))


def unknown_states(ebay_order: dict) -> list[str]:
    """The enum values of this order autoorder does not know (e.g. a cancel state eBay added)."""
    found = []
    for name, value, known in (
        ("cancelState", cancel_state(ebay_order), CANCEL_STATES),
        ("orderPaymentStatus", ebay_order.get("orderPaymentStatus"), PAYMENT_STATUSES),
        ("orderFulfillmentStatus", ebay_order.get("orderFulfillmentStatus"), FULFILLMENT_STATUSES),
    ):
        if value is not None and value not in known:
            found.append(f"{name} {str(value)[:40]!r}")
    for item in ebay_order.get("lineItems") or []:
        value = item.get("lineItemFulfillmentStatus") if isinstance(item, dict) else None
        if value is not None and value not in FULFILLMENT_STATUSES:
            found.append(f"lineItemFulfillmentStatus {str(value)[:40]!r}")
    return found


def ebay_fulfilled_by_ebay(ebay_order: dict) -> bool:
    return any(
        i.get("ebaySupportedFulfillment")
        for i in ebay_order.get("fulfillmentStartInstructions") or []
    )


def cancel_state(ebay_order: dict) -> str:
    return ((ebay_order.get("cancelStatus") or {}).get("cancelState")) or NO_CANCEL


def _amount(value) -> Decimal | None:
    """An eBay Amount's value; None when absent. Raises MalformedOrderError for a value that is not
    a finite number from 0 up to MAX_AMOUNT (``NaN``, ``1E+30``, ``-5``, ``"abc"``)."""
    if not value:
        return None
    raw = value.get("value") if isinstance(value, dict) else value
    if raw is None:
        return None
    try:
        amount = Decimal(raw) if isinstance(raw, str) else Decimal(str(raw))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MalformedOrderError(f"amount {str(raw)[:40]!r} is not a number") from exc
    if isinstance(raw, bool) or not amount.is_finite() or not 0 <= amount < MAX_AMOUNT:
        raise MalformedOrderError(f"amount {str(raw)[:40]!r} is not finite and in range")
    return amount


def _timestamp(ebay_order_id, field: str, value, *, required=True):
    if value is None and not required:
        return None
    try:
        return parse_ebay_timestamp(value)
    except (TypeError, ValueError) as exc:
        raise MalformedOrderError(f"eBay order {ebay_order_id}: bad {field}") from exc


def _id(ebay_order_id, field: str, value, max_length: int = 64, required=True):
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MalformedOrderError(f"eBay order {ebay_order_id}: bad {field}")
    return value


def _quantity(ebay_order_id, item: dict) -> int:
    quantity = item.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 10000:
        raise MalformedOrderError(
            f"eBay order {ebay_order_id}: quantity {str(quantity)[:20]!r} "
            "is not a whole number >= 1"
        )
    return quantity


def ship_by_of(item: dict):
    """The line item's shipByDate (lineItemFulfillmentInstructions), or None."""
    instructions = item.get("lineItemFulfillmentInstructions") or {}
    value = instructions.get("shipByDate") if isinstance(instructions, dict) else None
    return None if value is None else parse_ebay_timestamp(value)


def find_listing(team_id: int, item_id: str | None, variation_key: str | None, sku: str | None):
    """Return the listing mapped to this eBay item/variation (or SKU), or None.

    Most specific first: the item's row for this variation (legacyVariationId, else SKU), then a
    listing with this SKU, then the item's whole-listing row (variation key "").
    """
    candidates = (
        db.session.scalars(
            select(Listing).where(Listing.team_id == team_id, Listing.ebay_item_id == item_id)
        ).all()
        if item_id
        else []
    )
    by_key = {c.ebay_variation_key or "": c for c in candidates}
    for key in (variation_key, sku):
        if key and key in by_key:
            return by_key[key]
    if sku:
        by_sku = db.session.scalars(
            select(Listing)
            .where(Listing.team_id == team_id, Listing.sku == sku)
            .order_by(Listing.id)
        ).first()
        if by_sku is not None:
            return by_sku
    return by_key.get("")


def ingest(account: EbayAccount, ebay_order: dict) -> list[Order]:
    """Create or update the sales of one eBay order; return the ones created. Does not commit.

    Everything is read and checked first (ids, dates, amounts, quantities); an order that cannot
    be read raises MalformedOrderError before anything is written.
    """
    if not isinstance(ebay_order, dict):
        raise MalformedOrderError(
            f"an eBay order must be an object, got {type(ebay_order).__name__}"
        )
    order_id = ebay_order.get("orderId")
    line_items = ebay_order.get("lineItems")
    if (
        not order_id
        or not isinstance(line_items, list)
        or not line_items
        or not ebay_order.get("creationDate")
    ):
        raise MalformedOrderError(
            f"eBay order {order_id!r} lacks orderId, lineItems or creationDate"
        )
    _id(order_id, "orderId", order_id)
    for item in line_items:  # check them all before creating any
        if not isinstance(item, dict) or not item.get("lineItemId"):
            raise MalformedOrderError(f"eBay order {order_id}: a line item has no lineItemId")
        _id(order_id, "lineItemId", item["lineItemId"])
        _id(order_id, "legacyItemId", item.get("legacyItemId"), required=False)
        _id(order_id, "legacyVariationId", item.get("legacyVariationId"), required=False)
        _id(order_id, "sku", item.get("sku"), max_length=128, required=False)
        _quantity(order_id, item)
        _line_total(item)
        try:
            ship_by_of(item)
        except (TypeError, ValueError, AttributeError) as exc:
            raise MalformedOrderError(f"eBay order {order_id}: bad shipByDate") from exc
    sold_at = _timestamp(order_id, "creationDate", ebay_order["creationDate"])
    if not EARLIEST_SALE <= sold_at <= clock.now() + FUTURE_TOLERANCE:
        raise MalformedOrderError(
            f"eBay order {order_id}: creationDate {ebay_order['creationDate'][:40]} is not a "
            "possible sale time"
        )
    team = db.session.get(Team, account.team_id)
    fees = _fee_shares(ebay_order)
    created = []
    for item, fee in zip(line_items, fees, strict=True):
        existing = db.session.scalar(
            select(Order).where(
                Order.team_id == team.id,
                Order.ebay_order_id == order_id,
                Order.ebay_line_item_id == item["lineItemId"],
            )
        )
        if existing is None:
            existing = _create(team, account, ebay_order, item, fee)
            created.append(existing)
        else:
            existing.ship_by_at = ship_by_of(item) or existing.ship_by_at
        _apply_updates(existing, ebay_order)
    return created


def _line_total(item: dict) -> Decimal | None:
    return _amount(item.get("total")) or _amount(item.get("lineItemCost"))


def _fee_shares(ebay_order: dict) -> list[Decimal | None]:
    """Split the order's marketplace fee over its line items by their totals (cents add up)."""
    items = ebay_order["lineItems"]
    fee = _amount(ebay_order.get("totalMarketplaceFee"))
    if fee is None:
        return [None] * len(items)
    if len(items) == 1:
        return [fee]
    totals = [_line_total(i) or Decimal("0") for i in items]
    whole = sum(totals, Decimal("0"))
    if whole <= 0:
        return [None] * len(items)
    shares = [(fee * t / whole).quantize(Decimal("0.01")) for t in totals[:-1]]
    return shares + [fee - sum(shares, Decimal("0"))]


def _create(team, account, ebay_order, item, fee) -> Order:
    sold_at = parse_ebay_timestamp(ebay_order["creationDate"])
    sold_at = sold_at.replace(microsecond=sold_at.microsecond // 1000 * 1000)
    variation_key = item.get("legacyVariationId") or ""
    listing = find_listing(team.id, item.get("legacyItemId"), variation_key, item.get("sku"))
    if listing is None:  # the seller's own SKU pattern may carry the supplier product id
        listing = sku_rules.listing_from_rules(
            team.id, item.get("legacyItemId"), variation_key, item.get("sku")
        )
    ship_to = ship_to_of(ebay_order)
    aspects = item.get("variationAspects") or []
    total = _line_total(item)
    buyer = ebay_order.get("buyer") or {}
    order = Order(
        team_id=team.id,
        ebay_account_id=account.id,
        ebay_order_id=ebay_order["orderId"],
        ebay_line_item_id=item["lineItemId"],
        legacy_item_id=item.get("legacyItemId"),
        legacy_variation_id=item.get("legacyVariationId"),
        sku=item.get("sku"),
        title=(item.get("title") or "")[:255] or None,
        variant_label=", ".join(f"{a.get('name')}: {a.get('value')}" for a in aspects)[:255]
        or None,
        listing_id=listing.id if listing else None,
        bot_id=listing.bot_id if listing else None,
        buyer_username=buyer.get("username"),
        buyer_name=ship_to.get("name") or None,
        ship_to=ship_to,
        quantity=_quantity(ebay_order["orderId"], item),
        sale_price=total,
        sale_currency=((item.get("lineItemCost") or {}).get("currency") or "USD"),
        ebay_fees=fee,
        sold_at=sold_at,
        ship_by_at=ship_by_of(item),
        order_after=sold_at + timedelta(seconds=buffer_seconds(team)),
        status=OrderStatus.WAITING.value,
    )
    db.session.add(order)
    db.session.flush()
    orders.note(order, f"sale detected on eBay (order {order.ebay_order_id})", actor="ebay")
    if listing is None:
        orders.fail(
            order,
            OrderStatus.NEEDS_ATTENTION,
            code="no_mapping",
            message="No supplier mapping for this eBay listing: map it to a supplier product.",
        )
    elif ebay_fulfilled_by_ebay(ebay_order):
        orders.fail(
            order,
            OrderStatus.NEEDS_ATTENTION,
            code="ebay_fulfillment",
            message="eBay fulfils this order (eBay-supported fulfillment); not bought.",
        )
    elif not has_address(ship_to):
        orders.fail(
            order,
            OrderStatus.NEEDS_ATTENTION,
            code="no_ship_to",
            message="eBay sent no ship-to address for this order; not bought. Check it on eBay.",
        )
    return order


def _apply_updates(order: Order, ebay_order: dict) -> None:
    """React to what changed on eBay: a cancel request, payment."""
    status = OrderStatus(order.status)
    state = cancel_state(ebay_order)
    unknown = unknown_states(ebay_order)
    if unknown:
        message = (
            f"eBay reports a value autoorder does not know ({', '.join(unknown)}); "
            "held for a person, neither cancelled nor bought."
        )
        if status == OrderStatus.WAITING:
            orders.fail(
                order,
                OrderStatus.NEEDS_ATTENTION,
                code="ebay_unknown_state",
                actor="ebay",
                message=message,
            )
        elif not _noted(order, "ebay_unknown_state"):
            orders.note(order, message, actor="ebay", data={"flag": "ebay_unknown_state"})
        return
    if state != NO_CANCEL:
        if status in (OrderStatus.WAITING, OrderStatus.NEEDS_ATTENTION, OrderStatus.FAILED):
            orders.transition(
                order,
                OrderStatus.CANCELLED,
                actor="ebay",
                reason=f"buyer cancellation on eBay ({state}); nothing was bought",
            )
        elif status == OrderStatus.SUCCEEDED and not _noted(order, "cancel_after_purchase"):
            orders.note(
                order,
                "The buyer asked to cancel after the purchase: cancel it with the "
                "supplier by hand.",
                actor="ebay",
                data={"flag": "cancel_after_purchase"},
            )
        return
    paid = ebay_order.get("orderPaymentStatus") in (None, "PAID")
    if status == OrderStatus.WAITING and not paid:
        orders.fail(
            order,
            OrderStatus.NEEDS_ATTENTION,
            code="unpaid",
            actor="ebay",
            message=(
                f"eBay payment status is {ebay_order.get('orderPaymentStatus')}; held until paid."
            ),
        )
    elif status == OrderStatus.NEEDS_ATTENTION and order.failure_code in RESUMABLE_HOLDS and paid:
        orders.transition(
            order, OrderStatus.WAITING, actor="ebay", reason="eBay reports the order paid"
        )


def _noted(order: Order, flag: str) -> bool:
    return any((e.data or {}).get("flag") == flag for e in order.events)
