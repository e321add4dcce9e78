"""Findings 3-5 of the security probe (issue 10): money, ids, dates, NUL bytes and over-long text.
Each exact payload is a form error, a 404 or an ignored filter, never a 500, and nothing is stored
(run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL)."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from autoorder.extensions import db
from autoorder.models import CreditPackage, Listing, Order, OrderBot, Team, User
from tests.factories import make_bot, make_listing, make_order, make_supplier, make_user
from tests.support import csrf_token, login

BAD_MONEY = ["sNaN", "NaN", "Infinity", "-Infinity", "1e30", str(10**26), "10^26", "-1"]
HUGE_ID = "99999999999999999999"
NUL = "bad\x00name"
LONG = "x" * 200_000


@pytest.fixture
def world(app, client):
    with app.app_context():
        admin = make_user(email="owner@example.com", role="admin")
        supplier = make_supplier(key="demo_shop", name="Demo Shop")
        bot = make_bot(admin.team, supplier, name="main", payment_method="gift_card", card=None)
        listing = make_listing(admin.team, bot, supplier_product_url="http://127.0.0.1:1/p/1")
        failed = make_order(admin.team, status="failed", listing_id=listing.id, bot_id=bot.id)
        bought = make_order(admin.team, status="succeeded", listing_id=listing.id, bot_id=bot.id)
        db.session.commit()
        ids = SimpleNamespace(
            team=admin.team_id,
            supplier=supplier.id,
            bot=bot.id,
            listing=listing.id,
            failed=failed.id,
            bought=bought.id,
        )
    login(client, "owner@example.com")
    return ids


def _post(client, path, data, page):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def _bot_data(world, **overrides):
    return {
        "supplier_id": world.supplier,
        "name": "gift bot",
        "account_email": "gift@demo.test",
        "password": "bot-password-1",
        "payment_method": "gift_card",
        "gift_card_balance": "10",
        **overrides,
    }


def _listing_data(world, **overrides):
    return {
        "ebay_item_id": "325400200099",
        "supplier_product_url": "http://127.0.0.1:1/p/2",
        "bot_id": world.bot,
        "quantity_per_sale": "1",
        **overrides,
    }


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("value", BAD_MONEY)
def test_money_payloads_are_form_errors_everywhere(app, client, world, value):
    bots, listings = _count(app, OrderBot), _count(app, Listing)
    r = _post(client, "/bots/new", _bot_data(world, gift_card_balance=value), "/bots/new")
    assert r.status_code == 422 and "gift_card_balance" in r.get_data(as_text=True)
    r = _post(client, f"/bots/{world.bot}", _bot_data(world, gift_card_balance=value), "/bots/")
    assert r.status_code == 422
    r = client.post(
        "/bots/validate/gift_card_balance",
        data={"gift_card_balance": value},
        headers={"X-CSRFToken": csrf_token(client, "/bots/"), "HX-Request": "true"},
    )
    assert r.status_code == 200 and 'class="error"' in r.get_data(as_text=True)
    r = _post(client, "/listings/new", _listing_data(world, max_buy_price=value), "/listings/new")
    assert r.status_code == 422
    r = _post(client, "/settings/", {"max_buy_price": value}, "/settings/")
    assert r.status_code == 422
    if value != "-1":  # a minimum profit may be negative
        r = _post(client, "/settings/", {"min_profit": value}, "/settings/")
        assert r.status_code == 422
    r = _post(
        client,
        "/console/packages",
        {"name": "P", "credits": "1", "price": value, "currency": "USD"},
        "/console/",
    )
    assert r.status_code == 422
    r = client.post(
        f"/orders/{world.failed}/mark-ordered",
        data={"supplier_order_number": "X-1", "cost": value},
        headers={"X-CSRFToken": csrf_token(client, "/"), "HX-Request": "true"},
    )
    assert r.status_code == 422 and "Supplier cost" in r.get_data(as_text=True)
    assert (_count(app, OrderBot), _count(app, Listing), _count(app, CreditPackage)) == (
        bots,
        listings,
        0,
    )
    with app.app_context():
        team = db.session.get(Team, world.team)
        assert (team.max_buy_price, team.min_profit) == (None, None)
        assert db.session.get(OrderBot, world.bot).gift_card_balance is None
        assert db.session.get(Order, world.failed).status == "failed"
    for page in ("/settings/", f"/bots/{world.bot}", f"/listings/{world.listing}", "/console/"):
        assert client.get(page).status_code == 200, page


def test_the_largest_amount_a_column_holds_is_accepted(app, client, world):
    r = _post(client, "/settings/", {"max_buy_price": "9999999999.99"}, "/settings/")
    assert r.status_code == 302
    assert (
        _post(client, "/settings/", {"max_buy_price": "10000000000"}, "/settings/").status_code
        == 422
    )
    assert client.get("/settings/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/orders/{HUGE_ID}",
        "/orders/2147483648",
        f"/orders/{HUGE_ID}/row",
        f"/orders/1/evidence/{HUGE_ID}",
        f"/bots/{HUGE_ID}",
        f"/listings/{HUGE_ID}",
        f"/bots/{HUGE_ID}/login-check",
    ],
)
def test_ids_no_column_holds_answer_404(client, world, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/?page={HUGE_ID}",
        f"/?bot={HUGE_ID}",
        f"/?supplier={HUGE_ID}",
        "/?bot=2147483648&supplier=-1",
        f"/sales/poll?v={HUGE_ID}.1,2147483648.5&page={HUGE_ID}&at={HUGE_ID}",
        f"/sales/counts?bot={HUGE_ID}",
        f"/console/?page={HUGE_ID}",
        "/?sold_to=9999-12-31",
        "/?sold_from=0001-01-01&sold_to=9999-12-31",
        "/sales/counts?sold_to=9999-12-31",
        "/sales/poll?sold_to=9999-12-31&at=1",
        "/?q=%00abc",
    ],
)
def test_query_values_out_of_range_are_ignored(client, world, path):
    assert client.get(path).status_code in (200, 204, 286), path


def test_huge_ids_in_forms(client, world):
    assert client.get(f"/listings/new?from_order={HUGE_ID}").status_code == 404
    headers = {"X-CSRFToken": csrf_token(client, "/"), "HX-Request": "true"}
    r = client.post("/orders/bulk", data={"action": "cancel", "ids": HUGE_ID}, headers=headers)
    assert r.status_code == 422  # "select at least one sale"
    r = client.post(
        "/bots/validate/name", data={"name": "x", "supplier_id": HUGE_ID}, headers=headers
    )
    assert r.status_code == 200
    r = _post(client, "/bots/new", _bot_data(world, supplier_id=HUGE_ID), "/bots/new")
    assert r.status_code == 422
    r = _post(client, "/listings/new", _listing_data(world, bot_id=HUGE_ID), "/listings/new")
    assert r.status_code == 422


@pytest.mark.parametrize("bad", [NUL, LONG], ids=["nul", "200kB"])
def test_nul_and_over_long_text_is_refused(app, client, world, bad):
    counts = (_count(app, OrderBot), _count(app, Listing), _count(app, User))
    for data in (_bot_data(world, name=bad), _bot_data(world, account_email=f"a{bad}@x.io")):
        assert _post(client, "/bots/new", data, "/bots/new").status_code == 422
    for data in (
        _listing_data(world, title=bad),
        _listing_data(world, supplier_product_url=f"http://127.0.0.1:1/{bad}"),
        _listing_data(world, notes=bad),
    ):
        assert _post(client, "/listings/new", data, "/listings/new").status_code == 422
    r = _post(
        client,
        "/team/users",
        {"email": f"a{bad}@x.io", "password": "long enough", "role": "member"},
        "/team/",
    )
    assert r.status_code == 422
    r = _post(
        client,
        "/console/packages",
        {"name": bad, "credits": "1", "price": "1", "currency": "USD"},
        "/console/",
    )
    assert r.status_code == 422
    headers = {"X-CSRFToken": csrf_token(client, "/"), "HX-Request": "true"}
    r = client.post(
        f"/orders/{world.failed}/mark-ordered",
        data={"supplier_order_number": bad, "cost": "1"},
        headers=headers,
    )
    assert r.status_code == 422
    r = client.post(
        f"/orders/{world.bought}/tracking",
        data={"tracking_number": "9400111201080805483016", "carrier": bad},
        headers=headers,
    )
    assert r.status_code == 422
    r = client.post("/login", data={"email": f"a{bad}@x.io", "password": "x"})
    assert r.status_code in (400, 401)
    assert (_count(app, OrderBot), _count(app, Listing), _count(app, User)) == counts
    assert _count(app, CreditPackage) == 0
    with app.app_context():
        order = db.session.get(Order, world.failed)
        assert order.status == "failed" and order.supplier_order_number is None
        assert db.session.get(Order, world.bought).tracking_carrier is None


def test_inline_validation_refuses_nul(client, world):
    headers = {"X-CSRFToken": csrf_token(client, "/bots/"), "HX-Request": "true"}
    r = client.post(
        "/bots/validate/name", data={"name": NUL, "supplier_id": world.supplier}, headers=headers
    )
    assert r.status_code == 200 and "control characters" in r.get_data(as_text=True)


def test_money_stored_before_the_fix_is_cleared_by_the_migration(app, client, world, is_postgres):
    """Infinity/1e30 kept by SQLite (NaN by PostgreSQL) broke /settings/ and /bots/<id> for good;
    the migration a7c4d1e9b352 clears them."""
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from tests.support import ROOT

    bad = "'NaN'" if is_postgres else "1e30"
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"UPDATE teams SET max_buy_price = {bad}")
            connection.exec_driver_sql(f"UPDATE order_bots SET gift_card_balance = {bad}")
        path = ROOT / "migrations/versions/a7c4d1e9b352_clear_money_values_no_column_holds.py"
        spec = importlib.util.spec_from_file_location("clear_money", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with db.engine.begin() as connection:
            module.op = Operations(MigrationContext.configure(connection))
            module.upgrade()
        db.session.expire_all()
        assert db.session.get(Team, world.team).max_buy_price is None
        assert db.session.get(OrderBot, world.bot).gift_card_balance is None
    assert client.get("/settings/").status_code == 200
    assert client.get(f"/bots/{world.bot}").status_code == 200
