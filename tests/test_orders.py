"""The order state machine: every allowed and every forbidden move, events, the claim."""

import itertools
import threading

import pytest
from sqlalchemy import select

from autoorder import orders
from autoorder.extensions import db
from autoorder.models import Order, OrderEvent
from autoorder.orders import (
    ACTIVE,
    ALLOWED,
    ATTEMPT_ALLOWED,
    AttemptState,
    InvalidTransitionError,
    OrderStatus,
    TrackingStatus,
    set_attempt_state,
)
from tests.factories import make_order, make_team

S, T = OrderStatus, TrackingStatus

EXPECTED_CART = {
    (S.WAITING, S.IN_PROGRESS),
    (S.WAITING, S.CANCELLED),
    (S.WAITING, S.NEEDS_ATTENTION),
    (S.IN_PROGRESS, S.SUCCEEDED),
    (S.IN_PROGRESS, S.FAILED),
    (S.IN_PROGRESS, S.NEEDS_ATTENTION),
    (S.IN_PROGRESS, S.WAITING),
    (S.IN_PROGRESS, S.NEEDS_YOU),  # a supplier challenge: the hand-off to a person
    (S.NEEDS_YOU, S.WAITING),  # passed: back in line to buy
    (S.NEEDS_YOU, S.NEEDS_ATTENTION),  # given up, timed out, lost
    (S.NEEDS_ATTENTION, S.WAITING),
    (S.NEEDS_ATTENTION, S.SUCCEEDED),
    (S.NEEDS_ATTENTION, S.CANCELLED),
    (S.FAILED, S.WAITING),
    (S.FAILED, S.SUCCEEDED),
    (S.FAILED, S.CANCELLED),
}
EXPECTED_TRACKING = {
    (T.NOT_DUE, T.SEARCHING),
    (T.NOT_DUE, T.UPLOADED),
    (T.SEARCHING, T.UPLOADED),
    (T.SEARCHING, T.NOT_FOUND),
    (T.SEARCHING, T.UPLOAD_FAILED),
    (T.NOT_FOUND, T.SEARCHING),
    (T.NOT_FOUND, T.UPLOADED),
    (T.UPLOAD_FAILED, T.SEARCHING),
    (T.UPLOAD_FAILED, T.UPLOADED),
}
CART_PAIRS = list(itertools.product(S, S))
TRACKING_PAIRS = list(itertools.product(T, T))


def test_allowed_table_reads_like_the_diagram():
    table = {(a, b) for a, targets in ALLOWED.items() for b in targets}
    assert table == EXPECTED_CART | EXPECTED_TRACKING
    terminal = {status for status, targets in ALLOWED.items() if not targets}
    assert terminal == {S.SUCCEEDED, S.CANCELLED, T.UPLOADED}
    assert ACTIVE.isdisjoint(terminal)


def test_model_defaults_are_the_initial_statuses():
    assert Order.__table__.c.status.default.arg == S.WAITING.value
    assert Order.__table__.c.tracking_status.default.arg == T.NOT_DUE.value


@pytest.mark.parametrize("current,to", CART_PAIRS + TRACKING_PAIRS, ids=lambda s: s.value)
def test_every_transition_pair(ctx, current, to):
    team = make_team()
    attr = "status" if isinstance(to, OrderStatus) else "tracking_status"
    order = make_order(team, **{attr: current.value})
    allowed = (current, to) in (EXPECTED_CART | EXPECTED_TRACKING)
    if allowed:
        event = orders.transition(order, to, reason="because", actor="user:7")
        db.session.commit()
        assert getattr(order, attr) == to.value
        assert (event.from_status, event.to_status, event.reason, event.actor) == (
            current.value,
            to.value,
            "because",
            "user:7",
        )
        assert event.kind == ("cart" if attr == "status" else "tracking")
    else:
        with pytest.raises(InvalidTransitionError):
            orders.transition(order, to, reason="nope")
        assert getattr(order, attr) == current.value
        assert db.session.scalars(select(OrderEvent)).all() == []


def test_transition_refuses_a_non_status(ctx):
    order = make_order(make_team())
    with pytest.raises(TypeError):
        orders.transition(order, "succeeded", reason="strings are not statuses")


def test_fail_records_code_and_message_and_retry_clears_them(ctx):
    order = make_order(make_team(), status="in_progress")
    orders.fail(order, S.FAILED, code="payment_declined", message="The card was declined.")
    assert (order.status, order.failure_code) == ("failed", "payment_declined")
    orders.transition(order, S.WAITING, reason="retry", actor="user:1")
    db.session.commit()
    assert order.failure_code is None and order.failure_message is None
    assert [e.to_status for e in order.events] == ["failed", "waiting"]


