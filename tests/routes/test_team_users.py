"""Team: admins create users, change roles, deactivate; members cannot; a team keeps an active
admin."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import User
from tests.factories import make_user
from tests.support import csrf_token, login


@pytest.fixture
def world(app):
    with app.app_context():
        admin = make_user(email="admin@example.com", role="admin")
        member = make_user(admin.team, email="member@example.com")
        stranger = make_user(email="stranger@example.com", role="admin")
        db.session.commit()
        return SimpleNamespace(
            team=admin.team_id, admin=admin.id, member=member.id, stranger=stranger.id
        )


def _post(client, path, **data):
    return client.post(
        path, data={**data, "csrf_token": csrf_token(client, "/settings/")}, follow_redirects=True
    )


def _user(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


def test_admin_creates_a_user_who_can_log_in(app, client, world):
    login(client, "admin@example.com")
    response = _post(
        client,
        "/team/users",
        email="New.Person@Example.com",
        password="long enough pw",
        role="member",
    )
    body = response.get_data(as_text=True)
    assert "User new.person@example.com created as member" in body and "long enough pw" not in body
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.person@example.com"))
        assert (user.team_id, user.role, user.active) == (world.team, "member", True)
    login(app.test_client(), "new.person@example.com", "long enough pw")


@pytest.mark.parametrize(
    "data,message",
    [
        ({"email": "not-an-email", "password": "long enough pw", "role": "member"}, "valid email"),
        (
            {"email": "x@example.com", "password": "short", "role": "member"},
            "at least 8 characters",
        ),
        (
            {"email": "x@example.com", "password": "long enough pw", "role": "owner"},
            "Not a valid choice",
        ),
        (
            {"email": "STRANGER@example.com", "password": "long enough pw", "role": "member"},
            "This email cannot be used for a new user",  # neutral: another team's user
        ),
        (
            {"email": "Member@example.com", "password": "long enough pw", "role": "member"},
            "A user of this team already has this email",
        ),
    ],
)
def test_invalid_new_users_are_refused(app, client, world, data, message):
    login(client, "admin@example.com")
    response = client.post("/team/users", data={**data, "csrf_token": csrf_token(client, "/team/")})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert "long enough pw" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_roles_change_and_users_are_deactivated(app, client, world):
    login(client, "admin@example.com")
    _post(client, f"/team/users/{world.member}/role", role="admin")
    assert _user(app, world.member).role == "admin"
    _post(client, f"/team/users/{world.member}/deactivate")
    assert _user(app, world.member).active is False
    member = app.test_client()
    response = member.post(
        "/login",
        data={
            "email": "member@example.com",
            "password": "correct horse battery",
            "csrf_token": csrf_token(member),
        },
    )
    assert response.status_code == 401
    _post(client, f"/team/users/{world.member}/activate")
    assert _user(app, world.member).active is True


def test_the_last_admin_cannot_demote_or_deactivate_themself(app, client, world):
    login(client, "admin@example.com")
    body = _post(client, f"/team/users/{world.admin}/role", role="member").get_data(as_text=True)
    assert "last active admin" in body and _user(app, world.admin).role == "admin"
    body = _post(client, f"/team/users/{world.admin}/deactivate").get_data(as_text=True)
    assert "last active admin" in body and _user(app, world.admin).active
    _post(
        client, f"/team/users/{world.member}/role", role="admin"
    )  # with a second admin it is allowed
    _post(client, f"/team/users/{world.admin}/role", role="member")
    assert _user(app, world.admin).role == "member"
    assert client.get("/team/").status_code == 403  # no longer an admin


def test_members_cannot_manage_users(app, client, world):
    login(client, "member@example.com")
    assert client.get("/team/").status_code == 403
    token = csrf_token(client, "/settings/")
    for path, data in [
        ("/team/users", {"email": "y@example.com", "password": "long enough pw", "role": "admin"}),
        (f"/team/users/{world.member}/role", {"role": "admin"}),
        (f"/team/users/{world.admin}/deactivate", {}),
        (f"/team/users/{world.admin}/activate", {}),
    ]:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert _user(app, world.member).role == "member" and _user(app, world.admin).active


def test_another_teams_users_answer_404(app, client, world):
    login(client, "admin@example.com")
    assert "stranger@example.com" not in client.get("/team/").get_data(as_text=True)
    token = csrf_token(client, "/team/")
    for path, data in [
        (f"/team/users/{world.stranger}/role", {"role": "member"}),
        (f"/team/users/{world.stranger}/deactivate", {}),
        (f"/team/users/{world.stranger}/activate", {}),
    ]:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    assert _user(app, world.stranger).active and _user(app, world.stranger).role == "admin"


def test_a_team_admin_cannot_deactivate_or_demote_the_operator(app, client, world):
    with app.app_context():
        operator = make_user(
            db.session.get(User, world.admin).team, email="op@example.com", role="admin"
        )
        operator.is_operator = True
        db.session.commit()
        operator_id = operator.id
    login(client, "admin@example.com")
    _post(client, f"/team/users/{operator_id}/deactivate")
    _post(client, f"/team/users/{operator_id}/role", role="member")
    user = _user(app, operator_id)
    assert (user.active, user.role, user.is_operator) == (True, "admin", True)
