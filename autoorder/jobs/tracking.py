"""Tracking: look for the shipment on the supplier site, validate it, upload it to eBay once."""

import logging
from datetime import timedelta

import requests
from sqlalchemy.orm import joinedload

from autoorder import clock, orders
from autoorder import tracking_numbers as numbers
from autoorder.ebay import accounts
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
    return upload_tracking(order)  # commits on every path it returns from


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
    """Upload the validated tracking to eBay unless eBay already has it. Commits."""
    account = db.session.get(EbayAccount, order.ebay_account_id) if order.ebay_account_id else None
    if account is None:
        orders.transition(
            order, T.UPLOADED, reason="no eBay account linked; tracking recorded only"
        )
        db.session.commit()
        return "recorded"
    client = accounts.client_for(account)
    try:
        ebay_order = client.get_order(order.ebay_order_id)
        if cancel_state(ebay_order) != NO_CANCEL:
            return _upload_failed(
                order, "The eBay order has a cancellation; tracking not uploaded."
            )
        for existing in client.get_shipping_fulfillments(order.ebay_order_id):
            if (
                existing.get("shipmentTrackingNumber") or ""
            ).upper() == order.tracking_number.upper():
                order.ebay_fulfillment_id = existing.get("fulfillmentId")
                return _uploaded(order, "eBay already had this tracking number")
        order.ebay_fulfillment_id = client.create_shipping_fulfillment(
            order.ebay_order_id,
            line_items=[{"lineItemId": order.ebay_line_item_id, "quantity": order.quantity}],
            carrier_code=order.ebay_carrier_code,
            tracking_number=order.tracking_number,
            shipped_at=clock.now(),
        )
        return _uploaded(
            order, f"uploaded to eBay ({order.ebay_carrier_code} {order.tracking_number})"
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
