"""When tracking is looked for: first after a delay, then at an interval, until a deadline; and more
often (hourly by default) in the last hours (12 by default) before eBay's ship-by date."""

from datetime import timedelta

from flask import current_app

from autoorder import clock
from autoorder.models import Order


def schedule_first_check(order: Order) -> None:
    """Set the first look and the give-up deadline from the order time."""
    config = current_app.config
    ordered = order.ordered_at or clock.now()
    order.tracking_deadline_at = ordered + timedelta(seconds=config["TRACKING_GIVE_UP_SECONDS"])
    order.next_tracking_check_at = _tightened(
        order, ordered + timedelta(seconds=config["TRACKING_FIRST_CHECK_SECONDS"])
    )


def schedule_retry(order: Order) -> None:
    """Set the next look one interval from now (not past the deadline)."""
    later = _tightened(
        order, clock.now() + timedelta(seconds=current_app.config["TRACKING_RETRY_SECONDS"])
    )
    order.next_tracking_check_at = (
        min(later, order.tracking_deadline_at) if order.tracking_deadline_at else later
    )


def ship_by_window() -> timedelta:
    return timedelta(seconds=current_app.config["SHIP_BY_WINDOW_SECONDS"])


def _tightened(order: Order, planned):
    """``planned``, or sooner: from ship-by minus the window, look every SHIP_BY_CHECK_SECONDS."""
    if order.ship_by_at is None:
        return planned
    now = clock.now()
    window_starts = order.ship_by_at - ship_by_window()
    if now < window_starts:
        return min(planned, window_starts)
    return min(planned, now + timedelta(seconds=current_app.config["SHIP_BY_CHECK_SECONDS"]))


def at_risk(order: Order, now=None) -> bool:
    """The sale may miss eBay's ship-by date: within the window (or past it), tracking not on
    eBay."""
    if (
        order.ship_by_at is None
        or order.status == "cancelled"
        or order.tracking_status == "uploaded"
    ):
        return False
    return (now or clock.now()) >= order.ship_by_at - ship_by_window()
