"""Tracking: look for the shipment on the supplier site, validate it, upload it to eBay once."""

import logging
from datetime import timedelta

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from autoorder import clock, orders
from autoorder import tracking_numbers as numbers
from autoorder.ebay import accounts
from autoorder.ebay.budget import counting_calls
from autoorder.ebay.client import EbayError, EbayRequestError, ReauthorizationNeededError
from autoorder.ebay.sync import NO_CANCEL, cancel_state
from autoorder.extensions import db
from autoorder.models import EbayAccount, Order, OrderBot, Shipment, TrackingCheck
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T
from autoorder.scrapers.base import SupplierError, UnknownSupplierError
from autoorder.scrapers.session import BotSession
from autoorder.tracking_schedule import schedule_retry

log = logging.getLogger(__name__)

ERROR_BACKOFF_CAP = timedelta(hours=1)


@counting_calls
def refresh_tracking(order_id: int) -> str:
    """Check one order's tracking if it is due; safe to run twice (it re-checks due-ness)."""
    order = db.session.get(
        Order, order_id, options=[joinedload(Order.bot).joinedload(OrderBot.supplier)]
    )
    if (
        order is None
        or order.status != S.SUCCEEDED
        or order.tracking_status not in (T.NOT_DUE, T.SEARCHING)
    ):
        return "nothing to do"
    now = clock.now()
    if order.next_tracking_check_at is None or order.next_tracking_check_at > now:
        return "not due"
    if order.tracking_status == T.NOT_DUE:
        orders.transition(order, T.SEARCHING, reason="first tracking check on the supplier site")
    if order.tracking_number and order.ebay_carrier_code:  # validated earlier (or entered by hand)
        return upload_tracking(order)
    db.session.commit()  # no write transaction stays open while the supplier is read (SQLite)
    try:
        info = _fetch(order)
    except (SupplierError, UnknownSupplierError, requests.RequestException) as exc:
        return _check_failed(order, f"{type(exc).__name__}: {exc}")
    record_shipments(order, info)
    if info.status not in UPLOADABLE or not info.tracking_number:
        db.session.add(
            TrackingCheck(
                order_id=order.id, result="not_found", detail=f"supplier status {info.status}"
            )
        )
        return _not_yet(order)
    db.session.add(
        TrackingCheck(
            order_id=order.id,
            result="found",
            carrier=info.carrier,
            tracking_number=info.tracking_number,
        )
    )
    try:
        valid = numbers.validate(info.tracking_number, info.carrier)
    except numbers.InvalidTrackingNumberError as exc:
        order.tracking_number, order.tracking_carrier = info.tracking_number, info.carrier
        order.tracking_message = f"Invalid tracking number from the supplier: {exc}"
        orders.transition(order, T.UPLOAD_FAILED, reason=f"not uploaded: {exc}")
        db.session.commit()
        return "invalid tracking number"
    order.tracking_number, order.tracking_carrier = valid.number, info.carrier or valid.courier_name
    order.ebay_carrier_code = valid.ebay_carrier_code
    _look_at_siblings(order)
    return upload_tracking(order)  # commits on every path it returns from


def _look_at_siblings(order: Order) -> None:
    """Other line items of this eBay order bought with the same bot whose tracking is not known
    yet: look now, so that a package the supplier shipped with several of them is uploaded once,
    with all its line items (eBay cannot add a line item to a tracking number later)."""
    siblings = db.session.scalars(
        select(Order).where(
            Order.team_id == order.team_id,
            Order.ebay_order_id == order.ebay_order_id,
            Order.id != order.id,
            Order.bot_id == order.bot_id,
            Order.status == S.SUCCEEDED,
            Order.tracking_status.in_([T.NOT_DUE, T.SEARCHING]),
            Order.tracking_number.is_(None),
            Order.supplier_order_number.is_not(None),
        )
    ).all()
    for sibling in siblings:
        try:
            info = _fetch(sibling)
        except Exception as exc:  # a look-ahead only: its own check, on its schedule, tries again
            log.info(
                "order %s: look at order %s failed (%s)", order.id, sibling.id, type(exc).__name__
            )
            continue
        if (info.tracking_number or "").upper() != order.tracking_number.upper():
            continue
        sibling.tracking_number, sibling.tracking_carrier = (
            order.tracking_number,
            order.tracking_carrier,
        )
        sibling.ebay_carrier_code = order.ebay_carrier_code
        db.session.add(
            TrackingCheck(
                order_id=sibling.id,
                result="found",
                carrier=info.carrier,
                tracking_number=info.tracking_number,
                detail=f"looked at with order {order.id}: the same package",
            )
        )


