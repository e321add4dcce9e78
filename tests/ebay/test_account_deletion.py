"""eBay Marketplace Account Deletion (issue 11): the emulator sends the challenge and signed
notifications over HTTP to the product's endpoint, served by a real HTTP server; the product fetches
eBay's public key with getPublicKey (an application token) and erases the buyer's data in a job."""

import logging
from decimal import Decimal
from pathlib import Path

import pytest
from rq import Queue
from sqlalchemy import func, select

from autoorder.ebay import notifications
from autoorder.evidence import path_of
from autoorder.extensions import db
from autoorder.jobs.privacy import erase_ebay_user
from autoorder.models import EbayAccount, EbayDeletionNotice, Evidence, Order, Team
from tests.ebay.ebay_fixtures import stats
from tests.factories import make_order
from tests.support import served_over_http

TOKEN = "autoorder-test-verification-token_0123456789abcdef"
ADDRESS = {
    "name": "Dana Gone",
    "phone": "5555550123",
    "email": "dana@example.test",
    "line1": "1 Elm St",
    "line2": "",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country": "US",
}


@pytest.fixture
def served(app, ebay_sandbox, redis):
    """The product over real HTTP in a thread, its deletion endpoint configured."""
    saved = {k: app.config.get(k) for k in ("PUBLIC_BASE_URL", "EBAY_DELETION_VERIFICATION_TOKEN")}
    with served_over_http(app) as base:
        app.config.update(PUBLIC_BASE_URL=base, EBAY_DELETION_VERIFICATION_TOKEN=TOKEN)
        notifications.clear_key_cache()
        yield f"{base}/ebay/account-deletion"
    app.config.update(saved)
    notifications.clear_key_cache()


@pytest.fixture
def buyer_orders(ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    gone = make_order(
        team,
        status="succeeded",
        ebay_account_id=ebay_account.id,
        buyer_username="dana_gone",
        buyer_name="Dana Gone",
        ship_to=dict(ADDRESS),
        sale_price=Decimal("42.50"),
        ebay_fees=Decimal("5.93"),
        supplier_cost=Decimal("30.00"),
        supplier_order_number="SO-77",
    )
    waiting = make_order(
        team, buyer_username="dana_gone", buyer_name="Dana Gone", ship_to=dict(ADDRESS)
    )
    other = make_order(
        team, buyer_username="someone_else", buyer_name="Sam Else", ship_to=dict(ADDRESS)
    )
    db.session.flush()
    screenshot = Evidence(order_id=gone.id, kind="review", path=f"{gone.id}/review.png")
    db.session.add(screenshot)
    db.session.commit()
    path_of(screenshot).parent.mkdir(parents=True, exist_ok=True)
    path_of(screenshot).write_bytes(b"\x89PNG the buyer's address")
    return gone, waiting, other


def send(emulator, endpoint, **body):
    return emulator.control(
        "POST", "/sandbox/notifications/account-deletion", {"endpoint": endpoint, **body}
    )


def notices():
    return db.session.scalars(select(EbayDeletionNotice)).all()


def test_the_challenge_is_answered_as_ebay_checks_it(ebay_sandbox, served):
    result = ebay_sandbox.control(
        "POST",
        "/sandbox/notifications/challenge",
        {"endpoint": served, "verificationToken": TOKEN},
    )
    assert result["ok"] is True and result["received"] == result["expected"]
    wrong = ebay_sandbox.control(
        "POST",
        "/sandbox/notifications/challenge",
        {"endpoint": served, "verificationToken": "another-token-" + "x" * 30},
    )
    assert wrong["ok"] is False


def test_a_signed_notification_erases_the_buyer_and_keeps_the_amounts(
    ebay_sandbox, served, buyer_orders, redis, app, caplog
):
    caplog.set_level(logging.DEBUG)
    gone, waiting, other = buyer_orders
    result = send(ebay_sandbox, served, username="dana_gone", userId="ma8vp1jySJC")
    assert (result["delivered"], result["status"]) == (True, 204)
    (notice,) = notices()
    assert notice.notification_id == result["notificationId"] and notice.processed_at is None
    (job,) = Queue("default", connection=redis).get_jobs()
    assert job.func_name == "autoorder.jobs.privacy.erase_ebay_user" and job.args == (notice.id,)

    assert erase_ebay_user(notice.id) == "erased orders=2 accounts=0"
    db.session.expire_all()
    gone, waiting, other = (db.session.get(Order, o.id) for o in (gone, waiting, other))
    for order in (gone, waiting):
        assert (order.buyer_username, order.buyer_name, order.ship_to) == (None, None, {})
    assert (gone.sale_price, gone.ebay_fees, gone.supplier_cost) == (
        Decimal("42.50"),
        Decimal("5.93"),
        Decimal("30.00"),
    )
    assert (gone.ebay_order_id, gone.supplier_order_number, gone.status) == (
        buyer_orders[0].ebay_order_id,
        "SO-77",
        "succeeded",
    )
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0
    assert not (Path(app.config["EVIDENCE_DIR"]) / f"{gone.id}/review.png").exists()
    assert (waiting.status, waiting.failure_code) == ("needs_attention", "buyer_erased")
    assert (other.buyer_username, other.ship_to["name"]) == ("someone_else", "Dana Gone")
    notice = db.session.get(EbayDeletionNotice, notice.id)
    assert (notice.username, notice.ebay_user_id, notice.orders_erased) == (None, None, 2)
    assert erase_ebay_user(notice.id) == "already erased"  # safe to run twice
    assert "dana_gone" not in caplog.text and "Dana Gone" not in caplog.text
    assert stats(ebay_sandbox)["requests"]["getPublicKey"] == 1
    assert stats(ebay_sandbox)["applicationTokens"] == 1


@pytest.mark.parametrize("forgery", [{"tamper": True}, {"foreignKey": True}])
def test_a_bad_signature_is_refused_and_changes_nothing(
    ebay_sandbox, served, buyer_orders, redis, forgery
):
    result = send(ebay_sandbox, served, username="dana_gone", **forgery)
    assert (result["delivered"], result["status"]) == (False, 412)
    assert notices() == [] and Queue("default", connection=redis).get_jobs() == []
    db.session.expire_all()
    assert db.session.get(Order, buyer_orders[0].id).buyer_name == "Dana Gone"


def test_the_public_key_is_cached_by_key_id_and_a_repeat_is_recorded_once(
    ebay_sandbox, served, buyer_orders
):
    first = send(ebay_sandbox, served, username="dana_gone", notificationId="n-1")
    again = send(ebay_sandbox, served, username="dana_gone", notificationId="n-1")
    other = send(ebay_sandbox, served, username="someone_else", notificationId="n-2")
    assert {first["status"], again["status"], other["status"]} == {204}
    assert sorted(n.notification_id for n in notices()) == ["n-1", "n-2"]
    assert stats(ebay_sandbox)["requests"]["getPublicKey"] == 1


def test_a_closed_seller_account_loses_its_tokens(ebay_sandbox, served, ebay_account, redis):
    send(ebay_sandbox, served, username=ebay_account.name)
    (notice,) = notices()
    assert erase_ebay_user(notice.id) == "erased orders=0 accounts=1"
    db.session.expire_all()
    account = db.session.get(EbayAccount, ebay_account.id)
    assert (account.access_token, account.refresh_token, account.status) == (
        None,
        None,
        "reconnect_needed",
    )
    assert account.name != "autoorder_demo_seller"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, b"{}"),
        ({"X-EBAY-SIGNATURE": "not base64!"}, b"{}"),
        ({"X-EBAY-SIGNATURE": "eyJmb28iOiAxfQ=="}, b"{}"),  # {"foo": 1}
        ({"X-EBAY-SIGNATURE": "W10="}, b"[]"),  # []
    ],
)
def test_bad_input_is_refused_never_a_500(client, app, headers, body):
    app.config["EBAY_DELETION_VERIFICATION_TOKEN"] = TOKEN
    response = client.post("/ebay/account-deletion", data=body, headers=headers)
    assert response.status_code == 412


