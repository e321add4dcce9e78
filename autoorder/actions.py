"""What a person can do to a sale from the dashboard or the CLI. Each action validates, changes
status only through autoorder.orders, records who did it, and leaves committing to the caller."""

from autoorder import clock, credits, inputs, orders
from autoorder import tracking_numbers as numbers
from autoorder.models import Order
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T
from autoorder.tracking_schedule import schedule_first_check


class ActionError(ValueError):
    """The action is not possible for this order now; the message says why."""


def allowed(order: Order) -> frozenset[str]:
    """The one answer to "what can a person do to this sale now": the action functions below
    refuse anything else, and the dashboard shows exactly these buttons."""
    status, tracking = order.status, order.tracking_status
    names = set()
    if status == S.WAITING:
        names.add("order_now")
    if status in (S.NEEDS_ATTENTION, S.FAILED):
        names |= {"retry", "mark_ordered"}
    if status == S.SUCCEEDED and tracking != T.UPLOADED:
        names |= {"recheck_tracking", "enter_tracking"}
    if status in (S.WAITING, S.NEEDS_ATTENTION, S.FAILED):
        names.add("cancel")
    if status == S.NEEDS_YOU:  # a supplier challenge waits for a person (autoorder.handoff)
        names |= {"solve", "give_up"}
    return frozenset(names)


def _require(order: Order, action: str, message: str) -> None:
    if action not in allowed(order):
        raise ActionError(message)


def cancel(order: Order, actor: str) -> None:
    _require(
        order,
        "cancel",
        f"A sale that is {order.status.replace('_', ' ')} cannot be cancelled here.",
    )
    orders.transition(
        order, S.CANCELLED, reason="cancelled by the seller; nothing bought", actor=actor
    )


def order_now(order: Order, actor: str) -> None:
    """Skip the rest of the cancellation buffer."""
    _require(order, "order_now", "Only a waiting sale can be ordered now.")
    order.order_after, order.wait_reason = clock.now(), None
    orders.note(order, "buffer skipped: order now", actor=actor)


def retry(order: Order, actor: str) -> None:
    _require(order, "retry", "Only a failed sale or one that needs attention can be retried.")
    if order.listing_id is None:
        raise ActionError("Map this eBay listing to a supplier product first.")
    order.order_after = clock.now()
    orders.transition(order, S.WAITING, reason="retry requested", actor=actor)


def mark_ordered(order: Order, actor: str, *, supplier_order_number: str, cost: str) -> None:
    """Record a purchase made by hand on the supplier site (spends the credit like any order)."""
    _require(
        order,
        "mark_ordered",
        "Only a failed sale or one that needs attention can be marked as ordered.",
    )
    number = (supplier_order_number or "").strip()
    if not number:
        raise ActionError("Enter the supplier order number.")
    problem = inputs.text_problem(number, max_length=128)
    if problem:
        raise ActionError(f"Supplier order number: {problem}")
    try:
        amount = inputs.money(cost)
    except ValueError as exc:
        raise ActionError(f"Supplier cost: {exc}") from None
    order.supplier_order_number, order.supplier_cost, order.ordered_at = number, amount, clock.now()
    orders.transition(
        order, S.SUCCEEDED, reason=f"marked as ordered by hand: {number}", actor=actor
    )
    credits.spend_for_order(order.team_id, order.id)
    schedule_first_check(order)


def recheck_tracking(order: Order, actor: str) -> None:
    """Look for tracking again now (also after the tracking window ended)."""
    _require(
        order,
        "recheck_tracking",
        "Tracking can be re-checked only for a bought sale without uploaded tracking.",
    )
    if order.tracking_status in (T.NOT_FOUND, T.UPLOAD_FAILED):
        orders.transition(order, T.SEARCHING, reason="tracking re-check requested", actor=actor)
        order.tracking_deadline_at = max(order.tracking_deadline_at or clock.now(), clock.now())
    order.next_tracking_check_at = clock.now()
    order.tracking_failures = 0


def enter_tracking(order: Order, actor: str, *, tracking_number: str, carrier: str | None) -> None:
    """Validate a tracking number typed by hand; it is then uploaded like a found one."""
    _require(
        order,
        "enter_tracking",
        "Tracking can be entered only for a bought sale without uploaded tracking.",
    )
    for label, value, limit in (("Tracking number", tracking_number, 64), ("Carrier", carrier, 64)):
        problem = inputs.text_problem(value or "", max_length=limit)
        if problem:
            raise ActionError(f"{label}: {problem}")
    try:
        valid = numbers.validate(tracking_number, carrier or None)
    except numbers.InvalidTrackingNumberError as exc:
        raise ActionError(str(exc)) from None
    order.tracking_number, order.tracking_carrier = valid.number, carrier or valid.courier_name
    order.ebay_carrier_code = valid.ebay_carrier_code
    orders.note(
        order, f"tracking entered by hand: {valid.ebay_carrier_code} {valid.number}", actor=actor
    )
    if order.tracking_status != T.SEARCHING:
        orders.transition(order, T.SEARCHING, reason="tracking entered by hand", actor=actor)
    order.tracking_deadline_at = max(order.tracking_deadline_at or clock.now(), clock.now())
    order.next_tracking_check_at = clock.now()
    order.tracking_message = None
