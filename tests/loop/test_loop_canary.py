"""The dry-run canary in real Chromium against the demo shop: to the review page and no further."""

from datetime import timedelta

import pytest

from autoorder import clock
from autoorder.extensions import db
from autoorder.jobs.canary import canary_folder, check_checkout, due_canaries
from autoorder.models import OrderBot

pytestmark = [pytest.mark.browser]


def test_the_canary_walks_to_the_review_and_never_places(loop):
    loop.setup()
    runner = loop.app.test_cli_runner()
    result = runner.invoke(args=["bots", "check", str(loop.bot_id)])
    assert result.exit_code == 0, result.output
    for step in ("sign_in", "empty_cart", "add_to_cart", "checkout", "review"):
        assert f"ok     {step}" in result.output
    assert "review total:" in result.output and "stopped before place-order" in result.output
    assert loop.shop_orders() == []  # nothing bought
    with loop.app.app_context():
        bot = db.session.get(OrderBot, loop.bot_id)
        assert bot.last_canary_result["ok"] and bot.last_canary_result["total"]
        assert bot.last_canary_at is not None


def test_a_broken_step_is_reported_with_its_screenshot_and_html(loop, client):
    loop.setup()
    loop.shop.control("POST", "/sandbox/faults", {"name": "alternate_layout"})  # new product page
    with loop.app.app_context():
        result = check_checkout(loop.bot_id)
        folder = canary_folder(loop.bot_id)
    assert not result["ok"] and result["code"] == "page_changed"
    steps = {s["name"]: s["ok"] for s in result["steps"]}
    assert steps == {"sign_in": True, "empty_cart": True, "add_to_cart": False}
    assert set(result["files"]) >= {"failure", "page_html"}
    assert (folder / "screenshot.png").read_bytes().startswith(b"\x89PNG")
    assert b"demo-password" not in (folder / "page.html").read_bytes()
    assert loop.shop_orders() == []
    # shown on the bot page, with the failed step's files
    from autoorder.models import User
    from tests.support import login

    with loop.app.app_context():
        email = User.query.filter_by(team_id=loop.team_id).first().email
    login(client, email)
    page = client.get(f"/bots/{loop.bot_id}").get_data(as_text=True)
    assert "add to cart: failed" in page and "Check checkout" in page
    shot = client.get(f"/bots/{loop.bot_id}/canary/failure")
    assert shot.status_code == 200 and shot.data.startswith(b"\x89PNG")
    assert client.get(f"/bots/{loop.bot_id}/canary/nonsense").status_code == 404


def test_the_periodic_canary_is_off_by_default_and_daily_when_on(loop):
    loop.setup()
    with loop.app.app_context():
        assert loop.bot_id not in due_canaries()
        bot = db.session.get(OrderBot, loop.bot_id)
        bot.canary_enabled = True
        db.session.commit()
        assert loop.bot_id in due_canaries()
        bot.last_canary_at = clock.now() - timedelta(hours=23)
        db.session.commit()
        assert loop.bot_id not in due_canaries()
        bot.last_canary_at = clock.now() - timedelta(hours=24, minutes=1)
        db.session.commit()
        assert loop.bot_id in due_canaries()
