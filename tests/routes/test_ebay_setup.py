"""The eBay set-up page (issue 11): which keys are present (secrets never shown), what eBay's portal
needs, the day's eBay calls, and a self-test of the deletion endpoint over real HTTP. The server
operator's only: a team admin is refused."""

import pytest

from autoorder.ebay import budget
from autoorder.extensions import db
from tests.factories import make_user
from tests.support import free_port, login, post, served_over_http

TOKEN = "setup-page-verification-token_0123456789"
SECRET = "very-secret-cert-id-value"


@pytest.fixture
def configured(app):
    keys = (
        "EBAY_CLIENT_ID",
        "EBAY_CLIENT_SECRET",
        "EBAY_REDIRECT_URI",
        "PUBLIC_BASE_URL",
        "EBAY_DELETION_VERIFICATION_TOKEN",
        "EBAY_DELETION_ENDPOINT_URL",
    )
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(
        EBAY_CLIENT_ID="MyShop-autoorde-PRD-123",
        EBAY_CLIENT_SECRET=SECRET,
        EBAY_REDIRECT_URI=None,
        EBAY_DELETION_VERIFICATION_TOKEN=TOKEN,
    )
    yield app
    app.config.update(saved)


@pytest.fixture
def admin(app, client):
    with app.app_context():
        user = make_user(role="admin", email="admin-setup@example.com", is_operator=True)
        make_user(team=user.team, email="member-setup@example.com")
        db.session.commit()
    login(client, "admin-setup@example.com")
    return client


@pytest.mark.parametrize("role", ["member", "admin"])
def test_everyone_but_the_operator_is_refused(app, client, configured, role):
    with app.app_context():
        make_user(email="not-operator@example.com", role=role)
        db.session.commit()
    login(client, "not-operator@example.com")
    assert client.get("/settings/ebay-setup").status_code == 403
    response = post(client, "/settings/ebay-setup/self-test", page="/settings/")
    assert response.status_code == 403
    assert "eBay set-up" not in client.get("/settings/").get_data(as_text=True)


def test_the_page_says_what_is_present_and_never_shows_a_secret(admin, configured, app):
    assert "eBay set-up" in admin.get("/settings/").get_data(as_text=True)
    app.config["PUBLIC_BASE_URL"] = "http://localhost:5000"
    with app.app_context():
        budget.record_call("getOrders")
        budget.record_call("getOrders")
        budget.record_call("createShippingFulfillment")
    page = admin.get("/settings/ebay-setup").get_data(as_text=True)
    assert SECRET not in page and TOKEN not in page
    assert "MyShop-autoorde-PRD-123" in page
    row = page[page.index('id="setting-EBAY_RU_NAME"') :].split("</tr>")[0]
    assert "missing" in row
    row = page[page.index('id="setting-EBAY_CLIENT_SECRET"') :].split("</tr>")[0]
    assert "present" in row
    assert "eBay accepts https endpoints only" in page
    assert "http://localhost:5000/ebay/account-deletion" in page
    assert '<strong id="calls-total">3</strong>' in page
    assert "createShippingFulfillment" in page and "America/Los_Angeles" in page


def test_the_self_test_answers_the_challenge_over_http(admin, configured, app):
    with served_over_http(app) as base:
        app.config["PUBLIC_BASE_URL"] = base
        page = post(admin, "/settings/ebay-setup/self-test", page="/settings/ebay-setup").get_data(
            as_text=True
        )
        assert "answered the challenge correctly" in page
        # A URL that is not the endpoint (say, a proxy path): the answer is wrong.
        app.config["EBAY_DELETION_ENDPOINT_URL"] = f"{base}/healthz"
        page = post(admin, "/settings/ebay-setup/self-test", page="/settings/ebay-setup").get_data(
            as_text=True
        )
        assert "without the expected challengeResponse" in page
    app.config["EBAY_DELETION_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}/ebay/x"
    page = post(admin, "/settings/ebay-setup/self-test", page="/settings/ebay-setup").get_data(
        as_text=True
    )
    assert "could not be reached" in page
