"""rq-dashboard at /rq: inside our login, the server operator only, CSRF-checked, on the app's real
Redis."""

import pytest
from rq import Queue

from tests.factories import make_user
from tests.support import csrf_token, login


@pytest.fixture
def users(app):
    from autoorder.extensions import db

    with app.app_context():
        admin = make_user(email="admin@example.com", role="admin", is_operator=True)
        make_user(admin.team, email="member@example.com")
        make_user(email="other-admin@example.com", role="admin")  # another team's admin
        db.session.commit()


def test_dashboard_renders_for_the_operator_with_real_redis(app, client, users, redis):
    Queue("orders", connection=redis).enqueue("autoorder.jobs.bots.test_bot_login", 12345)
    login(client, "admin@example.com")
    page = client.get("/rq/")
    assert page.status_code == 200 and "RQ dashboard" in page.get_data(as_text=True)
    queues = client.get("/rq/0/data/queues.json").get_json()
    assert {"name": "orders", "count": 1} in [
        {"name": q["name"], "count": q["count"]} for q in queues["queues"]
    ]
    assert 'href="/rq/">Jobs</a>' in client.get("/bots/").get_data(
        as_text=True
    )  # in the navigation


def test_members_are_refused_everywhere_under_rq(client, users, redis):
    login(client, "member@example.com")
    for path in ("/rq/", "/rq/0/view/workers", "/rq/0/data/queues.json", "/rq/static/css/main.css"):
        assert client.get(path).status_code == 403, path
    assert client.post("/rq/queue/orders/queued/empty").status_code == 403
    assert 'href="/rq/"' not in client.get("/bots/").get_data(as_text=True)


def test_changes_need_the_csrf_token_the_dashboard_sends(client, users, redis):
    queue = Queue("orders", connection=redis)
    queue.enqueue("autoorder.jobs.bots.test_bot_login", 1)
    login(client, "admin@example.com")
    client.get("/rq/")
    cookie = client.get_cookie("_csrf_token", path="/rq")
    assert cookie is not None and not cookie.http_only
    refused = client.post("/rq/queue/orders/queued/empty")
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert client.get("/rq/requeue/orders").status_code == 400  # a change behind a GET
    assert queue.count == 1
    ok = client.post("/rq/queue/orders/queued/empty", headers={"X-CSRFToken": cookie.value})
    assert ok.status_code == 200 and ok.get_json() == {"status": "OK"}
    assert queue.count == 0


def test_another_teams_admin_can_neither_read_nor_change_jobs(client, users, redis):
    """Finding 1: the dashboard was shared by every team's admins (read A's results, delete
    jobs)."""
    queue = Queue("orders", connection=redis)
    job = queue.enqueue("autoorder.jobs.bots.test_bot_login", 1, job_id="place-order-5")
    login(client, "other-admin@example.com")
    token = csrf_token(client, "/")
    for path in (
        "/rq/",
        "/rq/0/view/jobs",
        "/rq/0/data/queues.json",
        f"/rq/0/data/job/{job.id}.json",
        f"/rq/0/view/job/{job.id}",
    ):
        assert client.get(path).status_code == 403, path
    headers = {"X-CSRFToken": token}
    for path in (f"/rq/job/{job.id}/delete", "/rq/queue/orders/queued/empty"):
        assert client.post(path, headers=headers).status_code == 403, path
    assert client.get("/rq/requeue/orders", headers=headers).status_code == 403
    assert queue.count == 1
    assert 'href="/rq/"' not in client.get("/bots/").get_data(as_text=True)


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/rq/0/data/job/nope.json"),
        ("GET", "/rq/0/view/job/nope"),
        ("POST", "/rq/job/nope/requeue"),
        ("POST", "/rq/job/nope/delete"),
        ("GET", "/rq/5/view/jobs"),
        ("GET", "/rq/5/data/queues.json"),
        ("GET", "/rq/0/data/jobs/nope/queued/10/asc/1.json"),
        ("GET", "/rq/0/view/jobs/orders/bogus/8/asc/1"),
        ("POST", "/rq/queue/nope/compact"),
        ("POST", "/rq/queue/nope/queued/empty"),
        ("POST", "/rq/queue/orders/bogus/empty"),
        ("GET", "/rq/requeue/nope"),
        ("GET", "/rq/99999999999999999999/view/jobs"),
    ],
)
def test_unknown_jobs_queues_registries_and_instances_answer_404(
    client, users, redis, method, path
):
    """Finding 8: /rq answered 500 on unknown job, registry and queue names."""
    login(client, "admin@example.com")
    client.get("/rq/")
    token = client.get_cookie("_csrf_token", path="/rq").value
    assert client.open(path, method=method, headers={"X-CSRFToken": token}).status_code == 404
