"""Tracking's rules: look up the supplier order's packages, validate each number, and upload each
package to eBay as its own shipping fulfillment, once.

A supplier may ship one order in several parcels (AliExpress splits orders, Amazon ships items
apart), days apart. Every package is a ``Shipment`` row with its own upload state; the order's
envelope turns green (UPLOADED) when every package known so far is on eBay. After that the order is
looked at again on a slow schedule (``TRACKING_RECHECK_SECONDS``) until the give-up deadline: a
parcel shipped later is uploaded on that later check, and delivered / returned / cancelled is
recorded. eBay's fulfillments are read back before and after each upload, so no tracking number is
sent twice, and a line is marked uploaded only when eBay's fulfillments list it.

The job (``autoorder.jobs.tracking``) only loads the order and calls ``check``.
"""

import logging
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import func, select

from autoorder import clock, orders
from autoorder import tracking_numbers as numbers
from autoorder.ebay import accounts
from autoorder.ebay.client import EbayError, EbayRequestError, ReauthorizationNeededError
from autoorder.ebay.sync import NO_CANCEL, cancel_state
from autoorder.extensions import db
from autoorder.models import EbayAccount, Order, Shipment, TrackingCheck
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T
from autoorder.scrapers.base import SupplierError, UnknownSupplierError
from autoorder.scrapers.session import BotSession
from autoorder.tracking_schedule import schedule_retry

log = logging.getLogger(__name__)

ERROR_BACKOFF_CAP = timedelta(hours=1)
UPLOADABLE = ("shipped", "delivered")  # a returned or cancelled package's tracking is not uploaded
FINAL = ("delivered", "returned", "cancelled")  # a package status that will not change again

# Shipment.upload_state
PENDING, UPLOADED = "pending", "uploaded"
INVALID, REFUSED = "invalid", "refused"  # not on eBay: a human must look (red envelope)
NOT_NEEDED, NOT_SHIPPED = "not_needed", "not_shipped"  # not on eBay, and nothing to do about it
BLOCKING = (PENDING, INVALID, REFUSED)
FETCH_ERRORS = (SupplierError, UnknownSupplierError, requests.RequestException)


def check(order: Order | None) -> str:
    """Look at one order's tracking if it is due, upload what is new. Commits; safe to run twice
    (it re-checks due-ness, and eBay's fulfillments are read before anything is sent)."""
    if (
        order is None
        or order.status != S.SUCCEEDED
        or order.tracking_status not in (T.NOT_DUE, T.SEARCHING, T.UPLOADED)
    ):
        return "nothing to do"
    if order.tracking_status == T.UPLOADED and order.next_tracking_check_at is None:
        return "nothing to do"  # on eBay, and no re-check planned
    if order.next_tracking_check_at is None or order.next_tracking_check_at > clock.now():
        return "not due"
    if order.tracking_status == T.UPLOADED:
        return _recheck(order)
    if order.tracking_status == T.NOT_DUE:
        orders.transition(order, T.SEARCHING, reason="first tracking check on the supplier site")
    if _entered_by_hand(order):  # validated earlier (typed by hand, or found with a sibling)
        _adopt(order)
        return upload(order)
    db.session.commit()  # no write transaction stays open while the supplier is read (SQLite)
    try:
        info = _fetch(order)
    except FETCH_ERRORS as exc:
        return _check_failed(order, f"{type(exc).__name__}: {exc}")
    record_shipments(order, info)
    shipped = [s for s in order.shipments if s.status in UPLOADABLE]
    if not shipped:
        _log(order, "not_found", detail=f"supplier status {info.status}")
        return _not_yet(order)
    validate_shipments(order)
    first = next((s for s in shipped if s.ebay_carrier_code), None)
    if first is None:  # not one number is valid: nothing goes to eBay
        bad = shipped[0]
        order.tracking_number, order.tracking_carrier = bad.tracking_number, bad.carrier
        order.tracking_message = bad.upload_message
        orders.transition(order, T.UPLOAD_FAILED, reason=f"not uploaded: {bad.upload_message}")
        db.session.commit()
        return "invalid tracking number"
    if not (order.tracking_number and order.ebay_carrier_code):
        order.tracking_number, order.tracking_carrier = first.tracking_number, first.carrier
        order.ebay_carrier_code = first.ebay_carrier_code
        _look_at_siblings(order)
    return upload(order)  # commits on every path it returns from


