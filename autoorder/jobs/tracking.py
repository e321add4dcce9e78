"""The tracking job: load one order and check its tracking (the rules are in autoorder.tracking)."""

from sqlalchemy.orm import joinedload

from autoorder import tracking
from autoorder.ebay.budget import counting_calls
from autoorder.extensions import db
from autoorder.models import Order, OrderBot


@counting_calls
def refresh_tracking(order_id: int) -> str:
    """Check one order's tracking if it is due; safe to run twice (it re-checks due-ness)."""
    order = db.session.get(
        Order,
        order_id,
        options=[joinedload(Order.bot).joinedload(OrderBot.supplier)],
    )
    return tracking.check(order)