UPLOADABLE = ("shipped", "delivered")  # a returned or cancelled order's tracking is not uploaded


def record_shipments(order: Order, info) -> list[Shipment]:
    """Keep every package the supplier lists for the order (one row per tracking number, its
    carrier, status and items), updated on each check. Not committed."""
    rows = {s.tracking_number: s for s in order.shipments}
    for package in info.all_packages():
        row = rows.get(package.tracking_number)
        if row is None:
            row = Shipment(order_id=order.id, tracking_number=package.tracking_number)
            db.session.add(row)
            order.shipments.append(row)
            rows[package.tracking_number] = row
        row.carrier, row.status = package.carrier, package.status
        row.items = list(package.items) or None
    return list(rows.values())


def _fetch(order: Order):
    """The supplier's tracking for the order, through the bot's session (the one door)."""
    return BotSession(order.bot).tracking(order.supplier_order_number)


def _not_yet(order: Order) -> str:
    if order.tracking_deadline_at and clock.now() >= order.tracking_deadline_at:
        order.tracking_message = "No tracking on the supplier site within the tracking window."
        orders.transition(order, T.NOT_FOUND, reason="gave up: no tracking before the deadline")
        db.session.commit()
        return "not found (gave up)"
    schedule_retry(order)
    db.session.commit()
    return "not shipped yet"


def _check_failed(order: Order, detail: str) -> str:
    db.session.rollback()
    order = db.session.get(Order, order.id)
    if order.tracking_status == T.NOT_DUE:
        orders.transition(order, T.SEARCHING, reason="first tracking check on the supplier site")
    order.tracking_failures += 1
    db.session.add(TrackingCheck(order_id=order.id, result="error", detail=detail[:2000]))
    order.tracking_message = f"Last check failed: {detail[:300]}"
    if order.tracking_deadline_at and clock.now() >= order.tracking_deadline_at:
        orders.transition(order, T.NOT_FOUND, reason=f"gave up after errors: {detail[:200]}")
    else:
        delay = min(timedelta(minutes=2**order.tracking_failures), ERROR_BACKOFF_CAP)
        order.next_tracking_check_at = clock.now() + delay
    db.session.commit()
    log.warning("order %s tracking check failed: %s", order.id, detail)
    return "check failed"


