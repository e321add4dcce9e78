"""Actions on a sale: each answers the updated row (or detail) or a 422 message; work is enqueued
after the commit; another team's ids answer 404; bulk retry / cancel report per row."""

import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from rq.job import Job
from sqlalchemy import create_engine, func, select, text

from autoorder import clock
from autoorder.extensions import db
from autoorder.models import CreditEntry, Order, Team
from tests.factories import make_bot, make_listing, make_order, make_user
from tests.support import csrf_token, login

USPS = "9400111201080805483016"


@pytest.fixture(autouse=True)
def no_redis(app):
    """Point the queues at a closed port unless a test asks for the real `redis` fixture."""
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    yield
    app.config["REDIS_URL"] = saved


@pytest.fixture
def world(app, client):
    with app.app_context():
        user = make_user(email="seller@example.com")
        team = user.team
        bot = make_bot(team)
        listing = make_listing(team, bot)
        stranger = make_user(email="stranger@example.com")
        mapped = {"listing_id": listing.id, "bot_id": bot.id}
        o = SimpleNamespace(
            waiting=make_order(team, **mapped),
            failed=make_order(
                team, status="failed", failure_code="out_of_stock", failure_message="gone", **mapped
            ),
            unmapped=make_order(
                team, status="needs_attention", failure_code="no_mapping", failure_message="map it"
            ),
            bought=make_order(
                team,
                status="succeeded",
                supplier_order_number="S-1",
                ordered_at=clock.now(),
                **mapped,
            ),
            not_found=make_order(team, status="succeeded", tracking_status="not_found", **mapped),
            uploaded=make_order(
                team, status="succeeded", tracking_status="uploaded", tracking_number=USPS, **mapped
            ),
            in_progress=make_order(team, status="in_progress", **mapped),
            theirs=make_order(stranger.team, status="failed", listing_id=None),
            their_waiting=make_order(stranger.team),
        )
        db.session.commit()
        ids = SimpleNamespace(**{k: v.id for k, v in vars(o).items()}, team=team.id)
    login(client, "seller@example.com")
    ids.token = csrf_token(client, "/")
    return ids


def hx_post(client, world, path, data=None, **headers):
    return client.post(
        path, data=data or {}, headers={"HX-Request": "true", "X-CSRFToken": world.token, **headers}
    )


def status_of(app, order_id):
    with app.app_context():
        return db.session.scalar(select(Order.status).where(Order.id == order_id))


def load(app, order_id) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge(order)
        return order


def assert_row(response, order_id, status):
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert body.startswith(f'<tr id="order-{order_id}"') and f'data-status="{status}"' in body
    assert json.loads(response.headers["HX-Trigger"]).keys() == {"ao-poll", "ao-counts"}


def assert_error(response, message):
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'role="alert"' in body
    assert (
        response.headers["HX-Retarget"] == "#order-messages"
        and response.headers["HX-Reswap"] == "innerHTML"
    )


def test_cancel_in_the_buffer(app, client, world):
    assert_row(
        hx_post(client, world, f"/orders/{world.waiting}/cancel"), world.waiting, "cancelled"
    )
    assert status_of(app, world.waiting) == "cancelled"
    with app.app_context():
        event = db.session.get(Order, world.waiting).events[-1]
        assert (event.to_status, event.actor) == ("cancelled", "seller@example.com")


def test_cancel_refused(app, client, world):
    assert_error(
        hx_post(client, world, f"/orders/{world.bought}/cancel"), "cannot be cancelled here"
    )
    assert status_of(app, world.bought) == "succeeded"


