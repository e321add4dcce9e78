"""Login, logout, login required everywhere, CSRF on every POST."""

import pytest

from autoorder.extensions import db
from tests.factories import make_user
from tests.support import csrf_token, login

PUBLIC = {"auth.login", "static", "health.health", "ebay_notifications.account_deletion"}


def _concrete(rule):
    """A URL for the rule with every variable set to 1 (static files are public anyway)."""
    import re

    return re.sub(r"<[^>]+>", "1", rule.rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, _concrete(rule)


def test_every_route_requires_login(app, client):
    checked = 0
    app.config["WTF_CSRF_ENABLED"] = False  # prove login, not CSRF, is what turns them away
    try:
        for endpoint, method, path in _routes(app):
            response = client.open(path, method=method)
            assert response.status_code in (302, 401), (
                f"{method} {path} ({endpoint}) answered {response.status_code}"
            )
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], f"{method} {path}"
            checked += 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert checked >= 6


def test_public_pages_need_no_login(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").json == {"status": "ok"}


def test_login_and_logout(app, client):
    with app.app_context():
        make_user(email="ann@example.com")
        db.session.commit()
    assert client.get("/").status_code == 302
    response = login(client, "ann@example.com")
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/")
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(app, client):
    with app.app_context():
        make_user(email="bob@example.com")
        db.session.commit()
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": "bob@example.com", "password": "wrong password", "csrf_token": token},
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_ignores_an_offsite_next(app, client):
    with app.app_context():
        make_user(email="cy@example.com")
        db.session.commit()
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"email": "cy@example.com", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_disabled_user_cannot_log_in(app, client):
    with app.app_context():
        make_user(email="dee@example.com", active=False)
        db.session.commit()
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": "dee@example.com", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 401


def test_login_post_without_csrf_token_is_rejected(app, client):
    with app.app_context():
        make_user(email="eve@example.com")
        db.session.commit()
    response = client.post(
        "/login", data={"email": "eve@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


@pytest.fixture
def logged_in(app, client):
    with app.app_context():
        make_user(email="fay@example.com", role="admin", is_operator=True)
        db.session.commit()
    login(client, "fay@example.com")
    return client


def test_every_post_route_rejects_a_missing_csrf_token(app, logged_in):
    posts = [(endpoint, path) for endpoint, method, path in _routes(app) if method == "POST"]
    assert posts, "no POST routes found"
    for endpoint, path in posts:
        response = logged_in.post(path, data={})
        assert response.status_code == 400, (
            f"POST {path} ({endpoint}) answered {response.status_code}"
        )
        assert "CSRF" in response.get_data(as_text=True)


def test_htmx_post_with_header_token_is_accepted(logged_in):
    token = csrf_token(logged_in, "/")
    response = logged_in.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


def test_session_cookie_flags(app, client):
    with app.app_context():
        make_user(email="gus@example.com")
        db.session.commit()
    response = login(client, "gus@example.com")
    session = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session and "HttpOnly" in session[0] and "SameSite=Lax" in session[0]


def test_create_admin_cli(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Boss@Example.com",
            "--team",
            "Acme",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(
        args=["create-admin", "--email", "boss@example.com", "--password", "long enough pw"]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    ok = runner.invoke(args=["create-admin", "--email", "boss@example.com", "--if-missing"])
    assert ok.exit_code == 0
    short = runner.invoke(args=["create-admin", "--email", "x@example.com", "--password", "short"])
    assert short.exit_code != 0 and "8 characters" in short.output
    client = app.test_client()
    login(client, "boss@example.com", "long enough pw")
    assert client.get("/").status_code == 200


def test_create_admin_makes_the_first_user_the_operator(app):
    from sqlalchemy import select

    from autoorder.models import User

    runner = app.test_cli_runner()
    pw = ["--password", "long enough pw"]
    assert runner.invoke(args=["create-admin", "--email", "first@example.com", *pw]).exit_code == 0
    second = runner.invoke(args=["create-admin", "--email", "second@example.com", *pw])
    assert second.exit_code == 0 and "operator" not in second.output

    def operators():
        db.session.expire_all()
        return set(db.session.scalars(select(User.email).where(User.is_operator)))

    with app.app_context():
        assert operators() == {"first@example.com"}
    made = runner.invoke(args=["make-operator", "Second@Example.com"])
    assert made.exit_code == 0, made.output
    with app.app_context():
        assert operators() == {"first@example.com", "second@example.com"}
    assert runner.invoke(args=["make-operator", "--revoke", "first@example.com"]).exit_code == 0
    last = runner.invoke(args=["make-operator", "--revoke", "second@example.com"])
    assert last.exit_code != 0 and "last active operator" in last.output
    assert runner.invoke(args=["make-operator", "nobody@example.com"]).exit_code != 0
    with app.app_context():
        assert operators() == {"second@example.com"}
