"""Jobs used only by tests to prove the worker process runs jobs in the app context."""

from autoorder import orders
from autoorder.extensions import db
from autoorder.models import Order


def add_note(order_id: int, text: str) -> str:
    order = db.session.get(Order, order_id)
    orders.note(order, text, actor="worker-test")
    db.session.commit()
    return f"noted {order_id}"
