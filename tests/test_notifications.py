"""notify(): one record per (team, kind, key) per window; a delivery row per enabled target."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from autoorder import clock, credits, notifications, orders
from autoorder.extensions import db
from autoorder.models import CreditPackage, Notification, NotificationDelivery
from autoorder.orders import OrderStatus as S
from tests.factories import make_bot, make_order, make_team


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.freeze(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    yield
    clock.reset()


def test_a_once_kind_is_recorded_once_ever(ctx):
    team = make_team()
    assert notifications.notify(team.id, "needs_attention", 7, "s", "b") is not None
    clock.advance(90 * 86400)
    assert notifications.notify(team.id, "needs_attention", 7, "s", "b") is None
    assert notifications.notify(team.id, "needs_attention", 8, "s", "b") is not None
    assert notifications.notify(make_team().id, "needs_attention", 7, "s", "b") is not None


def test_a_daily_kind_is_recorded_once_per_day(ctx):
    team = make_team()
    assert notifications.notify(team.id, "credits_low", team.id, "s", "b")
    clock.advance(11 * 3600)  # 23:00 the same UTC day
    assert notifications.notify(team.id, "credits_low", team.id, "s", "b") is None
    clock.advance(3600)  # the next day
    assert notifications.notify(team.id, "credits_low", team.id, "s", "b")
    assert db.session.query(Notification).count() == 2


def test_an_unknown_kind_is_refused(ctx):
    with pytest.raises(notifications.UnknownKindError):
        notifications.notify(make_team().id, "bot_limit_typo", 1, "s", "b")


def test_the_unique_key_holds_when_the_check_is_raced(ctx, monkeypatch):
    """Two workers past the existence check at once: the unique key keeps one row, and the
    caller's transaction (here: an order change) is not harmed."""
    team = make_team()
    order = make_order(team, status="in_progress")
    db.session.commit()
    assert notifications.notify(team.id, "needs_attention", order.id, "s", "b")
    db.session.commit()
    monkeypatch.setattr(db.session, "scalar", lambda *a, **k: None)  # the check sees nothing
    order.title = "changed in the same transaction"
    assert notifications.notify(team.id, "needs_attention", order.id, "s", "b") is None
    monkeypatch.undo()
    db.session.commit()
    assert db.session.get(type(order), order.id).title == "changed in the same transaction"
    assert db.session.query(Notification).count() == 1


def test_deliveries_are_made_for_enabled_targets_only(ctx):
    team = make_team()
    on = notifications.add_target(team.id, "json://hooks.example.com/a", label=None, actor="t")
    off = notifications.add_target(team.id, "json://hooks.example.com/b", label=None, actor="t")
    off.enabled = False
    db.session.flush()
    note = notifications.notify(team.id, "test", "x", "s", "b")
    assert [d.target_id for d in db.session.scalars(select(NotificationDelivery))] == [on.id]
    assert note.deliveries[0].state == "pending"


def test_fail_tells_the_team_once_per_sale_but_not_for_holds_that_end_by_themselves(ctx):
    team = make_team()
    held = make_order(team, status="waiting")
    orders.fail(held, S.NEEDS_ATTENTION, code="unpaid", message="eBay payment pending")
    stuck = make_order(team, status="waiting", title="Mug")
    orders.fail(stuck, S.NEEDS_ATTENTION, code="no_mapping", message="Map it.")
    kinds = db.session.scalars(select(Notification.kind)).all()
    assert kinds == ["needs_attention"]
    out = make_order(team, status="waiting")
    orders.fail(out, S.NEEDS_ATTENTION, code="out_of_credits", message="No credits.")
    out2 = make_order(team, status="waiting")
    orders.fail(out2, S.NEEDS_ATTENTION, code="out_of_credits", message="No credits.")
    assert sorted(db.session.scalars(select(Notification.kind))) == [
        "credits_out",
        "needs_attention",
    ]


def test_credits_low_uses_the_team_threshold(ctx):
    team = make_team(notify_credits_below=2)
    package = CreditPackage(name="4", credits=4, price=Decimal("1"))
    db.session.add(package)
    db.session.flush()
    credits.record_package_purchase(team.id, package, actor="t")
    for n in range(2):  # 3, then 2 left
        credits.spend_for_order(team.id, make_order(team, status="succeeded").id)
        assert db.session.query(Notification).count() == n
    subjects = db.session.scalars(select(Notification.subject)).all()
    assert subjects == ["Auto-order credits low: 2 left"]


def test_gift_card_low_below_the_threshold_or_when_a_sale_needs_more(ctx):
    team = make_team(notify_gift_card_below=Decimal("10.00"))
    bot = make_bot(team, payment_method="gift_card", card=None)
    assert notifications.gift_card_low(bot, Decimal("10.00")) is None
    assert notifications.gift_card_low(bot, None) is None
    note = notifications.gift_card_low(bot, Decimal("40.00"), needed=Decimal("55.10"))
    assert note is not None and "needs 55.10" in note.body
    assert notifications.gift_card_low(bot, Decimal("2.00")) is None  # same bot, same day
    clock.advance(86400)
    assert notifications.gift_card_low(bot, Decimal("9.99")) is not None


def test_a_long_key_stays_within_the_column(ctx):
    team = make_team()
    key = "x" * 600
    note = notifications.notify(team.id, "ebay_unreadable", key, "s", "b")
    assert len(note.dedup_key) <= 255
    assert notifications.notify(team.id, "ebay_unreadable", key, "s", "b") is None
    assert notifications.notify(team.id, "ebay_unreadable", key + "y", "s", "b")


def test_mark_all_read(ctx):
    team = make_team()
    for n in range(3):
        notifications.notify(team.id, "test", n, "s", "b")
    assert notifications.unread_count(team.id) == 3
    assert notifications.mark_all_read(team.id) == 3
    assert notifications.unread_count(team.id) == 0
    clock.advance(timedelta(days=1).total_seconds())
    notifications.notify(team.id, "test", "new", "s", "b")
    assert notifications.unread_count(team.id) == 1
