"""The periodic duties, each a job of its own in the schedule table (issue #9/#12)."""

import signal
import subprocess
import time

import pytest
from redis import Redis
from rq_scheduler import Scheduler

from autoorder.jobs import tick
from autoorder.jobs.schedule import job_id, periodic_jobs
from tests.support import RedisServer, app_env, flask_command, start_process


def test_every_duty_is_its_own_periodic_job():
    names = {d["func"].__name__ for d in periodic_jobs({"POLL_SECONDS": 60})}
    assert names == {
        "enqueue_due_polls",
        "enqueue_due_orders",
        "recover_expired_leases",
        "enqueue_due_tracking",
        "resume_out_of_credits",
        "resume_gift_card_low",
        "enqueue_due_canaries",
        "enqueue_pending_erasures",
        "flag_ship_by_at_risk",
        "compact_status_counts",
        "sweep_handoffs",
        "enqueue_pending_notifications",
        "send_daily_summaries",
    }
    assert all(callable(d["func"]) for d in periodic_jobs({"POLL_SECONDS": 60}))


@pytest.mark.parametrize(("poll_seconds", "at_most"), [(60, 15), (10, 5), (4, 2), (1, 1)])
def test_polls_are_looked_at_often_enough_for_the_poll_setting(poll_seconds, at_most):
    (polls,) = [
        d
        for d in periodic_jobs({"POLL_SECONDS": poll_seconds})
        if d["func"] is tick.enqueue_due_polls
    ]
    assert polls["interval"] <= at_most


@pytest.mark.slow
def test_scheduler_and_worker_outlive_a_redis_restart(app, db_url, tmp_path):
    """Redis goes away and comes back empty: both processes keep running, the scheduler puts its
    periodic jobs back, and the worker runs jobs again."""
    server = RedisServer(tmp_path)
    server.start()
    env = app_env(app, db_url=db_url, redis_url=server.url)
    log = tmp_path / "procs.log"
    procs = [
        start_process(flask_command("scheduler"), env=env, log_path=log),
        start_process(
            flask_command("worker", "--queues", "default,tracking", "--no-scheduler"),
            env=env,
            log_path=log,
        ),
    ]
    try:
        redis = Redis.from_url(server.url)
        wanted = {job_id(d) for d in periodic_jobs(app.config)}

        def registered():
            return {j.id for j in Scheduler(connection=redis).get_jobs()} >= wanted

        _wait(registered, 30, "periodic jobs registered")
        server.stop()
        time.sleep(4)
        assert [p.poll() for p in procs] == [None, None], (tmp_path / "procs.log").read_text()
        server.start()  # same port, empty
        _wait(registered, 60, "periodic jobs registered again")
        ran = lambda: redis.exists("rq:finished:default") or any(  # noqa: E731
            k.startswith(b"rq:results:") for k in redis.keys("rq:results:*")
        )
        _wait(ran, 60, "a periodic job run by the worker after the restart")
        assert [p.poll() for p in procs] == [None, None]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        server.stop()


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - Redis may be restarting
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_tick_with_nothing_due_writes_nothing_and_asks_redis_nothing(app, redis, monkeypatch):
    """Nothing due: every duty only reads (a write that matches nothing still costs a write
    transaction — a journal sync on SQLite — on every tick) and none talks to Redis."""
    from sqlalchemy import event

    from autoorder.extensions import db
    from tests.factories import make_order, make_team
    from tests.jobs.test_tick_enqueue import RoundTrips

    with app.test_request_context():
        make_order(make_team())  # waiting inside its buffer: not due
        db.session.commit()
        tick.tick()  # folds nothing, flags nothing: a steady state
        statements = []

        def seen(conn, cursor, statement, params, context, executemany):
            statements.append(statement.split(None, 1)[0].upper())

        event.listen(db.engine, "before_cursor_execute", seen)
        trips = RoundTrips(monkeypatch)
        try:
            assert not any(tick.tick().values())
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert statements and set(statements) <= {"SELECT"}, statements
        assert trips.count == 0