def record_shipments(order: Order, info) -> list[Shipment]:
    """Keep every package the supplier lists for the order (one row per tracking number, its
    carrier, status, items and units), updated on each check; a status change of a known package
    (delivered, returned, cancelled) is recorded as a check. Not committed."""
    rows = {numbers.normalize(s.tracking_number): s for s in order.shipments}
    for package in info.all_packages():
        number = numbers.normalize(package.tracking_number)[:64]
        if not number:
            continue
        row = rows.get(number)
        if row is None:
            row = Shipment(order_id=order.id, tracking_number=number, upload_state=PENDING)
            db.session.add(row)
            order.shipments.append(row)
            rows[number] = row
        elif row.status != package.status:
            _status_changed(order, row, package.status)
        row.carrier, row.status = (package.carrier or "")[:64] or None, package.status
        row.items = list(package.items) or None
        row.quantity = package.quantity
    if info.status == "cancelled":  # the supplier cancelled the whole order
        for row in rows.values():
            if row.status != "cancelled":
                _status_changed(order, row, "cancelled")
                row.status = "cancelled"
    for row in rows.values():
        if row.upload_state == PENDING and row.status not in UPLOADABLE:
            row.upload_state = NOT_SHIPPED
            row.upload_message = f"{row.status} before it was uploaded"
    return list(rows.values())


def _log(order: Order, result: str, package=None, *, detail: str | None = None) -> None:
    """Add a row to the order's tracking checks (``package``: a Shipment, or an Order for the
    number it holds). Not committed."""
    number = getattr(package, "tracking_number", None)
    carrier = getattr(package, "carrier", None) or getattr(package, "tracking_carrier", None)
    db.session.add(
        TrackingCheck(
            order_id=order.id,
            result=result,
            carrier=carrier,
            tracking_number=number,
            detail=detail[:2000] if detail else None,
        )
    )


def _status_changed(order: Order, row: Shipment, status: str) -> None:
    _log(order, "status", row, detail=f"package {row.status} → {status} (on the supplier site)")


def validate_shipments(order: Order) -> None:
    """Validate each new package's number (format and check digit, eBay's carrier code); an
    invalid one is kept with the reason and never uploaded. Not committed."""
    for row in order.shipments:
        if row.upload_state != PENDING or row.ebay_carrier_code:
            continue
        _log(order, "found", row)
        try:
            valid = numbers.validate(row.tracking_number, row.carrier)
        except numbers.InvalidTrackingNumberError as exc:
            row.upload_state = INVALID
            row.upload_message = f"Invalid tracking number from the supplier: {exc}"
            _log(order, "invalid", row, detail=str(exc))
            continue
        row.carrier = row.carrier or valid.courier_name
        row.ebay_carrier_code = valid.ebay_carrier_code


def _entered_by_hand(order: Order) -> bool:
    """The order has a validated number no package row holds (typed by hand, or set while a
    sibling line item was checked): it is uploaded without reading the supplier again."""
    if not (order.tracking_number and order.ebay_carrier_code):
        return False
    return not any(
        s.tracking_number.upper() == order.tracking_number.upper() and s.ebay_carrier_code
        for s in order.shipments
    )