def test_events_are_timestamped_with_the_clock(ctx):
    from datetime import UTC, datetime

    from autoorder import clock

    clock.freeze(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    try:
        order = make_order(make_team())
        orders.transition(order, S.CANCELLED, reason="buyer asked")
        db.session.commit()
        db.session.expire_all()
        assert order.events[0].at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert order.status_changed_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    finally:
        clock.reset()


def test_claim_wins_once_and_records_a_lease(ctx):
    order = make_order(make_team())
    db.session.commit()
    assert orders.claim(
        order.id, S.WAITING, S.IN_PROGRESS, owner="job-1", reason="buying", lease_seconds=60
    )
    assert not orders.claim(
        order.id, S.WAITING, S.IN_PROGRESS, owner="job-2", reason="buying", lease_seconds=60
    )
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "in_progress" and order.lease_owner == "job-1"
    assert orders.holds_lease(order, "job-1") and not orders.holds_lease(order, "job-2")
    assert [(e.from_status, e.to_status) for e in order.events] == [("waiting", "in_progress")]


def test_claim_refuses_a_forbidden_move(ctx):
    with pytest.raises(InvalidTransitionError):
        orders.claim(1, S.SUCCEEDED, S.IN_PROGRESS, owner="x", reason="no")


def test_lease_renewal_and_takeover_after_expiry(ctx):
    from autoorder import clock

    order = make_order(make_team())
    db.session.commit()
    assert orders.claim(order.id, S.WAITING, S.IN_PROGRESS, owner="a", reason="r", lease_seconds=30)
    assert not orders.take_expired_lease(order.id, owner="b", lease_seconds=30)  # still held
    assert orders.renew_lease(order.id, owner="a", lease_seconds=30)
    clock.advance(31)
    try:
        assert orders.take_expired_lease(order.id, owner="b", lease_seconds=30)
        assert not orders.renew_lease(order.id, owner="a", lease_seconds=30)  # a lost it
        assert orders.renew_lease(order.id, owner="b", lease_seconds=30)
    finally:
        clock.reset()


def _race(app, order_id, claimers=2):
    """Run ``claimers`` claims at once, each on its own connection; return their results."""
    barrier = threading.Barrier(claimers)
    results = [None] * claimers

    def claim(i):
        with app.app_context():
            barrier.wait()
            results[i] = orders.claim(
                order_id, S.WAITING, S.IN_PROGRESS, owner=f"w{i}", reason="race", lease_seconds=60
            )
            db.session.remove()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(claimers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _race_rounds(app, rounds, claimers) -> tuple[int, list[list[bool]]]:
    """``rounds`` races of ``claimers`` claims on one waiting order, put back in line after each;
    the order's id and each round's results."""
    with app.app_context():
        order_id = make_order(make_team()).id
        db.session.commit()
    results = []
    for _ in range(rounds):
        results.append(_race(app, order_id, claimers))
        with app.app_context():
            orders.transition(db.session.get(Order, order_id), S.WAITING, reason="next round")
            db.session.commit()
    return order_id, results


def test_concurrent_claims_have_exactly_one_winner(app):
    for results in _race_rounds(app, rounds=5, claimers=4)[1]:
        assert sorted(results) == [False, False, False, True]


@pytest.mark.postgres
def test_concurrent_claims_on_postgres_two_connections(app, db_url):
    assert db_url.startswith("postgresql")
    order_id, rounds = _race_rounds(app, rounds=20, claimers=2)
    for results in rounds:
        assert sorted(results) == [False, True]
    with app.app_context():
        claimed = db.session.scalars(
            select(OrderEvent).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "in_progress"
            )
        ).all()
    assert len(claimed) == 20  # one claim event per round, never two


# --- the purchase attempt's life cycle (never buy twice) ------------------------------------------


@pytest.mark.parametrize("current", list(AttemptState))
@pytest.mark.parametrize("to", list(AttemptState))
def test_every_attempt_state_pair_is_allowed_or_refused_by_the_table(current, to):
    from types import SimpleNamespace

    attempt = SimpleNamespace(id=1, state=current.value, placing_at=None, finished_at=None)
    if to in ATTEMPT_ALLOWED[current]:
        set_attempt_state(attempt, to)
        assert attempt.state == to.value
        assert (attempt.placing_at is not None) == (to == AttemptState.PLACING)
        assert (attempt.finished_at is not None) == (not ATTEMPT_ALLOWED[to])
    else:
        with pytest.raises(InvalidTransitionError):
            set_attempt_state(attempt, to)
        assert attempt.state == current.value


def test_an_attempt_that_may_have_clicked_can_never_become_not_placed():
    assert AttemptState.NOT_PLACED not in ATTEMPT_ALLOWED[AttemptState.PLACING]


def test_every_cart_move_and_claim_clear_the_waiting_reason(ctx):
    """A waiting reason (bot limit, gift-card balance low) belongs to one wait: any status change
    of the cart, or a worker's claim, ends it."""
    order = make_order(make_team(), wait_reason="gift_card_low")
    db.session.commit()
    orders.transition(order, S.CANCELLED, reason="test")
    assert order.wait_reason is None
    other = make_order(make_team(), wait_reason="bot_limit")
    db.session.commit()
    assert orders.claim(other.id, S.WAITING, S.IN_PROGRESS, owner="t", reason="t")
    db.session.refresh(other)
    assert other.wait_reason is None