def test_order_now_ends_the_buffer_and_enqueues_after_the_commit(
    app, client, world, monkeypatch, db_url
):
    seen = []

    def fake_enqueue(order_id, at=None):
        other = create_engine(db_url)  # a second connection sees only committed data
        with other.connect() as conn:
            seen.append(
                (
                    order_id,
                    conn.execute(
                        text("SELECT order_after FROM orders WHERE id = :i"), {"i": order_id}
                    ).scalar(),
                )
            )
        other.dispose()

    monkeypatch.setattr("autoorder.jobs.enqueue_order", fake_enqueue)
    before = load(app, world.waiting).order_after
    assert_row(
        hx_post(client, world, f"/orders/{world.waiting}/order-now"), world.waiting, "waiting"
    )
    after = load(app, world.waiting).order_after
    assert after < before and after <= clock.now()
    assert len(seen) == 1 and seen[0][0] == world.waiting
    assert str(after.replace(tzinfo=None)) in str(seen[0][1])  # committed before the enqueue


def test_order_now_refused(client, world):
    assert_error(hx_post(client, world, f"/orders/{world.failed}/order-now"), "Only a waiting sale")


def test_order_now_puts_a_real_job_on_the_orders_queue(app, client, world, redis):
    assert_row(
        hx_post(client, world, f"/orders/{world.waiting}/order-now"), world.waiting, "waiting"
    )
    job = Job.fetch(f"place-order-{world.waiting}", connection=redis)
    assert job.func_name == "autoorder.jobs.ordering.place_order" and job.args == (world.waiting,)
    assert job.origin == "orders" and job.get_status() == "queued"


def test_retry_moves_back_to_waiting_and_enqueues(app, client, world, redis):
    assert_row(hx_post(client, world, f"/orders/{world.failed}/retry"), world.failed, "waiting")
    assert status_of(app, world.failed) == "waiting"
    assert Job.fetch(f"place-order-{world.failed}", connection=redis).get_status() == "queued"


def test_retry_refused(app, client, world):
    assert_error(hx_post(client, world, f"/orders/{world.unmapped}/retry"), "Map this eBay listing")
    assert_error(hx_post(client, world, f"/orders/{world.waiting}/retry"), "Only a failed sale")
    assert status_of(app, world.unmapped) == "needs_attention"


def test_action_succeeds_when_redis_is_down(app, client, world, caplog, monkeypatch):
    # Alembic's fileConfig (the test schema is built with the migrations) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("autoorder.routes.orders"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="autoorder.routes.orders"):
        assert_row(hx_post(client, world, f"/orders/{world.failed}/retry"), world.failed, "waiting")
    assert status_of(app, world.failed) == "waiting"
    assert "enqueue_order(" in caplog.text and "the duties enqueue it" in caplog.text


def test_mark_ordered_by_hand_spends_the_credit(app, client, world):
    response = hx_post(
        client,
        world,
        f"/orders/{world.failed}/mark-ordered",
        {"supplier_order_number": " HAND-42 ", "cost": "12.34"},
    )
    assert_row(response, world.failed, "succeeded")
    order = load(app, world.failed)
    assert (order.supplier_order_number, str(order.supplier_cost)) == ("HAND-42", "12.34")
    assert order.next_tracking_check_at is not None
    with app.app_context():
        assert (
            db.session.scalar(
                select(CreditEntry.delta).where(CreditEntry.key == f"order:{world.failed}")
            )
            == -1
        )


@pytest.mark.parametrize(
    "data,message",
    [
        ({"supplier_order_number": "", "cost": "1"}, "Enter the supplier order number"),
        ({"supplier_order_number": "X-1", "cost": "cheap"}, "as a number"),
        ({"supplier_order_number": "X-1", "cost": "-3"}, "cannot be negative"),
    ],
)
def test_mark_ordered_validation(app, client, world, data, message):
    assert_error(hx_post(client, world, f"/orders/{world.failed}/mark-ordered", data), message)
    assert status_of(app, world.failed) == "failed"


def test_mark_ordered_refused_for_a_waiting_sale(client, world):
    assert_error(
        hx_post(
            client,
            world,
            f"/orders/{world.waiting}/mark-ordered",
            {"supplier_order_number": "X", "cost": "1"},
        ),
        "Only a failed sale",
    )


