"""Connecting eBay accounts through OAuth, against the eBay emulator subprocess."""

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select, text

from autoorder import clock
from autoorder.ebay.accounts import client_for
from autoorder.extensions import db
from autoorder.models import EbayAccount
from tests.ebay.ebay_fixtures import ebay_emulator, ebay_sandbox  # noqa: F401 - fixtures
from tests.factories import make_user
from tests.support import csrf_token, login


@pytest.fixture
def teams(app, ebay_sandbox):  # noqa: F811 - the fixture imported above
    with app.app_context():
        admin = make_user(email="admin@example.com", role="admin")
        make_user(admin.team, email="member@example.com")
        stranger = make_user(email="stranger@example.com", role="admin")
        theirs = EbayAccount(
            team_id=stranger.team_id, name="their_store", status="reconnect_needed"
        )
        db.session.add(theirs)
        db.session.commit()
        return {"team": admin.team_id, "their_account": theirs.id}


def _start(client, path="/settings/ebay/connect", **data):
    """POST the connect button; return eBay's consent URL we were sent to."""
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, "/settings/")})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _consent(consent_url):
    """Follow eBay's consent page by hand: it redirects to the accept URL with state and code."""
    answer = requests.get(consent_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    return query["state"][0], query["code"][0]


def _callback(**params):
    return "/ebay/callback?" + urlencode(params)


def _accounts(app, team_id):
    with app.app_context():
        return db.session.scalars(select(EbayAccount).where(EbayAccount.team_id == team_id)).all()


def test_connect_stores_tokens_encrypted(app, client, teams, ebay_sandbox):  # noqa: F811
    login(client, "admin@example.com")
    consent_url = _start(client, name="my_store")
    assert consent_url.startswith(ebay_sandbox.url + "/oauth2/authorize?")
    state, code = _consent(consent_url)
    response = client.get(_callback(state=state, code=code))
    assert response.status_code == 302 and response.headers["Location"] == "/settings/"
    [account] = _accounts(app, teams["team"])
    assert (account.name, account.status, account.last_error) == ("my_store", "connected", None)
    assert account.access_token and account.refresh_token
    assert account.access_token_expires_at > clock.now() + timedelta(hours=1)
    with app.app_context():
        raw = db.session.execute(
            text("SELECT access_token, refresh_token FROM ebay_accounts WHERE id = :id"),
            {"id": account.id},
        ).one()
        assert account.access_token not in raw[0] and account.refresh_token not in raw[1]
        client_for(db.session.get(EbayAccount, account.id)).get_orders(limit=1)  # the tokens work
    page = client.get("/settings/").get_data(as_text=True)
    assert "my_store" in page and "connected" in page and "their_store" not in page
    assert account.access_token not in page and account.refresh_token not in page
    assert client.get(_callback(state=state, code=code)).status_code == 400  # no replay
    assert len(_accounts(app, teams["team"])) == 1


def test_state_mismatch_is_rejected(app, client, teams):
    login(client, "admin@example.com")
    state, code = _consent(_start(client))
    response = client.get(_callback(state=state + "x", code=code))
    assert response.status_code == 400 and "state mismatch" in response.get_data(as_text=True)
    assert _accounts(app, teams["team"]) == []
    # the pending state is spent: even the right one does not work after a mismatch
    assert client.get(_callback(state=state, code=code)).status_code == 400
    assert client.get("/ebay/callback?state=anything&code=x").status_code == 400  # nothing started
    assert _accounts(app, teams["team"]) == []


def test_state_of_another_session_is_rejected(app, client, teams):
    login(client, "admin@example.com")
    state, code = _consent(_start(client))
    intruder = app.test_client()  # another admin's session (CSRF login: a link with someone's code)
    with app.app_context():
        make_user(email="second-admin@example.com", role="admin")
        db.session.commit()
    login(intruder, "second-admin@example.com")
    assert intruder.get(_callback(state=state, code=code)).status_code == 400
    assert _accounts(app, teams["team"]) == []


def test_reconnect_clears_reconnect_needed(app, client, teams, ebay_sandbox):  # noqa: F811
    login(client, "admin@example.com")
    with app.app_context():
        account = EbayAccount(
            team_id=teams["team"],
            name="shop_one",
            status="reconnect_needed",
            access_token="stale-access",
            refresh_token="revoked-refresh",
            poll_failures=4,
            last_error="eBay refused the stored login: invalid_grant",
        )
        db.session.add(account)
        db.session.commit()
        account_id = account.id
    page = client.get("/settings/").get_data(as_text=True)
    assert "reconnect needed" in page and "invalid_grant" in page and "stale-access" not in page
    state, code = _consent(_start(client, f"/settings/ebay/{account_id}/reconnect"))
    assert client.get(_callback(state=state, code=code)).status_code == 302
    [account] = _accounts(app, teams["team"])
    assert (account.id, account.status, account.last_error, account.poll_failures) == (
        account_id,
        "connected",
        None,
        0,
    )
    assert (
        account.refresh_token not in ("revoked-refresh", None)
        and account.access_token != "stale-access"
    )
    assert "Reconnect" in client.get("/settings/").get_data(as_text=True)


def test_refused_consent_and_bad_codes_are_reported(app, client, teams):
    login(client, "admin@example.com")
    state, _ = _consent(_start(client))
    response = client.get(_callback(state=state, error="access_denied"), follow_redirects=True)
    assert "eBay did not grant access (access_denied)" in response.get_data(as_text=True)
    state, _ = _consent(_start(client))
    response = client.get(_callback(state=state, code="not-a-real-code"), follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "eBay did not accept the authorization" in body and "invalid_grant" in body
    assert _accounts(app, teams["team"]) == []


def test_another_teams_account_and_members_are_refused(app, client, teams):
    login(client, "admin@example.com")
    token = csrf_token(client, "/settings/")
    assert (
        client.post(
            f"/settings/ebay/{teams['their_account']}/reconnect", data={"csrf_token": token}
        ).status_code
        == 404
    )
    member = app.test_client()
    login(member, "member@example.com")
    token = csrf_token(member, "/settings/")
    assert member.post("/settings/ebay/connect", data={"csrf_token": token}).status_code == 403
    assert member.get("/ebay/callback?state=x&code=y").status_code == 403


def test_missing_ebay_configuration_is_explained(app, client, teams):
    login(client, "admin@example.com")
    app.config["EBAY_CLIENT_ID"] = None
    response = client.post(
        "/settings/ebay/connect",
        data={"csrf_token": csrf_token(client, "/settings/")},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "eBay is not configured on this server (missing EBAY_CLIENT_ID)" in body