def upload_tracking(order: Order) -> str:
    """Upload the validated tracking to eBay unless eBay already has it. Commits.

    Line items of one eBay order that share the tracking number (one package) go in one shipping
    fulfillment listing them all. A line is marked uploaded only when eBay's fulfillments, read back
    after the upload, cover it.
    """
    account = db.session.get(EbayAccount, order.ebay_account_id) if order.ebay_account_id else None
    if account is None:
        orders.transition(
            order, T.UPLOADED, reason="no eBay account linked; tracking recorded only"
        )
        db.session.commit()
        return "recorded"
    client = accounts.client_for(account)
    package = [order] + _same_package(order)
    try:
        ebay_order = client.get_order(order.ebay_order_id)
        if cancel_state(ebay_order) != NO_CANCEL:
            return _upload_failed(
                order, "The eBay order has a cancellation; tracking not uploaded."
            )
        fulfillments = client.get_shipping_fulfillments(order.ebay_order_id)
        missing = [o for o in package if _covering(fulfillments, o) is None]
        uploaded_now = False
        if missing and not _has_tracking(fulfillments, order.tracking_number):
            client.create_shipping_fulfillment(
                order.ebay_order_id,
                line_items=[
                    {"lineItemId": o.ebay_line_item_id, "quantity": o.quantity} for o in missing
                ],
                carrier_code=order.ebay_carrier_code,
                tracking_number=order.tracking_number,
                shipped_at=clock.now(),
            )
            uploaded_now = True
            fulfillments = client.get_shipping_fulfillments(order.ebay_order_id)  # read back
        for line in package[1:]:  # the others of the package, as eBay's fulfillments show them
            covering = _covering(fulfillments, line)
            if covering is not None:
                line.ebay_fulfillment_id = covering.get("fulfillmentId")
                line.tracking_message, line.next_tracking_check_at = None, None
                orders.transition(
                    line,
                    T.UPLOADED,
                    reason=f"uploaded to eBay in one package with line item "
                    f"{order.ebay_line_item_id} ({line.ebay_carrier_code} {line.tracking_number})",
                )
        covering = _covering(fulfillments, order)
        if covering is None:
            return _upload_failed(
                order,
                f"eBay has tracking number {order.tracking_number} on this order without this "
                "line item, and eBay's API cannot add a line item to an existing tracking number "
                "(it asks for an update, errorId 34500): mark this line item shipped on eBay.",
            )
        order.ebay_fulfillment_id = covering.get("fulfillmentId")
        return _uploaded(
            order,
            f"uploaded to eBay ({order.ebay_carrier_code} {order.tracking_number})"
            if uploaded_now
            else "eBay already had this tracking number for this line item",
        )
    except ReauthorizationNeededError as exc:
        accounts.mark_reconnect_needed(account, exc)
        return _upload_failed(order, "Reconnect the eBay account, then re-check tracking.")
    except EbayRequestError as exc:
        return _upload_failed(order, f"eBay refused the tracking: {exc}")
    except EbayError as exc:  # transient: try again soon, the check above prevents a double upload
        order.next_tracking_check_at = clock.now() + timedelta(minutes=5)
        order.tracking_message = (
            f"eBay unavailable ({type(exc).__name__}, request id {exc.request_id}); retrying"
        )
        db.session.commit()
        return "upload retry later"


def _same_package(order: Order) -> list[Order]:
    """Other bought line items of the same eBay order with the same tracking number, not yet
    uploaded: they travel in one package and go in one shipping fulfillment."""
    return db.session.scalars(
        select(Order)
        .where(
            Order.team_id == order.team_id,
            Order.ebay_order_id == order.ebay_order_id,
            Order.id != order.id,
            Order.status == S.SUCCEEDED,
            Order.tracking_status.in_([T.NOT_DUE, T.SEARCHING, T.UPLOAD_FAILED]),
            func.upper(Order.tracking_number) == order.tracking_number.upper(),
            Order.ebay_carrier_code.is_not(None),
        )
        .order_by(Order.id)
    ).all()


def _has_tracking(fulfillments: list[dict], number: str) -> bool:
    return any(
        (f.get("shipmentTrackingNumber") or "").upper() == number.upper() for f in fulfillments
    )


def _covering(fulfillments: list[dict], line: Order) -> dict | None:
    """The fulfillment with the line's tracking number that lists the line item, if eBay has one."""
    for fulfillment in fulfillments:
        if (fulfillment.get("shipmentTrackingNumber") or "").upper() != (
            line.tracking_number or ""
        ).upper():
            continue
        if any(
            isinstance(ref, dict) and ref.get("lineItemId") == line.ebay_line_item_id
            for ref in fulfillment.get("lineItems") or []
        ):
            return fulfillment
    return None


def _uploaded(order: Order, reason: str) -> str:
    order.tracking_message, order.next_tracking_check_at = None, None
    orders.transition(order, T.UPLOADED, reason=reason)
    db.session.commit()
    return "uploaded"


def _upload_failed(order: Order, message: str) -> str:
    order.tracking_message = message
    orders.transition(order, T.UPLOAD_FAILED, reason=message)
    db.session.commit()
    return "upload failed"
