"""The notification settings in real Chromium: add targets (a local SMTP server and a local
webhook), a refused URL is not echoed back, "Send test" enqueues a job that a real worker process
delivers, the list shows each target's result, and the unread badge follows by htmx polling."""

import pytest
from playwright.sync_api import expect

from autoorder import notifications
from autoorder.extensions import db
from tests.factories import make_user
from tests.jobs.test_notify_delivery import run_worker_burst
from tests.notify_peers import HOOK_TOKEN, SMTP_PASSWORD
from tests.support import shot

pytestmark = pytest.mark.browser


def test_notification_settings_in_chromium(
    app, live_server, redis, redis_url, db_url, peers, chromium, log_in
):
    smtp, webhook = peers
    saved_poll = app.config["SALES_POLL_SECONDS"]
    app.config["SALES_POLL_SECONDS"] = 1
    with app.app_context():
        admin = make_user(email="owner@example.com", role="admin")
        db.session.commit()
        team_id = admin.team_id
    try:
        with chromium() as (_context, page):
            log_in(page)
            assert not page.locator("#nav-notifications").is_visible()

            page.click("nav >> text=Notifications")
            page.wait_for_url(live_server + "/notifications/")
            assert "No target yet" in page.inner_text("#targets")

            # a URL apprise does not know: a clear error, and the typed secret is not shown back
            page.fill("#url", "nosuchservice://me:typed-s3cret@host")
            page.click("#target-form button[type=submit]")
            assert "apprise does not understand this URL" in page.inner_text("#field-url")
            assert "typed-s3cret" not in page.content()
            assert page.input_value("#url") == ""

            for url, label in ((smtp.url(), "e-mail"), (webhook.url(), "my webhook")):
                page.fill("#url", url)
                page.fill("#label", label)
                page.click("#target-form button[type=submit]")
                page.wait_for_url(live_server + "/notifications/")
            targets = page.inner_text("#targets")
            assert "mailto://127.0.0.1" in targets and "json://127.0.0.1" in targets
            assert SMTP_PASSWORD not in page.content() and HOOK_TOKEN not in page.content()

            page.click("#send-test")
            page.wait_for_url(live_server + "/notifications/")
            assert "Test message queued" in page.inner_text("main")
            assert page.inner_text("#nav-notifications") == "1"
            assert page.locator(".delivery .status-pending").count() == 2  # not sent by the web

            result = run_worker_burst(app, redis_url, db_url)
            assert result.returncode == 0, result.stderr[-2000:]
            assert smtp.subjects() == ["autoorder test message"]
            assert webhook.titles() == ["autoorder test message"]
            page.reload()
            assert page.locator(".delivery .status-ok").count() == 2
            shot(page, "notifications")

            # an event elsewhere: the badge counts it without a reload (htmx polling, every 30 s)
            with app.app_context():
                notifications.notify(team_id, "needs_attention", 1, "Sale needs attention", "x")
                db.session.commit()
            expect(page.locator("#nav-notifications")).to_have_text("2", timeout=40_000)
            page.click("#mark-read")
            page.locator("#nav-notifications.none").wait_for(state="attached", timeout=10000)
            assert page.locator("tr.notification.unread").count() == 0
    finally:
        app.config["SALES_POLL_SECONDS"] = saved_poll
