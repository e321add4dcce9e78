"""Periodic job registration against a real Redis: no duplicates across restarts."""

import signal

import pytest
from rq_scheduler import Scheduler

from autoorder.jobs.schedule import job_id, schedule_periodic_jobs

TICK = {"func": "tests.sample_jobs.add_note", "interval": 60, "timeout": 30, "queue": "default"}
SWEEP = {"func": "tests.sample_jobs.add_note", "interval": 300, "timeout": 30, "queue": "tracking"}


def test_ids_are_stable_and_change_with_the_definition():
    assert job_id(TICK) == job_id(dict(reversed(list(TICK.items()))))
    assert job_id(TICK) != job_id(TICK | {"interval": 61})


def test_registering_twice_adds_nothing(redis):
    scheduler = Scheduler(connection=redis)
    first = schedule_periodic_jobs(scheduler, [TICK, SWEEP])
    assert len(first["added"]) == 2
    second = schedule_periodic_jobs(Scheduler(connection=redis), [TICK, SWEEP])
    assert second["added"] == [] and len(second["kept"]) == 2
    assert sorted(j.id for j in scheduler.get_jobs()) == sorted([job_id(TICK), job_id(SWEEP)])
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert jobs[job_id(TICK)].meta["interval"] == 60 and jobs[job_id(TICK)].origin == "default"


def test_changed_and_removed_definitions_are_replaced(redis):
    scheduler = Scheduler(connection=redis)
    schedule_periodic_jobs(scheduler, [TICK, SWEEP])
    faster = TICK | {"interval": 30}
    result = schedule_periodic_jobs(scheduler, [faster])
    assert result["added"] == [job_id(faster)]
    assert sorted(result["removed"]) == sorted([job_id(TICK), job_id(SWEEP)])
    assert [j.id for j in scheduler.get_jobs()] == [job_id(faster)]


def test_other_scheduled_jobs_are_left_alone(redis):
    from datetime import timedelta

    from autoorder import clock

    scheduler = Scheduler(connection=redis)
    scheduler.enqueue_at(
        clock.now() + timedelta(hours=1), "tests.sample_jobs.add_note", 1, "x", job_id="one-off"
    )
    schedule_periodic_jobs(scheduler, [])
    assert [j.id for j in scheduler.get_jobs()] == ["one-off"]


@pytest.fixture
def keep_signal_handlers():
    """rq-scheduler's run() installs SIGINT/SIGTERM handlers: give pytest its own back
    afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_scheduler_process_moves_due_timed_jobs_onto_their_queues(redis, keep_signal_handlers):
    """`flask scheduler` also does RQ's promotion of enqueue_at jobs, so workers can run
    --no-scheduler."""
    from datetime import timedelta

    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from autoorder import clock
    from autoorder.jobs.schedule import AppScheduler

    orders = Queue("orders", connection=redis)
    due = orders.enqueue_at(
        clock.now() - timedelta(seconds=1), "tests.sample_jobs.add_note", 1, "due", job_id="due"
    )
    later = orders.enqueue_at(
        clock.now() + timedelta(hours=1), "tests.sample_jobs.add_note", 1, "x", job_id="later"
    )
    AppScheduler(connection=redis, interval=1).run(burst=True)
    assert orders.job_ids == ["due"]
    assert ScheduledJobRegistry(queue=orders).get_job_ids() == ["later"]
    assert (
        due.get_status(refresh=True) == "queued" and later.get_status(refresh=True) == "scheduled"
    )


def test_only_the_holder_of_rqs_scheduler_lock_promotes(redis, keep_signal_handlers):
    from datetime import timedelta

    from rq import Queue
    from rq.scheduler import RQScheduler

    from autoorder import clock
    from autoorder.jobs.schedule import AppScheduler

    other = RQScheduler(["orders"], connection=redis)  # e.g. a worker started with its scheduler
    assert other.acquire_locks() == {"orders"}
    orders = Queue("orders", connection=redis)
    orders.enqueue_at(
        clock.now() - timedelta(seconds=1), "tests.sample_jobs.add_note", 1, "due", job_id="due"
    )
    AppScheduler(connection=redis, interval=1, queue_names=["orders"]).run(burst=True)
    assert orders.job_ids == []  # left to the lock holder: never promoted twice
    other.enqueue_scheduled_jobs()
    assert orders.job_ids == ["due"]


SCHEDULER_SCRIPT = """
import sys
from autoorder.jobs.schedule import AppScheduler
from autoorder.queues import redis_connection
definition = {"func": "tests.sample_jobs.add_note", "interval": 1, "timeout": 30,
              "queue": "default"}
AppScheduler(connection=redis_connection(sys.argv[1]), interval=0.2,
             periodic=[definition], queue_names=["default"]).run_forever()
"""


def _run_schedulers(redis, redis_url, count: int, seconds: float) -> int:
    """``count`` scheduler processes (the real AppScheduler loop) for ``seconds`` against one
    Redis, no worker; return how many times the 1-second periodic job was put on its queue."""
    import os
    import subprocess
    import sys
    import time

    from tests.support import ROOT

    redis.flushall()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    processes = [
        subprocess.Popen([sys.executable, "-c", SCHEDULER_SCRIPT, redis_url], cwd=ROOT, env=env)
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 120  # a busy machine takes seconds to import the app
        while len(redis.keys("rq:scheduler_instance:*")) < count:  # each one's run loop is up
            assert time.monotonic() < deadline and all(p.poll() is None for p in processes)
            time.sleep(0.1)
        redis.delete("rq:queue:default")
        time.sleep(seconds)
        enqueued = redis.llen("rq:queue:default")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)
    return enqueued


def test_two_schedulers_started_by_mistake_do_no_duplicate_work(redis, redis_url):
    """Both register the periodic jobs under the same ids (one entry each) and take rq-scheduler's
    lock before each pass, so a due periodic job is put on its queue once per interval — as with
    one scheduler — not once per scheduler. (The duties it runs also enqueue each sale, check or
    poll under a fixed job id, so even a duplicate pass would not buy twice.)"""
    alone = _run_schedulers(redis, redis_url, 1, 6)
    together = _run_schedulers(redis, redis_url, 2, 6)
    assert 4 <= alone <= 7, alone
    assert together <= alone + 1, (alone, together)
    from rq_scheduler import Scheduler

    assert len(list(Scheduler(connection=redis).get_jobs())) == 1  # one registration, not two