def _adopt(order: Order) -> None:
    """Make the order's validated number a package row (the whole order in it). A number typed by
    hand replaces the supplier's invalid or refused ones: they no longer hold the envelope red."""
    row = next(
        (s for s in order.shipments if s.tracking_number.upper() == order.tracking_number.upper()),
        None,
    )
    if row is None:
        row = Shipment(order_id=order.id, tracking_number=order.tracking_number, status="shipped")
        db.session.add(row)
        order.shipments.append(row)
    row.carrier, row.ebay_carrier_code = order.tracking_carrier, order.ebay_carrier_code
    row.upload_state, row.upload_message = PENDING, None
    for other in order.shipments:
        if other is not row and other.upload_state in (INVALID, REFUSED):
            other.upload_state = NOT_NEEDED
            other.upload_message = f"replaced by {order.tracking_number}"


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
        if order.tracking_number not in {
            numbers.normalize(p.tracking_number) for p in info.all_packages()
        }:
            continue
        sibling.tracking_number, sibling.tracking_carrier = (
            order.tracking_number,
            order.tracking_carrier,
        )
        sibling.ebay_carrier_code = order.ebay_carrier_code
        _log(sibling, "found", sibling, detail=f"looked at with order {order.id}: the same package")


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
    _log(order, "error", detail=detail)
    order.tracking_message = f"Last check failed: {detail[:300]}"
    if order.tracking_deadline_at and clock.now() >= order.tracking_deadline_at:
        orders.transition(order, T.NOT_FOUND, reason=f"gave up after errors: {detail[:200]}")
    else:
        delay = min(timedelta(minutes=2**order.tracking_failures), ERROR_BACKOFF_CAP)
        order.next_tracking_check_at = clock.now() + delay
    db.session.commit()
    log.warning("order %s tracking check failed: %s", order.id, detail)
    return "check failed"


def _recheck(order: Order) -> str:
    """An uploaded order, looked at again: record status changes; upload a package found later."""
    db.session.commit()
    try:
        info = _fetch(order)
    except FETCH_ERRORS as exc:
        db.session.rollback()
        order = db.session.get(Order, order.id)
        detail = f"{type(exc).__name__}: {exc}"
        _log(order, "error", detail=detail)
        schedule_recheck(order)
        db.session.commit()
        log.info("order %s tracking re-check failed: %s", order.id, detail)
        return "recheck failed"
    record_shipments(order, info)
    validate_shipments(order)
    if any(s.upload_state == PENDING and s.ebay_carrier_code for s in order.shipments):
        return upload(order)
    return _settle(order, uploaded_now=[])


def schedule_recheck(order: Order) -> None:
    """After upload: look again one slow interval from now, until the give-up deadline, while a
    package may still change (not every one delivered, returned or cancelled). Not committed."""
    every = current_app.config["TRACKING_RECHECK_SECONDS"]
    now, deadline = clock.now(), order.tracking_deadline_at
    settled = order.shipments and all(s.status in FINAL for s in order.shipments)
    if (
        every <= 0
        or deadline is None
        or now >= deadline
        or settled
        or not (order.bot_id and order.supplier_order_number)
    ):
        order.next_tracking_check_at = None
    else:
        order.next_tracking_check_at = min(now + timedelta(seconds=every), deadline)


def upload(order: Order) -> str:
    """Upload each validated package not on eBay yet as its own shipping fulfillment (this line
    item and its units in that package, plus the other line items of the eBay order that travel in
    it). Commits.

    eBay's fulfillments are read first: a number eBay has is never sent again. A package counts as
    uploaded only when eBay's fulfillments, read back after the upload, list this line item under
    its number.
    """
    account = db.session.get(EbayAccount, order.ebay_account_id) if order.ebay_account_id else None
    if account is None:
        if order.tracking_status != T.UPLOADED:
            orders.transition(
                order, T.UPLOADED, reason="no eBay account linked; tracking recorded only"
            )
        order.next_tracking_check_at = None
        db.session.commit()
        return "recorded"
    client = accounts.client_for(account)
    try:
        if cancel_state(client.get_order(order.ebay_order_id)) != NO_CANCEL:
            return _upload_failed(
                order, "The eBay order has a cancellation; tracking not uploaded."
            )
        fulfillments = client.get_shipping_fulfillments(order.ebay_order_id)
        sent = _send_packages(client, order, fulfillments)
        if sent:
            fulfillments = client.get_shipping_fulfillments(order.ebay_order_id)  # read back
        uploaded_now = _mark_covered(order, fulfillments, sent)
    except ReauthorizationNeededError as exc:
        accounts.mark_reconnect_needed(account, exc)
        return _upload_failed(order, "Reconnect the eBay account, then re-check tracking.")
    except EbayRequestError as exc:
        return _upload_failed(order, f"eBay refused the tracking: {exc}")
    except EbayError as exc:  # transient: try again soon, the read-back prevents a double upload
        order.next_tracking_check_at = clock.now() + timedelta(minutes=5)
        order.tracking_message = (
            f"eBay unavailable ({type(exc).__name__}, request id {exc.request_id}); retrying"
        )
        db.session.commit()
        return "upload retry later"
    return _settle(order, uploaded_now)


