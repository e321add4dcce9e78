"""RQ failure callbacks: an order job that crashed unexpectedly leaves a visible, recoverable
state."""

import logging

from rq.exceptions import AbandonedJobError  # a job whose worker died (RQ's registry clean-up)

from autoorder import orders
from autoorder.extensions import db
from autoorder.models import Order
from autoorder.orders import AttemptState as A
from autoorder.orders import OrderStatus as S
from autoorder.purchasing import release_after_browser_loss
from autoorder.scrapers.browser import browser_gone

log = logging.getLogger(__name__)


def flag_order(job, connection, exc_type, exc_value, traceback):
    """Move a crashed order job's order to needs attention, unless the click may have happened
    (then the lease runs out and the next run resolves the attempt from the supplier's history)."""
    order_id = job.args[0] if job.args else None
    db.session.rollback()
    order = db.session.get(Order, order_id) if order_id is not None else None
    if order is None or order.status != S.IN_PROGRESS:
        return
    if not owns_lease(order, job.id):
        # Another job took the order over (or it was never ours): only the lease holder writes.
        log.info(
            "order %s: job %s failed but does not hold the lease; left alone", order_id, job.id
        )
        return
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        # The worker died (RQ's clean-up, maybe minutes later): the lease runs out and the
        # expired-lease sweep resumes the order safely from its purchase attempt.
        log.warning(
            "order %s: job %s abandoned by a dead worker; recovered after its lease",
            order_id,
            job.id,
        )
        return
    if any(attempt.state == A.PLACING for attempt in order.attempts):
        log.error(
            "order %s job %s crashed after placing began; left for recovery", order_id, job.id
        )
        return
    if browser_gone(exc_value):  # shutdown or browser crash before the click: try again later
        started = next((a for a in reversed(order.attempts) if a.state == A.STARTED), None)
        release_after_browser_loss(order, started, exc_value)
        return
    orders.fail(
        order,
        S.NEEDS_ATTENTION,
        code="unknown",
        actor=f"job:{job.id}",
        message=f"The order job failed unexpectedly ({exc_type.__name__}: {str(exc_value)[:300]}). "
        "Nothing was bought; retry when the cause is fixed.",
    )
    db.session.commit()
    log.error("order %s job %s failed: %s", order_id, job.id, exc_type.__name__)


def owns_lease(order: Order, job_id: str) -> bool:
    """Whether the order's lease was taken by the job ``job_id`` (owner ids end in the job id)."""
    return bool(order.lease_owner) and order.lease_owner.rsplit(":", 1)[-1] == job_id
