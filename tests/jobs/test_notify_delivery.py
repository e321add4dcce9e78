"""Notifications delivered for real: every event, raised where it happens, reaches a local SMTP
server (aiosmtpd) and a local webhook exactly once — through a real RQ worker process — while a
target that is down is recorded and stops nothing. Target secrets never reach a log."""

import logging
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from autoorder import clock, credits, notifications, orders
from autoorder.ebay import accounts
from autoorder.extensions import db
from autoorder.jobs import canary, sales, tick
from autoorder.jobs import notify as notify_jobs
from autoorder.models import (
    CreditPackage,
    EbayAccount,
    Notification,
    NotificationDelivery,
)
from autoorder.orders import OrderStatus as S
from tests.factories import make_bot, make_order, make_user
from tests.notify_peers import (
    HOOK_TOKEN,
    SMTP_PASSWORD,
    down_url,
)
from tests.support import ROOT, subprocess_env


@pytest.fixture(autouse=True)
def _real_clock():
    yield
    clock.reset()


def run_worker_burst(app, redis_url, db_url) -> subprocess.CompletedProcess:
    """A real ``flask worker --burst`` process on the test database and Redis."""
    env = subprocess_env(
        SECRET_KEY="notify-test",
        FERNET_KEYS=app.config["FERNET_KEYS"][0],
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--burst", "--no-scheduler"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def team_with_targets(smtp, webhook, *, down=True):
    user = make_user(role="admin")
    urls = [smtp.url(), webhook.url()] + ([down_url()] if down else [])
    for url in urls:
        notifications.add_target(user.team_id, url, label=None, actor="test")
    db.session.commit()
    return user.team


def raise_every_event(team):
    """Each event kind, raised through the code where it happens; returns the subjects expected."""
    bot = make_bot(team, name="gifty", payment_method="gift_card", card=None)
    account = EbayAccount(team_id=team.id, name="seller1")
    db.session.add(account)
    package = CreditPackage(name="2 credits", credits=2, price=Decimal("1.00"))
    db.session.add(package)
    db.session.flush()
    credits.record_package_purchase(team.id, package, actor="test")
    needs = make_order(team, status="in_progress", title="Blue mug")
    declined = make_order(team, status="in_progress", title="Red mug")
    bought_1 = make_order(team, status="succeeded", title="Bought one", supplier_cost=Decimal("5"))
    bought_2 = make_order(team, status="succeeded", title="Bought two", supplier_cost=Decimal("5"))
    make_order(
        team, status="succeeded", title="Late mug", ship_by_at=clock.now() + timedelta(hours=2)
    )
    db.session.commit()

    orders.fail(needs, S.NEEDS_ATTENTION, code="page_changed", message="The page changed.")
    orders.fail(declined, S.FAILED, code="payment_declined", message="Card declined.")
    credits.spend_for_order(team.id, bought_1.id)  # 1 left: low (default threshold 10)
    credits.spend_for_order(team.id, bought_2.id)  # 0 left: out
    notifications.gift_card_low(bot, Decimal("3.00"))
    accounts.mark_reconnect_needed(account, RuntimeError("invalid_grant"))
    sales._record_problem(account, "99-00001-00001", "eBay order lacks lineItems")
    canary._record(bot, {"ok": False, "code": "page_changed", "message": "no button", "steps": []})
    db.session.commit()
    assert tick.flag_ship_by_at_risk() == 1
    return {
        "Sale needs attention: Blue mug",
        "Payment declined: Red mug",
        "Auto-order credits low: 1 left",
        "Auto-order credits are used up",
        "Gift-card balance low: gifty",
        "eBay account seller1 needs reconnecting",
        "An eBay order could not be read (seller1)",
        "Checkout check failed: gifty",
        "Ship-by date at risk: Late mug",
    }, (bot, account, needs, declined)


def raise_them_again(bot, account, needs, declined):
    """The same events inside their windows: nothing new is recorded."""
    needs = db.session.get(type(needs), needs.id)
    orders.transition(needs, S.WAITING, reason="retry")
    orders.transition(needs, S.IN_PROGRESS, reason="retry")
    assert orders.fail(needs, S.NEEDS_ATTENTION, code="page_changed", message="Again.")
    assert notifications.order_needs_you(db.session.get(type(declined), declined.id)) is None
    assert notifications.credits_spent(bot.team_id) is None
    assert notifications.gift_card_low(bot, Decimal("1.00")) is None
    accounts.mark_reconnect_needed(db.session.get(EbayAccount, account.id), RuntimeError("again"))
    sales._record_problem(account, "99-00001-00001", "eBay order lacks lineItems")
    canary._record(bot, {"ok": False, "code": "page_changed", "message": "again", "steps": []})
    db.session.commit()


def test_each_event_sends_one_message_per_window_through_a_real_worker(
    app, ctx, redis, redis_url, db_url, smtp, webhook
):
    team = team_with_targets(smtp, webhook)
    expected, raised = raise_every_event(team)
    raise_them_again(*raised)
    assert db.session.query(Notification).count() == len(expected)

    assert notify_jobs.enqueue_pending_notifications() == len(expected)
    result = run_worker_burst(app, redis_url, db_url)
    assert result.returncode == 0, result.stderr[-2000:]

    assert sorted(smtp.subjects()) == sorted(expected)
    assert sorted(webhook.titles()) == sorted(expected)
    assert all(path == f"/hooks/{HOOK_TOKEN}" for path, _ in webhook.posts)
    # the target that is down: recorded on each of its deliveries, retried later, nothing raised
    db.session.expire_all()
    states = db.session.execute(
        select(
            NotificationDelivery.state, NotificationDelivery.error, NotificationDelivery.target_id
        )
    ).all()
    down = [s for s in states if s.target_id == max(t for *_, t in states)]
    assert {s.state for s in down} == {"pending"} and len(down) == len(expected)
    assert all("Connection" in s.error or "connect" in s.error.lower() for s in down)
    assert {s.state for s in states if s not in down} == {"sent"}

    # the duty and the worker again: nothing is sent twice (the down target is not due yet)
    notify_jobs.enqueue_pending_notifications()
    result = run_worker_burst(app, redis_url, db_url)
    assert result.returncode == 0
    assert len(smtp.messages) == len(expected) and len(webhook.posts) == len(expected)
    # the worker's log names ids and outcomes, never a target's secrets
    for secret in (SMTP_PASSWORD, HOOK_TOKEN, "down-t0ken-1234"):
        assert secret not in result.stdout + result.stderr


def test_delivery_run_twice_sends_once_and_a_down_target_is_given_up_after_retries(
    ctx, smtp, webhook, caplog
):
    caplog.set_level(logging.DEBUG)
    team = team_with_targets(smtp, webhook)
    note = notifications.notify(team.id, "test", "one", "Hello", "Body")
    db.session.commit()

    first = notify_jobs.deliver_notification(note.id)
    second = notify_jobs.deliver_notification(note.id)
    assert first == {"sent": 2, "failed": 0, "retry": 1, "skipped": 0}
    assert second == {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    assert smtp.subjects() == ["Hello"] and webhook.titles() == ["Hello"]

    for _ in range(3):  # the retries of the target that is down, each when due
        clock.advance(3600)
        notify_jobs.deliver_notification(note.id)
    down = db.session.scalar(
        select(NotificationDelivery).where(NotificationDelivery.state != "sent")
    )
    assert down.state == "failed" and down.attempts == notifications.MAX_ATTEMPTS
    assert "down-t0ken-1234" not in down.error and down.error
    assert len(smtp.messages) == 1 and len(webhook.posts) == 1
    for secret in (SMTP_PASSWORD, HOOK_TOKEN, "down-t0ken-1234"):
        assert secret not in caplog.text


def test_the_daily_summary_is_sent_once_per_day(ctx, smtp, webhook):
    team = team_with_targets(smtp, webhook, down=False)
    yesterday = clock.now() - timedelta(days=1)
    make_order(
        team,
        status="succeeded",
        sold_at=yesterday,
        sale_price=Decimal("20.00"),
        ebay_fees=Decimal("2.60"),
        supplier_cost=Decimal("11.40"),
    )
    make_order(team, status="failed", sold_at=yesterday, failure_code="out_of_stock")
    db.session.commit()
    assert notify_jobs.send_daily_summaries() == 1
    assert notify_jobs.send_daily_summaries() == 0  # hourly duty: still once
    note = db.session.scalar(select(Notification).where(Notification.kind == "daily_summary"))
    notify_jobs.deliver_notification(note.id)
    assert smtp.subjects() == [f"Daily summary {yesterday.date()}: 1 bought, profit 6.00"]
    body = smtp.messages[0].get_payload()[0].get_payload(decode=True).decode()
    assert "Bought: 1" in body and "Failed or needing you: 1" in body


def test_a_delivery_is_taken_by_one_run_only(ctx, smtp, webhook):
    """Two runs that both saw a delivery pending: the conditional UPDATE lets one send it."""
    team = team_with_targets(smtp, webhook, down=False)
    note = notifications.notify(team.id, "test", "race", "Raced", "Body")
    db.session.commit()
    first, second = (d.id for d in note.deliveries)
    assert notify_jobs._take(first) is True
    assert notify_jobs._take(first) is False  # the other run: refused, sends nothing
    counts = notify_jobs.deliver_notification(note.id)
    assert counts["sent"] == 1 and len(smtp.messages) + len(webhook.posts) == 1
    assert db.session.get(NotificationDelivery, first).state == "sending"
    assert db.session.get(NotificationDelivery, second).state == "sent"
