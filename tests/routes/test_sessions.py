"""Finding 7: sessions that end. Logout and a password change revoke every session and remember
cookie (a per-user session generation checked on every request); the remember cookie is SameSite=Lax
and short-lived; login is throttled per account and per address (time-limited, kept in the database)
and every attempt is audited."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from autoorder import clock, signins
from autoorder.extensions import db
from autoorder.models import SignIn, User
from tests.factories import PASSWORD, make_user
from tests.support import csrf_token, login

EMAIL = "ann@example.com"


@pytest.fixture
def ann(app):
    with app.app_context():
        user = make_user(email=EMAIL, role="admin")
        make_user(email="stranger@example.com", role="admin")
        db.session.commit()
        return user.id


def _login(client, email=EMAIL, password=PASSWORD, remember=False, **environ):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, environ_base=environ)


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def _logout(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_logout_revokes_a_copied_session_cookie(app, client, ann):
    assert _login(client).status_code == 302
    stolen = _cookie(client, "session")
    _logout(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302  # back to the login page


def test_logout_revokes_the_remember_cookie(app, client, ann):
    response = _login(client, remember=True)
    remember = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    ]
    assert remember and "SameSite=Lax" in remember[0] and "HttpOnly" in remember[0]
    token = _cookie(client, "remember_token")
    other_browser = app.test_client()
    other_browser.set_cookie("remember_token", token)
    assert other_browser.get("/").status_code == 200  # remember-me works before logout
    _logout(client)
    third = app.test_client()
    third.set_cookie("remember_token", token)
    assert third.get("/").status_code == 302
    assert other_browser.get("/").status_code == 302  # its session ended too


def test_remember_cookie_lifetime_is_short(app):
    assert app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, ann):
    _login(client, remember=True)
    other = app.test_client()
    _login(other)
    page = client.get("/account/password")
    assert page.status_code == 200 and "Change your password" in page.get_data(as_text=True)
    token = csrf_token(client, "/account/password")
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "nope",
            "new_password": "a new long pw",
            "confirm": "a new long pw",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    mismatch = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long pw",
            "confirm": "another",
            "csrf_token": token,
        },
    )
    assert mismatch.status_code == 422
    ok = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long pw",
            "confirm": "a new long pw",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other.get("/").status_code == 302  # the other session ended
    assert _login(app.test_client()).status_code == 401  # the old password is gone
    assert _login(app.test_client(), password="a new long pw").status_code == 302


def test_wrong_passwords_are_throttled_per_account_for_a_while(app, client, ann):
    for _ in range(signins.ACCOUNT_FAILURES):
        assert _login(client, password="wrong password").status_code == 401
    refused = _login(client)  # the right password, too soon
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert "Try again in 15 minutes" in refused.get_data(as_text=True)
    assert _login(app.test_client(), email="stranger@example.com").status_code == 302
    with app.app_context():  # the window passes: the real user gets in (no permanent lock-out)
        for row in db.session.scalars(select(SignIn)):
            row.at -= signins.WINDOW
        db.session.commit()
    assert _login(client).status_code == 302


def test_an_address_is_throttled_across_accounts(app, ann):
    client = app.test_client()
    for n in range(signins.IP_FAILURES):
        _login(client, email=f"guess{n}@example.com", REMOTE_ADDR="203.0.113.9")
    assert _login(client, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert _login(app.test_client(), REMOTE_ADDR="203.0.113.10").status_code == 302


def test_throttle_state_lives_in_the_database(app, ann):
    """It survives a Redis flush: the throttle reads sign_ins rows only."""
    with app.app_context():
        for _ in range(signins.ACCOUNT_FAILURES):
            signins.record(EMAIL, "198.51.100.1", "wrong_password")
        db.session.commit()
        assert signins.retry_after(EMAIL, "198.51.100.2") is not None
        signins.record(EMAIL, "198.51.100.1", "ok")
        db.session.commit()
        assert signins.retry_after(EMAIL, "198.51.100.2") is None  # a success resets the count


def test_sign_ins_are_audited_and_shown_to_the_team_admin(app, client, ann):
    _login(app.test_client(), password="wrong password", HTTP_USER_AGENT="Evil/1.0")
    _login(app.test_client(), email="stranger@example.com")
    _login(app.test_client(), email="nobody@example.com")
    _login(client)
    with app.app_context():
        rows = db.session.scalars(select(SignIn).order_by(SignIn.id)).all()
        assert [(r.email, r.result) for r in rows] == [
            (EMAIL, "wrong_password"),
            ("stranger@example.com", "ok"),
            ("nobody@example.com", "unknown_user"),
            (EMAIL, "ok"),
        ]
        assert rows[0].user_agent == "Evil/1.0" and rows[0].ip
    page = client.get("/team/").get_data(as_text=True)
    assert "Recent sign-ins" in page and "wrong password" in page and "Evil/1.0" in page
    assert "stranger@example.com" not in page and "nobody@example.com" not in page


def test_the_operator_sees_every_sign_in(app, client, ann):
    with app.app_context():
        make_user(email="op@example.com", role="admin", is_operator=True)
        db.session.commit()
    _login(app.test_client(), email="nobody@example.com")
    login(client, "op@example.com")
    page = client.get("/team/").get_data(as_text=True)
    assert "nobody@example.com" in page and "every team" in page


def test_a_session_from_before_the_upgrade_is_refused(app, client, ann):
    """Sessions that carry only the user id (no generation) are not honoured."""
    with client.session_transaction() as session:
        session["_user_id"] = str(ann)
        session["_fresh"] = True
    assert client.get("/").status_code == 302
    with app.app_context():
        assert clock.now()  # the app still answers; nothing else to check


def test_remember_cookie_is_secure_unless_turned_off(monkeypatch):
    from autoorder.config import Config

    monkeypatch.delenv("AUTOORDER_SECURE_COOKIES", raising=False)
    config = Config()
    assert config.REMEMBER_COOKIE_SECURE and config.SESSION_COOKIE_SECURE
    assert config.REMEMBER_COOKIE_SAMESITE == "Lax"
    monkeypatch.setenv("AUTOORDER_SECURE_COOKIES", "false")
    assert Config().REMEMBER_COOKIE_SECURE is False


def test_the_password_page_cannot_be_used_to_guess_the_password(app, client, ann):
    _login(client)
    token = csrf_token(client, "/account/password")
    data = {"new_password": "a new long pw", "confirm": "a new long pw", "csrf_token": token}
    for n in range(signins.ACCOUNT_FAILURES):
        answer = client.post("/account/password", data={**data, "current_password": f"guess{n}"})
        assert answer.status_code == 422
    answer = client.post("/account/password", data={**data, "current_password": PASSWORD})
    assert answer.status_code == 429 and "Too many wrong passwords" in answer.get_data(as_text=True)
    assert _login(app.test_client()).status_code == 429  # the account is throttled everywhere
    with app.app_context():
        assert db.session.get(User, ann).check_password(PASSWORD)  # unchanged