def test_recheck_tracking_searches_again_and_enqueues(app, client, world, redis):
    response = hx_post(client, world, f"/orders/{world.not_found}/recheck-tracking")
    assert response.status_code == 200 and 'data-status="searching"' in response.get_data(
        as_text=True
    )
    assert load(app, world.not_found).tracking_status == "searching"
    job = Job.fetch(f"tracking-{world.not_found}", connection=redis)
    assert job.func_name == "autoorder.jobs.tracking.refresh_tracking" and job.origin == "tracking"


def test_recheck_tracking_refused(client, world):
    assert_error(
        hx_post(client, world, f"/orders/{world.uploaded}/recheck-tracking"), "re-checked only"
    )
    assert_error(
        hx_post(client, world, f"/orders/{world.waiting}/recheck-tracking"), "re-checked only"
    )


def test_enter_tracking_by_hand(app, client, world, redis):
    response = hx_post(
        client, world, f"/orders/{world.bought}/tracking", {"tracking_number": USPS, "carrier": ""}
    )
    assert response.status_code == 200 and 'data-status="searching"' in response.get_data(
        as_text=True
    )
    order = load(app, world.bought)
    assert (order.tracking_number, order.ebay_carrier_code) == (USPS, "USPS")
    assert Job.fetch(f"tracking-{world.bought}", connection=redis).get_status() == "queued"


def test_enter_tracking_refused(app, client, world):
    assert_error(
        hx_post(client, world, f"/orders/{world.bought}/tracking", {"tracking_number": "12"}),
        "does not match any known",
    )
    assert_error(
        hx_post(client, world, f"/orders/{world.waiting}/tracking", {"tracking_number": USPS}),
        "entered only for a bought sale",
    )
    assert load(app, world.bought).tracking_number is None


ACTIONS = ["cancel", "order-now", "retry", "mark-ordered", "recheck-tracking", "tracking"]


@pytest.mark.parametrize("action", ACTIONS)
def test_another_teams_order_answers_404_to_every_action(app, client, world, action):
    for order_id in (world.theirs, world.their_waiting, 999999):
        response = hx_post(
            client,
            world,
            f"/orders/{order_id}/{action}",
            {"supplier_order_number": "X", "cost": "1", "tracking_number": USPS},
        )
        assert response.status_code == 404, (action, order_id)
    assert (
        status_of(app, world.theirs) == "failed"
        and status_of(app, world.their_waiting) == "waiting"
    )


