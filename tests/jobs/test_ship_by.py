"""eBay's ship-by date (issue 11): tracking checks tighten in the last hours before it, a sale at
risk is flagged once (an order event a notifier can pick up) and shown on the sales and order
pages."""

from datetime import timedelta

from sqlalchemy import select

from autoorder import clock, tracking
from autoorder.extensions import db
from autoorder.jobs.tick import flag_ship_by_at_risk, tick
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import Order, OrderEvent
from autoorder.scrapers.base import TrackingInfo
from autoorder.tracking_schedule import schedule_first_check, schedule_retry
from tests.factories import make_bot, make_order, make_user
from tests.support import login

HOUR = timedelta(hours=1)


def bought(team, ship_by, **kw):
    order = make_order(
        team,
        status="succeeded",
        tracking_status="searching",
        ordered_at=clock.now(),
        ship_by_at=ship_by,
        supplier_order_number="SO-1",
        **kw,
    )
    db.session.commit()
    return order


def flags(order):
    return [
        e
        for e in db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))
        if (e.data or {}).get("flag") == "ship_by_at_risk"
    ]


def test_checks_tighten_in_the_last_twelve_hours(ctx):
    clock.freeze(clock.now())
    user = make_user()
    far = bought(user.team, clock.now() + 72 * HOUR)
    schedule_first_check(far)
    assert far.next_tracking_check_at == clock.now() + 24 * HOUR  # the usual first look

    soon = bought(user.team, clock.now() + 20 * HOUR)
    schedule_first_check(soon)
    assert soon.next_tracking_check_at == clock.now() + 8 * HOUR  # when the last 12 h begin
    schedule_retry(soon)
    assert soon.next_tracking_check_at == clock.now() + 4 * HOUR  # still the usual 4 h
    clock.advance(10 * 3600)  # 10 h before ship-by
    schedule_retry(soon)
    assert soon.next_tracking_check_at == clock.now() + HOUR  # hourly now
    clock.advance(12 * 3600)  # past it: keep looking hourly, until the usual give-up
    schedule_retry(soon)
    assert soon.next_tracking_check_at == clock.now() + HOUR
    clock.reset()


def test_the_window_and_interval_are_settings(ctx, app):
    clock.freeze(clock.now())
    app.config.update(SHIP_BY_WINDOW_SECONDS=6 * 3600, SHIP_BY_CHECK_SECONDS=1800)
    try:
        order = bought(make_user().team, clock.now() + 5 * HOUR)
        schedule_retry(order)
        assert order.next_tracking_check_at == clock.now() + timedelta(minutes=30)
    finally:
        app.config.update(SHIP_BY_WINDOW_SECONDS=43200, SHIP_BY_CHECK_SECONDS=3600)
        clock.reset()


def test_a_tracking_check_near_the_deadline_comes_back_in_an_hour(ctx, monkeypatch):
    clock.freeze(clock.now())
    user = make_user()
    order = bought(
        user.team,
        clock.now() + 6 * HOUR,
        bot_id=make_bot(user.team).id,
        next_tracking_check_at=clock.now(),
        tracking_deadline_at=clock.now() + 100 * HOUR,
    )
    monkeypatch.setattr(tracking, "_fetch", lambda o: TrackingInfo(status="processing"))
    assert refresh_tracking(order.id) == "not shipped yet"
    assert db.session.get(Order, order.id).next_tracking_check_at == clock.now() + HOUR
    clock.reset()


def test_an_order_at_risk_is_flagged_once(ctx, redis):
    clock.freeze(clock.now())
    team = make_user().team
    risky = bought(team, clock.now() + 10 * HOUR)
    waiting = make_order(team, ship_by_at=clock.now() + 2 * HOUR)  # not even bought yet
    fine = bought(team, clock.now() + 30 * HOUR)
    shipped = bought(team, clock.now() + HOUR, tracking_number="X")
    shipped.tracking_status = "uploaded"
    db.session.commit()

    assert tick()["at_risk"] == 2
    assert flag_ship_by_at_risk() == 0  # once
    for order in (risky, waiting):
        assert db.session.get(Order, order.id).ship_by_flagged_at == clock.now()
        (event,) = flags(order)
        assert "ship-by date" in event.reason
    assert flags(fine) == [] and flags(shipped) == []
    assert risky.ship_by_at_risk and not fine.ship_by_at_risk and not shipped.ship_by_at_risk
    clock.reset()


def test_ship_by_and_at_risk_on_the_sales_and_order_pages(app, client):
    with app.app_context():
        clock.freeze(clock.now())
        user = make_user(email="seller-ship-by@example.com")
        risky = bought(user.team, clock.now() + 3 * HOUR, title="Risky lamp")
        calm = bought(user.team, clock.now() + 48 * HOUR, title="Calm chair")
        risky_id, calm_id = risky.id, calm.id
        login(client, "seller-ship-by@example.com")
        page = client.get("/").get_data(as_text=True)
        detail = client.get(f"/orders/{risky_id}").get_data(as_text=True)
        calm_detail = client.get(f"/orders/{calm_id}").get_data(as_text=True)
        clock.reset()
    risky_row = page[page.index(f'id="order-{risky_id}"') :].split("</tr>")[0]
    calm_row = page[page.index(f'id="order-{calm_id}"') :].split("</tr>")[0]
    assert "ship by" in risky_row and "at risk" in risky_row
    assert "ship by" in calm_row and "at risk" not in calm_row
    assert "Ship by" in detail and "at risk" in detail
    assert "Ship by" in calm_detail and "at risk" not in calm_detail
