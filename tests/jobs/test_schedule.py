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
    """rq-scheduler's run() installs SIGINT/SIGTERM handlers: give pytest its own back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_scheduler_process_moves_due_timed_jobs_onto_their_queues(redis, keep_signal_handlers):
    """`flask scheduler` also does RQ's promotion of enqueue_at jobs, so workers can run --no-scheduler."""
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