def test_detail_view_gets_the_detail_fragment(client, world):
    response = hx_post(client, world, f"/orders/{world.waiting}/cancel", {"view": "detail"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<section id="order-detail"')
    assert 'data-status="cancelled"' in body and "<html" not in body


def test_without_htmx_an_action_redirects_with_a_message(app, client, world):
    response = client.post(f"/orders/{world.waiting}/cancel", data={"csrf_token": world.token})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/orders/{world.waiting}"
    )
    assert "Cancelled" in client.get(f"/orders/{world.waiting}").get_data(as_text=True)
    refused = client.post(f"/orders/{world.bought}/cancel", data={"csrf_token": world.token})
    assert refused.status_code == 302
    assert "cannot be cancelled here" in client.get(f"/orders/{world.bought}").get_data(
        as_text=True
    )


def test_actions_need_the_csrf_token(app, client, world):
    response = client.post(f"/orders/{world.waiting}/cancel", headers={"HX-Request": "true"})
    assert response.status_code == 400 and status_of(app, world.waiting) == "waiting"


def test_bulk_cancel_reports_each_row(app, client, world):
    response = hx_post(
        client,
        world,
        "/orders/bulk",
        {"action": "cancel", "ids": [world.waiting, world.bought, world.theirs, world.failed]},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#order-messages"
    assert "Cancelled 2 of 4." in body
    assert "cannot be cancelled here" in body and f"#{world.theirs}: not found." in body
    assert body.count('hx-swap-oob="true"') == 2
    assert f'<tr id="order-{world.waiting}"' in body and f'<tr id="order-{world.failed}"' in body
    assert f'id="order-{world.bought}"' not in body
    assert json.loads(response.headers["HX-Trigger"]).keys() == {"ao-poll", "ao-counts"}
    assert [
        status_of(app, i) for i in (world.waiting, world.failed, world.bought, world.theirs)
    ] == ["cancelled", "cancelled", "succeeded", "failed"]


def test_bulk_retry_enqueues_each_retried_sale(app, client, world, redis):
    with app.app_context():
        extra = make_order(
            db.session.get(Team, world.team),
            status="needs_attention",
            listing_id=load(app, world.failed).listing_id,
            sold_at=clock.now() - timedelta(hours=1),
        )
        db.session.commit()
        extra_id = extra.id
    response = hx_post(
        client,
        world,
        "/orders/bulk",
        {"action": "retry", "ids": [world.failed, extra_id, world.unmapped, world.theirs]},
    )
    body = response.get_data(as_text=True)
    assert "Retried 2 of 4." in body and "Map this eBay listing" in body
    assert [status_of(app, i) for i in (world.failed, extra_id, world.unmapped, world.theirs)] == [
        "waiting",
        "waiting",
        "needs_attention",
        "failed",
    ]
    for order_id in (world.failed, extra_id):
        assert Job.fetch(f"place-order-{order_id}", connection=redis).get_status() == "queued"


@pytest.mark.parametrize(
    "data,message",
    [
        ({"action": "delete", "ids": "1"}, "Choose retry or cancel"),
        ({"action": "retry"}, "Select at least one sale"),
    ],
)
def test_bulk_refuses_bad_requests(client, world, data, message):
    assert_error(hx_post(client, world, "/orders/bulk", data), message)


# --- one source for what an order allows (actions.allowed): buttons, guards and routes agree ----
ROUTE_OF = {
    "cancel": "cancel",
    "order_now": "order-now",
    "retry": "retry",
    "mark_ordered": "mark-ordered",
    "recheck_tracking": "recheck-tracking",
    "enter_tracking": "tracking",
}
KINDS = ["waiting", "failed", "unmapped", "bought", "not_found", "uploaded", "in_progress"]


def snapshot(app, order_id):
    """Everything a refused action must leave as it was."""
    from autoorder.models import OrderEvent

    with app.app_context():
        o = db.session.get(Order, order_id)
        events = db.session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order_id)
        )
        return (
            o.status,
            o.tracking_status,
            o.order_after,
            o.updated_at,
            o.supplier_order_number,
            o.tracking_number,
            o.next_tracking_check_at,
            events,
        )


@pytest.mark.parametrize("kind", KINDS)
def test_the_buttons_shown_are_exactly_the_actions_allowed(app, client, world, kind):
    from autoorder.actions import allowed

    order_id = getattr(world, kind)
    with app.app_context():
        expected = allowed(db.session.get(Order, order_id))
    body = client.get(f"/orders/{order_id}").get_data(as_text=True)
    shown = {
        name for name, route in ROUTE_OF.items() if f'hx-post="/orders/{order_id}/{route}"' in body
    }
    assert shown == expected


@pytest.mark.parametrize("kind", KINDS)
def test_every_action_not_allowed_is_refused_and_changes_nothing(app, client, world, kind):
    from autoorder.actions import allowed

    order_id = getattr(world, kind)
    with app.app_context():
        refused = set(ROUTE_OF) - allowed(db.session.get(Order, order_id))
    assert refused  # every kind of order refuses something
    for name in sorted(refused):
        before = snapshot(app, order_id)
        response = hx_post(
            client,
            world,
            f"/orders/{order_id}/{ROUTE_OF[name]}",
            {"supplier_order_number": "X-1", "cost": "1.00", "tracking_number": USPS},
        )
        assert response.status_code == 422, (kind, name)
        assert snapshot(app, order_id) == before, (kind, name)
