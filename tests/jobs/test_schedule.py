"""Periodic job registration against a real Redis: no duplicates across restarts."""

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
    scheduler.enqueue_at(clock.now() + timedelta(hours=1), "tests.sample_jobs.add_note", 1, "x",
                         job_id="one-off")
    schedule_periodic_jobs(scheduler, [])
    assert [j.id for j in scheduler.get_jobs()] == ["one-off"]
