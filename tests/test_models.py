"""Model rules: aware UTC times on every backend, append-only tables, the credit ledger."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from autoorder.extensions import db
from autoorder.models import AppendOnlyError, CreditEntry, Order, OrderEvent
from tests.factories import make_order, make_team


def test_times_come_back_aware_utc(ctx):
    eastern = timezone(timedelta(hours=-5))
    sold = datetime(2026, 3, 1, 7, 0, tzinfo=eastern)
    order = make_order(make_team(), sold_at=sold)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Order, order.id)
    assert loaded.sold_at == sold
    assert loaded.sold_at.tzinfo is not None and loaded.sold_at.utcoffset() == timedelta(0)
    assert loaded.sold_at.hour == 12


def test_naive_datetimes_are_refused(ctx):
    team = make_team()
    with pytest.raises(Exception, match="naive"):
        make_order(team, sold_at=datetime(2026, 1, 1))
    db.session.rollback()


def test_due_comparison_is_right_across_offsets(ctx):
    team = make_team()
    base = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    early = make_order(team, sold_at=base, order_after=base)
    late = make_order(team, sold_at=base, order_after=base + timedelta(hours=2))
    db.session.commit()
    cutoff = datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-3)))  # 12:30 UTC
    due = db.session.scalars(db.select(Order.id).where(Order.order_after <= cutoff)).all()
    assert due == [early.id] and late.id not in due


def test_order_events_are_append_only(ctx):
    order = make_order(make_team())
    db.session.add(OrderEvent(order=order, kind="note", reason="first"))
    db.session.commit()
    event = order.events[0]
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(event)
        db.session.commit()
    db.session.rollback()


def test_credit_balance_is_the_sum_of_the_ledger(ctx):
    team, other = make_team(), make_team()
    db.session.add_all(
        [
            CreditEntry(team_id=team.id, key="purchase:a", delta=100, reason="purchase"),
            CreditEntry(team_id=team.id, key="order:1", delta=-1, reason="order"),
            CreditEntry(team_id=team.id, key="order:2", delta=-1, reason="order"),
            CreditEntry(team_id=other.id, key="purchase:b", delta=50, reason="purchase"),
        ]
    )
    db.session.commit()
    assert CreditEntry.balance(team.id) == 98
    assert CreditEntry.balance(other.id) == 50
    assert CreditEntry.balance(99999) == 0


def test_an_order_is_charged_once(ctx):
    team = make_team()
    db.session.add(CreditEntry(team_id=team.id, key="order:7", delta=-1, reason="order"))
    db.session.commit()
    db.session.add(CreditEntry(team_id=team.id, key="order:7", delta=-1, reason="order"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_same_sale_cannot_be_stored_twice(ctx):
    team = make_team()
    make_order(team, ebay_order_id="12-1", ebay_line_item_id="99")
    db.session.commit()
    with pytest.raises(IntegrityError):
        make_order(team, ebay_order_id="12-1", ebay_line_item_id="99")
    db.session.rollback()
