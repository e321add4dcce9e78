"""Turn eBay orders into autoorder sales: one Order per line item, created once.

Pure domain code over parsed JSON and the database; the poll job does the HTTP.
"""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select

from autoorder import orders
from autoorder.ebay.client import parse_ebay_timestamp
from autoorder.extensions import db
from autoorder.models import EbayAccount, Listing, Order, Team
from autoorder.orders import OrderStatus

log = logging.getLogger(__name__)

MAX_BUFFER_SECONDS = 3600  # eBay's buyer-cancel window
NO_CANCEL = "NONE_REQUESTED"
RESUMABLE_HOLDS = {"unpaid"}  # hold codes the poller lifts by itself once eBay says so


class MalformedOrderError(ValueError):
    """An eBay order lacks what autoorder needs (ids, line items, dates)."""


def buffer_seconds(team: Team) -> int:
    seconds = team.order_buffer_seconds
    if seconds is None:
        seconds = current_app.config["ORDER_BUFFER_SECONDS"]
    return max(0, min(int(seconds), MAX_BUFFER_SECONDS))


def ship_to_of(ebay_order: dict) -> dict:
    """Return the SHIP_TO step's shipTo (name, phone, address) as a flat snapshot."""
    for instruction in ebay_order.get("fulfillmentStartInstructions") or []:
        ship_to = (instruction.get("shippingStep") or {}).get("shipTo")
        if ship_to:
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


def ebay_fulfilled_by_ebay(ebay_order: dict) -> bool:
    return any(
        i.get("ebaySupportedFulfillment")
        for i in ebay_order.get("fulfillmentStartInstructions") or []
    )


def cancel_state(ebay_order: dict) -> str:
    return ((ebay_order.get("cancelStatus") or {}).get("cancelState")) or NO_CANCEL


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str((value or {}).get("value"))) if value else None
    except (InvalidOperation, TypeError):
        return None


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
    """Create or update the sales of one eBay order; return the ones created. Does not commit."""
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
    for item in line_items:  # check them all before creating any
        if not isinstance(item, dict) or not item.get("lineItemId"):
            raise MalformedOrderError(f"eBay order {order_id}: a line item has no lineItemId")
    try:
        parse_ebay_timestamp(ebay_order["creationDate"])
    except (TypeError, ValueError, AttributeError) as exc:
        raise MalformedOrderError(f"eBay order {order_id}: bad creationDate") from exc
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
    variation_key = item.get("legacyVariationId") or ""
    listing = find_listing(team.id, item.get("legacyItemId"), variation_key, item.get("sku"))
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
        quantity=int(item.get("quantity") or 1),
        sale_price=total,
        sale_currency=((item.get("lineItemCost") or {}).get("currency") or "USD"),
        ebay_fees=fee,
        sold_at=sold_at,
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
    return order


def _apply_updates(order: Order, ebay_order: dict) -> None:
    """React to what changed on eBay: a cancel request, payment."""
    status = OrderStatus(order.status)
    state = cancel_state(ebay_order)
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
            message=f"eBay payment status is {ebay_order.get('orderPaymentStatus')}; held until paid.",
        )
    elif status == OrderStatus.NEEDS_ATTENTION and order.failure_code in RESUMABLE_HOLDS and paid:
        orders.transition(
            order, OrderStatus.WAITING, actor="ebay", reason="eBay reports the order paid"
        )


def _noted(order: Order, flag: str) -> bool:
    return any((e.data or {}).get("flag") == flag for e in order.events)
