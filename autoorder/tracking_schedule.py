"""When tracking is looked for: first after a delay, then at an interval, until a deadline."""

from datetime import timedelta

from flask import current_app

from autoorder import clock
from autoorder.models import Order


def schedule_first_check(order: Order) -> None:
    """Set the first look and the give-up deadline from the order time."""
    config = current_app.config
    ordered = order.ordered_at or clock.now()
    order.next_tracking_check_at = ordered + timedelta(
        seconds=config["TRACKING_FIRST_CHECK_SECONDS"]
    )
    order.tracking_deadline_at = ordered + timedelta(seconds=config["TRACKING_GIVE_UP_SECONDS"])


def schedule_retry(order: Order) -> None:
    """Set the next look one interval from now (not past the deadline)."""
    later = clock.now() + timedelta(seconds=current_app.config["TRACKING_RETRY_SECONDS"])
    order.next_tracking_check_at = (
        min(later, order.tracking_deadline_at) if order.tracking_deadline_at else later
    )