def _waiting(order: Order) -> list[Shipment]:
    """Validated packages not on eBay yet (a refused one is tried again), in the order found."""
    return [
        s
        for s in order.shipments
        if s.ebay_carrier_code and s.upload_state in (PENDING, REFUSED) and s.status in UPLOADABLE
    ]


def _send_packages(client, order: Order, fulfillments: list[dict]) -> set[str]:
    """Create one fulfillment per waiting package eBay does not have. Returns the numbers sent.
    eBay refusing one package (EbayRequestError) is kept on its row; the others still go."""
    sent: set[str] = set()
    shipped = _units_on_ebay(fulfillments, order.ebay_line_item_id)
    waiting = _waiting(order)
    for index, row in enumerate(waiting):
        if _covering(fulfillments, row.tracking_number, order) is not None:
            continue  # on eBay already (an earlier run uploaded it, or a sibling's package)
        if _has_tracking(fulfillments, row.tracking_number):
            row.upload_state = REFUSED
            row.upload_message = (
                f"eBay has tracking number {row.tracking_number} on this order without this "
                "line item, and eBay's API cannot add a line item to an existing tracking number "
                "(it asks for an update, errorId 34500): mark this line item shipped on eBay."
            )
            continue
        remaining = order.quantity - shipped
        units = _units(row, remaining, waiting[index + 1 :])
        if units < 1:
            row.upload_state = NOT_NEEDED
            row.upload_message = (
                f"eBay counts all {order.quantity} unit(s) of this line item shipped in the "
                "packages uploaded before; eBay takes a tracking number only for unshipped units."
            )
            continue
        lines = [{"lineItemId": order.ebay_line_item_id, "quantity": units}] + [
            {"lineItemId": o.ebay_line_item_id, "quantity": o.quantity}
            for o in _same_package(order, row.tracking_number)
            if _covering(fulfillments, row.tracking_number, o) is None
        ]
        try:
            client.create_shipping_fulfillment(
                order.ebay_order_id,
                line_items=lines,
                carrier_code=row.ebay_carrier_code,
                tracking_number=row.tracking_number,
                shipped_at=clock.now(),
            )
        except EbayRequestError as exc:
            row.upload_state, row.upload_message = REFUSED, f"eBay refused it: {exc}"
            if len(waiting) == 1:
                raise  # the order's only package: the order-level message says it
            continue
        sent.add(row.tracking_number.upper())
        shipped += units
    return sent


def _units(row: Shipment, remaining: int, later: list[Shipment]) -> int:
    """Units of the line item to declare in this package: what the supplier says it holds, else
    what is left after leaving one unit (or the units they say) for each package still to go."""
    if remaining <= 0:
        return 0
    if row.quantity:
        return min(row.quantity, remaining)
    return max(1, remaining - sum(s.quantity or 1 for s in later)) if later else remaining


def _mark_covered(order: Order, fulfillments: list[dict], sent: set[str]) -> list[Shipment]:
    """Mark uploaded every package eBay's fulfillments list with this line item (and the other
    line items travelling in it). Returns the packages uploaded by this run."""
    now, uploaded_now = clock.now(), []
    for row in order.shipments:
        if row.upload_state == UPLOADED or not row.ebay_carrier_code:
            continue
        covering = _covering(fulfillments, row.tracking_number, order)
        if covering is None:
            if row.tracking_number.upper() in sent:
                row.upload_state = REFUSED
                row.upload_message = "eBay's fulfillments do not list it after the upload."
            continue
        row.upload_state, row.upload_message = UPLOADED, None
        row.ebay_fulfillment_id, row.uploaded_at = covering.get("fulfillmentId"), now
        if row.tracking_number.upper() in sent:
            uploaded_now.append(row)
        for line in _same_package(order, row.tracking_number):
            _sibling_covered(order, line, fulfillments)
    return uploaded_now


