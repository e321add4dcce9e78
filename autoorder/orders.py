"""THE order state machine: the only code that changes an order's cart or envelope status.

Two machines, one per icon the user sees. ``transition`` performs every change, refuses
illegal ones and appends an OrderEvent; it never commits (the caller owns the transaction).
``claim`` is the conditional UPDATE that lets exactly one worker take an order.
"""

from datetime import timedelta
from enum import StrEnum

from sqlalchemy import and_, or_, update

from autoorder import clock, notifications, order_index
from autoorder.extensions import db
from autoorder.models import Order, OrderEvent


class OrderStatus(StrEnum):
    """The cart icon."""

    WAITING = "waiting"  # waiting to be ordered (inside the buffer, or due)
    IN_PROGRESS = "in_progress"  # a worker holds the lease and is buying
    SUCCEEDED = "succeeded"  # bought: green cart
    FAILED = "failed"  # the supplier refused (declined card, out of stock...); nothing bought
    NEEDS_ATTENTION = "needs_attention"  # a human must look (no mapping, no credits, held...)
    NEEDS_YOU = "needs_you"  # a supplier challenge (captcha, code) waits for a person: the hand-off
    CANCELLED = "cancelled"


class TrackingStatus(StrEnum):
    """The envelope icon."""

    NOT_DUE = "not_due"
    SEARCHING = "searching"
    UPLOADED = "uploaded"  # green envelope
    NOT_FOUND = "not_found"  # gave up after the deadline
    UPLOAD_FAILED = "upload_failed"


S, T = OrderStatus, TrackingStatus

ALLOWED: dict[StrEnum, frozenset[StrEnum]] = {
    S.WAITING: frozenset({S.IN_PROGRESS, S.CANCELLED, S.NEEDS_ATTENTION}),
    S.IN_PROGRESS: frozenset({S.SUCCEEDED, S.FAILED, S.NEEDS_ATTENTION, S.WAITING, S.NEEDS_YOU}),
    S.NEEDS_ATTENTION: frozenset({S.WAITING, S.SUCCEEDED, S.CANCELLED}),
    # passed: back in line to buy; given up, timed out or lost: a person looks (autoorder.handoff)
    S.NEEDS_YOU: frozenset({S.WAITING, S.NEEDS_ATTENTION}),
    S.FAILED: frozenset({S.WAITING, S.SUCCEEDED, S.CANCELLED}),
    S.SUCCEEDED: frozenset(),
    S.CANCELLED: frozenset(),
    T.NOT_DUE: frozenset({T.SEARCHING, T.UPLOADED}),
    T.SEARCHING: frozenset({T.UPLOADED, T.NOT_FOUND, T.UPLOAD_FAILED}),
    T.NOT_FOUND: frozenset({T.SEARCHING, T.UPLOADED}),
    T.UPLOAD_FAILED: frozenset({T.SEARCHING, T.UPLOADED}),
    T.UPLOADED: frozenset(),
}

# Statuses that will change without a human: the dashboard keeps polling while any is shown.
ACTIVE = frozenset({S.WAITING, S.IN_PROGRESS, S.NEEDS_YOU, T.NOT_DUE, T.SEARCHING})


class InvalidTransitionError(ValueError):
    """The requested status change is not in ALLOWED."""


class AttemptState(StrEnum):
    """The never-buy-twice life cycle of one purchase attempt (``PurchaseAttempt.state``)."""

    STARTED = "started"  # committed before the browser opens; nothing clicked yet
    PLACING = "placing"  # committed right before the place-order click: may have bought
    PLACED = "placed"  # the supplier order exists (its number is recorded)
    NOT_PLACED = "not_placed"  # ended before the click: nothing was bought
    FAILED = "failed"  # ended without an order (refused, or not found after an unclear click)


A = AttemptState
ATTEMPT_ALLOWED: dict[AttemptState, frozenset[AttemptState]] = {
    A.STARTED: frozenset({A.PLACING, A.NOT_PLACED, A.FAILED}),
    A.PLACING: frozenset({A.PLACED, A.FAILED}),  # never "not placed": the click may have happened
    A.PLACED: frozenset(),
    A.NOT_PLACED: frozenset(),
    A.FAILED: frozenset(),
}
UNFINISHED_ATTEMPTS = frozenset({A.STARTED, A.PLACING})


def set_attempt_state(attempt, to: AttemptState, **fields) -> None:
    """Move a purchase attempt along ATTEMPT_ALLOWED (setting ``fields`` too); does not commit.

    ``placing_at`` is stamped on PLACING and ``finished_at`` on every final state."""
    current = AttemptState(attempt.state or A.STARTED)
    if to not in ATTEMPT_ALLOWED[current]:
        raise InvalidTransitionError(
            f"purchase attempt {attempt.id}: {current} -> {to} is not allowed"
        )
    attempt.state = to.value
    now = clock.now()
    if to == A.PLACING:
        attempt.placing_at = now
    elif not ATTEMPT_ALLOWED[to]:
        attempt.finished_at = now
    for name, value in fields.items():
        setattr(attempt, name, value)


def _machine(status):
    if isinstance(status, OrderStatus):
        return "cart", "status", OrderStatus
    if isinstance(status, TrackingStatus):
        return "tracking", "tracking_status", TrackingStatus
    raise TypeError(f"not a status: {status!r}")


