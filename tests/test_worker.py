"""The worker process (`flask worker`) runs jobs from Redis inside the app context."""

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import OrderEvent
from autoorder.queues import get_queue
from tests.factories import make_order, make_team
from tests.support import app_env, run_flask


def test_worker_process_runs_a_job_against_the_database(app, redis, redis_url, db_url):
    with app.app_context():
        order = make_order(make_team())
        db.session.commit()
        order_id = order.id
        job = get_queue("default").enqueue(
            "tests.sample_jobs.add_note", order_id, "hello from a worker", job_timeout=30
        )
    env = app_env(app, db_url=db_url, redis_url=redis_url, secret="worker-test")
    result = run_flask(env, "worker", "--burst", "--queues", "default")
    assert result.returncode == 0, result.stderr[-2000:]
    job.refresh()
    assert job.get_status() == "finished", result.stderr[-2000:]
    assert job.return_value() == f"noted {order_id}"
    with app.app_context():
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)).all()
        assert [(e.kind, e.reason, e.actor) for e in events] == [
            ("note", "hello from a worker", "worker-test")
        ]


def _run_worker(app, redis_url, db_url, *args):
    env = app_env(app, db_url=db_url, redis_url=redis_url, secret="worker-test")
    return run_flask(env, "worker", "--burst", "--queues", "orders", *args, timeout=180)


@pytest.mark.browser
def test_default_worker_keeps_one_browser_across_jobs_even_after_a_job_timeout(
    app, redis, redis_url, db_url
):
    with app.app_context():
        queue = get_queue("orders")
        first = queue.enqueue("tests.sample_jobs.open_page", job_timeout=60)
        stuck = queue.enqueue(
            "tests.sample_jobs.open_page", 20_000, job_timeout=2
        )  # killed by RQ's timeout
        last = queue.enqueue("tests.sample_jobs.open_page", job_timeout=60)
    result = _run_worker(app, redis_url, db_url)
    assert result.returncode == 0, result.stderr[-3000:]
    for job in (first, stuck, last):
        job.refresh()
    assert (
        stuck.get_status() == "failed" and "JobTimeoutException" in stuck.latest_result().exc_string
    )
    assert first.return_value()["text"] == last.return_value()["text"] == "ok"
    assert (
        first.return_value()["pid"] == last.return_value()["pid"]
    )  # no work-horse: the worker itself
    assert (
        last.return_value()["launches"] == 1
    )  # the browser outlived the timed-out job and was reused
    assert result.stderr.count("launched chromium") == 1


@pytest.mark.browser
def test_forking_worker_runs_each_job_in_its_own_work_horse(app, redis, redis_url, db_url):
    with app.app_context():
        queue = get_queue("orders")
        jobs = [queue.enqueue("tests.sample_jobs.open_page", job_timeout=60) for _ in range(2)]
    result = _run_worker(app, redis_url, db_url, "--fork")
    assert result.returncode == 0, result.stderr[-3000:]
    for job in jobs:
        job.refresh()
    values = [job.return_value() for job in jobs]
    assert [v["text"] for v in values] == ["ok", "ok"]
    assert values[0]["pid"] != values[1]["pid"]
    assert result.stderr.count("launched chromium") == 2
