"""Purchasing rules that need no browser: a lost browser before the click gives the sale back,
three times at most."""

import uuid

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from autoorder import orders
from autoorder.extensions import db
from autoorder.models import PurchaseAttempt
from autoorder.orders import OrderStatus as S
from autoorder.purchasing import MAX_BROWSER_LOSSES, release_after_browser_loss
from autoorder.scrapers.browser import browser_gone
from tests.factories import make_order, make_team


def test_browser_gone_tells_a_lost_browser_from_a_page_problem():
    assert browser_gone(PlaywrightError("Target page, context or browser has been closed"))
    assert browser_gone(Exception("Connection closed while reading from the driver"))
    assert not browser_gone(PlaywrightTimeout("Locator.click: Timeout 5000ms exceeded."))
    assert not browser_gone(ValueError("bad data"))


def _attempt(order):
    attempt = PurchaseAttempt(order_id=order.id, idempotency_key=uuid.uuid4().hex)
    db.session.add(attempt)
    db.session.flush()
    return attempt


def test_a_lost_browser_releases_the_sale_then_gives_up(ctx):
    order = make_order(make_team(), status="in_progress")
    error = PlaywrightError("Target page, context or browser has been closed")
    for n in range(1, MAX_BROWSER_LOSSES):
        assert release_after_browser_loss(order, _attempt(order), error) == "released: browser lost"
        assert order.status == "waiting"
        orders.transition(order, S.IN_PROGRESS, reason=f"taken again ({n})")
        db.session.commit()
    assert release_after_browser_loss(order, _attempt(order), error) == "unknown"
    assert (order.status, order.failure_code) == ("needs_attention", "unknown")
    assert f"stopped {MAX_BROWSER_LOSSES} times" in order.failure_message
    assert {a.state for a in order.attempts} == {"not_placed"}


def test_an_order_placed_with_wrong_contents_needs_a_person_and_is_not_bought(ctx):
    from autoorder.models import CreditEntry
    from autoorder.purchasing import placed_with_wrong_contents
    from autoorder.scrapers.base import WrongContentsError

    team = make_team()
    order = make_order(team, status="in_progress")
    db.session.add(CreditEntry(team_id=team.id, key="purchase:t", delta=5, reason="purchase"))
    attempt = _attempt(order)
    orders.set_attempt_state(attempt, orders.AttemptState.PLACING)  # the click happened
    db.session.commit()  # as in the job: placed_with_wrong_contents starts with a rollback
    error = WrongContentsError(
        "items [('LAMP-STD', 1), ('PC-BLK', 1)], expected [('PC-BLK', 1)]",
        supplier_order_number="DS-1",
        screenshots={"confirmation": b"\x89PNG confirmation"},
    )
    assert placed_with_wrong_contents(order, attempt, error) == "wrong_contents"
    assert (order.status, order.failure_code) == ("needs_attention", "wrong_contents")
    assert order.supplier_order_number == "DS-1" and "DS-1" in order.failure_message
    assert (attempt.state, attempt.supplier_order_number) == ("placed", "DS-1")
    assert [e.kind for e in order.evidence] == ["confirmation"]
    assert order.next_tracking_check_at is None  # not bought: no tracking is sought
    spent = db.session.scalars(
        db.select(CreditEntry).where(CreditEntry.team_id == team.id, CreditEntry.delta < 0)
    ).all()
    assert spent == []


def test_each_supplier_error_states_its_policy():
    """The policy lives on the error classes (purchasing reads it; no code lists)."""
    from autoorder.scrapers import base

    def policy(cls):
        return (cls.may_have_bought, cls.retryable, cls.supplier_said_no)

    assert policy(base.SupplierError) == (True, False, False)  # unknown after the click: unclear
    assert policy(base.PageChangedError) == (True, False, False)
    assert policy(base.OutOfStockError) == (False, False, True)
    assert policy(base.PaymentDeclinedError) == (False, False, True)
    assert policy(base.AddressRejectedError) == (False, False, False)
    assert policy(base.SupplierUnavailableError) == (False, True, False)
    assert policy(base.WrongContentsError)[0] is True
    for cls in base.SupplierError.__subclasses__():
        assert not (cls.retryable and cls.may_have_bought), cls  # never retry what may be bought


def test_a_retryable_supplier_error_releases_the_sale_later_then_gives_up(ctx):
    from datetime import timedelta

    from autoorder import clock
    from autoorder.purchasing import MAX_RELEASES, release_for_retry

    order = make_order(make_team(), status="in_progress")
    for n in range(1, MAX_RELEASES):
        before = clock.now()
        order.order_after = before - timedelta(hours=1)
        outcome = release_for_retry(order, _attempt(order), "supplier_unavailable", "kept failing")
        assert outcome == "released: supplier_unavailable" and order.status == "waiting"
        assert order.order_after > before  # it waits a little, not at once
        orders.transition(order, S.IN_PROGRESS, reason=f"taken again ({n})")
        db.session.commit()
    assert release_for_retry(order, _attempt(order), "supplier_unavailable", "x") == "unknown"
    assert order.status == "needs_attention" and "failed 3 times" in order.failure_message