def can_transition(current, to) -> bool:
    """Return whether ``current`` → ``to`` is allowed (statuses of the same machine)."""
    return to in ALLOWED.get(current, frozenset())


def transition(order: Order, to, *, reason: str, actor: str = "system", data=None) -> OrderEvent:
    """Move ``order`` to ``to`` (an OrderStatus or TrackingStatus) and record why.

    Raises InvalidTransitionError for a move ALLOWED does not list. Does not commit.
    """
    kind, attr, enum = _machine(to)
    current = enum(getattr(order, attr))
    if not can_transition(current, to):
        raise InvalidTransitionError(f"order {order.id}: {kind} {current} -> {to} is not allowed")
    now = clock.now()
    setattr(order, attr, to.value)
    if kind == "cart":
        order.status_changed_at = now
    else:
        order.tracking_status_changed_at = now
    if kind == "cart" and to in (S.WAITING, S.SUCCEEDED, S.CANCELLED):
        order.failure_code = order.failure_message = None
    if kind == "cart" and to != S.IN_PROGRESS:
        order.lease_owner = order.lease_expires_at = None
    if kind == "cart":
        order.wait_reason = None  # a waiting reason is set after the move (bot_limits, gift_cards)
    event = OrderEvent(
        order=order,
        kind=kind,
        from_status=current.value,
        to_status=to.value,
        reason=reason,
        actor=actor,
        at=now,
        data=data,
    )
    db.session.add(event)
    return event


def fail(order: Order, to: OrderStatus, *, code: str, message: str, actor="system", data=None):
    """Move the cart to FAILED, NEEDS_ATTENTION or NEEDS_YOU with a reason code and readable
    message, and tell the team (``notifications.order_needs_you``: once per sale)."""
    if to not in (S.FAILED, S.NEEDS_ATTENTION, S.NEEDS_YOU):
        raise ValueError("fail() moves only to FAILED, NEEDS_ATTENTION or NEEDS_YOU")
    event = transition(order, to, reason=f"{code}: {message}", actor=actor, data=data)
    order.failure_code, order.failure_message = code, message
    notifications.order_needs_you(order)
    return event


def note(order: Order, reason: str, *, actor: str = "system", data=None) -> OrderEvent:
    """Append a timeline entry that changes no status."""
    event = OrderEvent(
        order=order, kind="note", reason=reason, actor=actor, at=clock.now(), data=data
    )
    db.session.add(event)
    return event


def claim(
    order_id: int,
    from_: OrderStatus,
    to: OrderStatus,
    *,
    owner: str,
    reason: str,
    lease_seconds: int | None = None,
    actor: str = "system",
) -> bool:
    """Take an order with one conditional UPDATE; return True only for the single winner.

    ``UPDATE orders SET status=:to ... WHERE id=:id AND status=:from_`` — of any number of
    concurrent claimers exactly one sees a changed row. An IN_PROGRESS claim also takes a
    lease (owner + expiry) that ``renew_lease`` extends and ``holds_lease`` checks. Commits.
    """
    if not can_transition(from_, to):
        raise InvalidTransitionError(f"claim {from_} -> {to} is not allowed")
    now = clock.now()
    values = {"status": to.value, "status_changed_at": now, "updated_at": now, "wait_reason": None}
    if lease_seconds is not None:
        values |= {"lease_owner": owner, "lease_expires_at": now + timedelta(seconds=lease_seconds)}
    taken = db.session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == from_.value)
        .values(values)
        .returning(Order.team_id, Order.tracking_status)
        .execution_options(synchronize_session=False)
    ).all()
    won = len(taken) == 1
    if won:
        # The per-status counts, in this transaction (a Core UPDATE: the ORM hooks do not see it).
        team_id, tracking_status = taken[0]
        order_index.count_status_change(team_id, tracking_status, from_.value, to.value)
        db.session.add(
            OrderEvent(
                order_id=order_id,
                kind="cart",
                from_status=from_.value,
                to_status=to.value,
                reason=reason,
                actor=actor,
                at=now,
            )
        )
    db.session.commit()
    if won:
        order = db.session.get(Order, order_id)
        if order is not None:
            db.session.refresh(order)
    return won


def take_expired_lease(order_id: int, *, owner: str, lease_seconds: int) -> bool:
    """Take over an IN_PROGRESS order whose lease has expired (a dead worker's). Commits."""
    now = clock.now()
    result = db.session.execute(
        update(Order)
        .where(
            Order.id == order_id,
            Order.status == S.IN_PROGRESS.value,
            or_(Order.lease_expires_at.is_(None), Order.lease_expires_at < now),
        )
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def renew_lease(order_id: int, *, owner: str, lease_seconds: int) -> bool:
    """Extend our lease; False means we lost the order and must stop writing. Commits."""
    now = clock.now()
    result = db.session.execute(
        update(Order)
        .where(
            and_(
                Order.id == order_id,
                Order.lease_owner == owner,
                Order.status == S.IN_PROGRESS.value,
            )
        )
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def holds_lease(order: Order, owner: str) -> bool:
    """Return whether ``owner`` still holds an unexpired lease on ``order``."""
    return (
        order.status == S.IN_PROGRESS
        and order.lease_owner == owner
        and order.lease_expires_at is not None
        and order.lease_expires_at > clock.now()
    )