def _sibling_covered(order: Order, line: Order, fulfillments: list[dict]) -> None:
    covering = _covering(fulfillments, line.tracking_number, line)
    if covering is None:
        return
    line.ebay_fulfillment_id = covering.get("fulfillmentId")
    for row in line.shipments:
        if row.tracking_number.upper() == line.tracking_number.upper():
            row.upload_state, row.upload_message = UPLOADED, None
            row.ebay_fulfillment_id, row.uploaded_at = line.ebay_fulfillment_id, clock.now()
    line.tracking_message = None
    orders.transition(
        line,
        T.UPLOADED,
        reason=f"uploaded to eBay in one package with line item "
        f"{order.ebay_line_item_id} ({line.ebay_carrier_code} {line.tracking_number})",
    )
    schedule_recheck(line)


def _settle(order: Order, uploaded_now: list[Shipment]) -> str:
    """The envelope from the packages: green when every known package is on eBay (or needs not
    be), red with each package's reason when one is not. Schedules the next look. Commits."""
    rows = order.shipments
    stuck = [s for s in rows if s.upload_state in BLOCKING and s.status in UPLOADABLE]
    on_ebay = [s for s in rows if s.upload_state == UPLOADED]
    if stuck or not on_ebay:
        message = "; ".join(f"{s.tracking_number}: {s.upload_message}" for s in stuck)
        if order.tracking_status != T.UPLOADED:
            return _upload_failed(order, message or "No package could be uploaded to eBay.")
        order.tracking_message = f"Not on eBay: {message}" if message else None
        schedule_recheck(order)
        db.session.commit()
        return "upload failed" if stuck else "rechecked"
    order.ebay_fulfillment_id = order.ebay_fulfillment_id or on_ebay[0].ebay_fulfillment_id
    order.tracking_message = None
    what = ", ".join(f"{s.ebay_carrier_code} {s.tracking_number}" for s in uploaded_now)
    result = "uploaded" if uploaded_now or order.tracking_status != T.UPLOADED else "rechecked"
    if order.tracking_status != T.UPLOADED:
        reason = (
            f"uploaded to eBay ({what})"
            if uploaded_now
            else "eBay already had this tracking number for this line item"
        )
        orders.transition(order, T.UPLOADED, reason=reason)
    elif uploaded_now:
        _log(order, "found", detail=f"a later package uploaded to eBay: {what}")
    schedule_recheck(order)
    db.session.commit()
    return result


def _upload_failed(order: Order, message: str) -> str:
    order.tracking_message = message
    if order.tracking_status != T.UPLOADED:
        orders.transition(order, T.UPLOAD_FAILED, reason=message)
    db.session.commit()
    return "upload failed"


def _same_package(order: Order, number: str) -> list[Order]:
    """Other bought line items of the same eBay order with this tracking number, not yet
    uploaded: they travel in one package and go in one shipping fulfillment."""
    return db.session.scalars(
        select(Order)
        .where(
            Order.team_id == order.team_id,
            Order.ebay_order_id == order.ebay_order_id,
            Order.id != order.id,
            Order.status == S.SUCCEEDED,
            Order.tracking_status.in_([T.NOT_DUE, T.SEARCHING, T.UPLOAD_FAILED]),
            func.upper(Order.tracking_number) == number.upper(),
            Order.ebay_carrier_code.is_not(None),
        )
        .order_by(Order.id)
    ).all()


def _units_on_ebay(fulfillments: list[dict], line_item_id: str) -> int:
    return sum(
        ref.get("quantity") or 1
        for f in fulfillments
        for ref in f.get("lineItems") or []
        if isinstance(ref, dict) and ref.get("lineItemId") == line_item_id
    )


def _has_tracking(fulfillments: list[dict], number: str) -> bool:
    return any(
        (f.get("shipmentTrackingNumber") or "").upper() == number.upper() for f in fulfillments
    )


def _covering(fulfillments: list[dict], number: str | None, line: Order) -> dict | None:
    """The fulfillment with this tracking number that lists the line item, if eBay has one."""
    for fulfillment in fulfillments:
        if (fulfillment.get("shipmentTrackingNumber") or "").upper() != (number or "").upper():
            continue
        if any(
            isinstance(ref, dict) and ref.get("lineItemId") == line.ebay_line_item_id
            for ref in fulfillment.get("lineItems") or []
        ):
            return fulfillment
    return None
