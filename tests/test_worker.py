"""The worker process (`flask worker`) runs jobs from Redis inside the app context."""

import subprocess
import sys

from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import OrderEvent
from autoorder.queues import get_queue
from tests.factories import make_order, make_team
from tests.support import ROOT, subprocess_env


def test_worker_process_runs_a_job_against_the_database(app, redis, redis_url, db_url):
    with app.app_context():
        order = make_order(make_team())
        db.session.commit()
        order_id = order.id
        job = get_queue("default").enqueue("tests.sample_jobs.add_note", order_id, "hello from a worker",
                                           job_timeout=30)
    env = subprocess_env(SECRET_KEY="worker-test", FERNET_KEYS=app.config["FERNET_KEYS"][0],
                         DATABASE_URL=db_url, REDIS_URL=redis_url, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--burst", "--queues", "default"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    job.refresh()
    assert job.get_status() == "finished", result.stderr[-2000:]
    assert job.return_value() == f"noted {order_id}"
    with app.app_context():
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)).all()
        assert [(e.kind, e.reason, e.actor) for e in events] == [("note", "hello from a worker", "worker-test")]