def test_the_challenge_needs_a_code_and_a_configuration(client, app):
    app.config.update(EBAY_DELETION_VERIFICATION_TOKEN=None, PUBLIC_BASE_URL=None)
    assert client.get("/ebay/account-deletion").status_code == 400
    assert client.get("/ebay/account-deletion?challenge_code=abc").status_code == 503
    app.config.update(
        EBAY_DELETION_VERIFICATION_TOKEN=TOKEN, PUBLIC_BASE_URL="https://shop.example.com/"
    )
    answer = client.get("/ebay/account-deletion?challenge_code=abc").get_json()
    endpoint = "https://shop.example.com/ebay/account-deletion"
    assert answer == {"challengeResponse": notifications.challenge_response("abc", TOKEN, endpoint)}
    app.config.update(EBAY_DELETION_VERIFICATION_TOKEN=None, PUBLIC_BASE_URL=None)


def test_the_endpoint_is_public_and_its_signature_replaces_login_and_csrf(client, app):
    """eBay cannot log in or send a CSRF token: the endpoint is public (tests/routes/test_auth.py
    lists it), and an unsigned POST is refused by the signature check, not a CSRF error."""
    app.config["EBAY_DELETION_VERIFICATION_TOKEN"] = TOKEN
    app.config["PUBLIC_BASE_URL"] = "https://shop.example.com"
    try:
        assert client.get("/ebay/account-deletion?challenge_code=x").status_code == 200
        response = client.post("/ebay/account-deletion", data=b"{}")
        assert response.status_code == 412 and "CSRF" not in response.get_data(as_text=True)
    finally:
        app.config.update(EBAY_DELETION_VERIFICATION_TOKEN=None, PUBLIC_BASE_URL=None)
