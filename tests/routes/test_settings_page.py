"""Team settings: everyone sees them, admins change them; the tracking schedule comes from the
server."""

import re
from decimal import Decimal

import pytest

from autoorder.extensions import db
from autoorder.models import Team
from tests.factories import make_user
from tests.support import csrf_token, login


@pytest.fixture
def team_id(app):
    with app.app_context():
        admin = make_user(email="admin@example.com", role="admin")
        make_user(admin.team, email="member@example.com")
        make_user(email="stranger@example.com", role="admin")
        db.session.commit()
        return admin.team_id


def _save(client, **data):
    return client.post("/settings/", data={**data, "csrf_token": csrf_token(client, "/settings/")})


def test_admin_changes_buffer_and_price_guard(app, client, team_id):
    login(client, "admin@example.com")
    response = _save(client, buffer_minutes="15", max_buy_price="40.00", min_profit="1.50")
    assert response.status_code == 302
    with app.app_context():
        team = db.session.get(Team, team_id)
        assert (team.order_buffer_seconds, team.max_buy_price, team.min_profit) == (
            900,
            Decimal("40.00"),
            Decimal("1.50"),
        )
    page = client.get("/settings/").get_data(as_text=True)
    assert 'value="15"' in page and 'value="40.00"' in page and 'value="1.50"' in page
    _save(client, buffer_minutes="", max_buy_price="", min_profit="")  # blank = server defaults
    with app.app_context():
        team = db.session.get(Team, team_id)
        assert (team.order_buffer_seconds, team.max_buy_price, team.min_profit) == (
            None,
            None,
            None,
        )


@pytest.mark.parametrize(
    "data,message",
    [
        ({"buffer_minutes": "61"}, "Number must be between 0 and 60"),
        ({"buffer_minutes": "-1"}, "Number must be between 0 and 60"),
        ({"buffer_minutes": "soon"}, "Not a valid integer value"),
        ({"max_buy_price": "-5"}, "Number must be at least 0"),
        ({"min_profit": "lots"}, "Not a valid decimal value"),
    ],
)
def test_invalid_settings_are_refused_with_the_reason(app, client, team_id, data, message):
    login(client, "admin@example.com")
    response = _save(client, **data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Team, team_id).order_buffer_seconds is None


def test_member_sees_settings_read_only_and_cannot_change_them(app, client, team_id):
    login(client, "member@example.com")
    page = client.get("/settings/").get_data(as_text=True)
    assert (
        "Only an admin" in page
        and "Save settings" not in page
        and "Connect eBay account" not in page
    )
    assert 'disabled id="buffer_minutes"' in page
    assert _save(client, buffer_minutes="0").status_code == 403
    with app.app_context():
        assert db.session.get(Team, team_id).order_buffer_seconds is None


def test_tracking_schedule_is_shown_from_the_server_config(app, client, team_id):
    login(client, "member@example.com")
    saved = {
        k: app.config[k]
        for k in (
            "TRACKING_FIRST_CHECK_SECONDS",
            "TRACKING_RETRY_SECONDS",
            "TRACKING_GIVE_UP_SECONDS",
        )
    }
    app.config.update(
        TRACKING_FIRST_CHECK_SECONDS=7200,
        TRACKING_RETRY_SECONDS=1800,
        TRACKING_GIVE_UP_SECONDS=10 * 86400,
    )
    try:
        page = client.get("/settings/").get_data(as_text=True)
    finally:
        app.config.update(saved)
    schedule = page[page.index('id="tracking-schedule"') :]
    assert (
        "2 hours after the order" in schedule
        and "30 min" in schedule
        and "10 days without" in schedule
    )


def test_send_as_gift_is_a_team_setting_every_purchase_request_carries(app, client, team_id):
    import uuid

    from autoorder.models import PurchaseAttempt
    from autoorder.purchasing import purchase_request
    from tests.factories import make_bot, make_listing, make_order

    login(client, "admin@example.com")
    assert _save(client, send_as_gift="y").status_code == 302
    page = client.get("/settings/").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*id="send_as_gift"|<input[^>]*id="send_as_gift"[^>]*checked', page
    )
    with app.app_context():
        team = db.session.get(Team, team_id)
        assert team.send_as_gift is True
        bot = make_bot(team)
        listing = make_listing(team, bot)
        order = make_order(team, listing_id=listing.id, bot_id=bot.id)
        attempt = PurchaseAttempt(order_id=order.id, idempotency_key=uuid.uuid4().hex)
        db.session.add(attempt)
        db.session.commit()
        assert purchase_request(order, attempt).gift is True
        team.send_as_gift = False
        assert purchase_request(order, attempt).gift is False
    _save(client)  # unchecked: off
    with app.app_context():
        assert db.session.get(Team, team_id).send_as_gift is False
