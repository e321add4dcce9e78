"""The notifications page: targets are write-only (stored encrypted, shown masked), "Send test"
only enqueues (ids in Redis, no secrets), the unread badge, thresholds, and team scoping."""

import logging

from rq.job import Job
from sqlalchemy import select, text

from autoorder import notifications
from autoorder.extensions import db
from autoorder.models import Notification, NotificationDelivery, NotificationTarget
from tests.factories import make_user
from tests.support import login, post

SECRET_URL = "mailtos://seller:pa55-w0rd-xyz@smtp.example.com?to=me@example.com"
SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"


def _admin(client, app, **kw):
    with app.app_context():
        user = make_user(role="admin", **kw)
        db.session.commit()
        email, team_id = user.email, user.team_id
    login(client, email)
    return team_id


def test_a_target_is_stored_encrypted_and_never_shown_back(client, app, caplog):
    caplog.set_level(logging.DEBUG)
    team_id = _admin(client, app)
    response = post(client, "/notifications/targets", {"url": SECRET_URL, "label": "my mail"})
    assert response.status_code == 302
    response = post(client, "/notifications/targets", {"url": SLACK_URL})
    page = client.get("/notifications/").get_data(as_text=True)
    assert "mailtos://smtp.example.com" in page and "my mail" in page
    assert "slack://•••" in page
    for secret in ("pa55-w0rd-xyz", "seller:", "TIiajkdnlazkcOXrIdevi7FQ", "T1JJ3T3L2"):
        assert secret not in page
        assert secret not in caplog.text
    with app.app_context():
        raw = db.session.execute(text("SELECT url FROM notification_targets")).scalars().all()
        assert len(raw) == 2 and not any("pa55" in value or "slack" in value for value in raw)
        stored = db.session.scalars(select(NotificationTarget.url)).all()
        assert set(stored) == {SECRET_URL, SLACK_URL}
        assert {t.team_id for t in db.session.scalars(select(NotificationTarget))} == {team_id}


def test_a_url_apprise_does_not_know_is_refused_clearly_and_not_echoed(client, app, caplog):
    caplog.set_level(logging.DEBUG)
    _admin(client, app)
    for bad, message in (
        ("nosuchservice://user:hunter2-secret@host", "apprise does not understand this URL"),
        ("just-text-hunter2-secret", "starts with its service"),
        ("", "Enter an apprise URL"),
    ):
        response = post(client, "/notifications/targets", {"url": bad})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and message in body
        assert "hunter2-secret" not in body
    assert "hunter2-secret" not in caplog.text
    with app.app_context():
        assert db.session.query(NotificationTarget).count() == 0


def test_send_test_enqueues_a_job_with_only_the_id(client, app, redis):
    _admin(client, app)
    response = post(client, "/notifications/test", {}, follow_redirects=True)
    assert "Add a target first" in response.get_data(as_text=True)
    post(client, "/notifications/targets", {"url": SECRET_URL})
    response = post(client, "/notifications/test", {}, follow_redirects=True)
    assert "Test message queued" in response.get_data(as_text=True)
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.kind == "test"))
        delivery = db.session.scalar(select(NotificationDelivery))
        assert delivery.notification_id == note.id and delivery.state == "pending"
    job = Job.fetch(f"notify-{note.id}", connection=redis)
    assert job.args == (note.id,)
    assert all(b"pa55-w0rd-xyz" not in redis.dump(key) for key in redis.keys("*"))


def test_unread_badge_and_mark_read(client, app):
    team_id = _admin(client, app)
    with app.app_context():
        for n in range(3):
            notifications.notify(team_id, "test", n, f"Message {n}", "body")
        db.session.commit()
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'id="nav-notifications"' in page and "Message 2" in page
    badge = client.get("/notifications/badge").get_data(as_text=True)
    assert ">3</span>" in badge and "hx-trigger" in badge
    post(client, "/notifications/read", {}, page="/notifications/")
    assert "></span>" in client.get("/notifications/badge").get_data(as_text=True)


def test_thresholds_are_saved_and_bad_values_refused(client, app):
    team_id = _admin(client, app)
    page = "/notifications/"
    response = post(client, "/notifications/settings", {"credits_below": "-4"}, page=page)
    assert response.status_code == 422
    response = post(
        client, "/notifications/settings", {"gift_card_below": "1e400"}, page="/notifications/"
    )
    assert response.status_code == 422
    post(
        client,
        "/notifications/settings",
        {"credits_below": "3", "gift_card_below": "12.50"},
        page=page,
    )
    with app.app_context():
        from autoorder.models import Team

        team = db.session.get(Team, team_id)
        assert team.notify_credits_below == 3 and str(team.notify_gift_card_below) == "12.50"


def test_members_cannot_change_targets_and_teams_are_kept_apart(client, app):
    with app.app_context():
        other = make_user(role="admin")
        target = notifications.add_target(other.team_id, SECRET_URL, label=None, actor="x")
        notifications.notify(other.team_id, "test", "x", "Other team's message", "body")
        db.session.commit()
        target_id = target.id
        member = make_user(role="member")
        db.session.commit()
        email = member.email
    login(client, email)
    assert post(client, "/notifications/targets", {"url": SECRET_URL}).status_code == 403
    assert post(client, "/notifications/test", {}).status_code == 403
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Other team's message" not in page and "smtp.example.com" not in page
    with app.app_context():
        admin = make_user(role="admin")
        db.session.commit()
        email = admin.email
    admin_client = app.test_client()
    login(admin_client, email)
    response = post(admin_client, f"/notifications/targets/{target_id}/remove", {})
    assert response.status_code == 404


def test_masking_shows_only_the_service_and_a_host_name():
    assert notifications.masked(SECRET_URL) == "mailtos://smtp.example.com"
    assert notifications.masked("json://hooks.example.com:8443/p/tok") == (
        "json://hooks.example.com:8443"
    )
    assert notifications.masked(SLACK_URL) == "slack://•••"
    assert notifications.masked("tgram://123456789:AAbbCC/12315544") == "tgram://•••"
    discord = "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV"
    assert notifications.masked(discord) == "discord://•••"
    error = (
        "failed for https://seller:pa55-w0rd-xyz@smtp.example.com token TIiajkdnlazkcOXrIdevi7FQ"
    )
    assert "pa55-w0rd-xyz" not in notifications.scrub(error, SECRET_URL)
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in notifications.scrub(error, SLACK_URL)
