"""Enqueueing order jobs: never before the buffer ends, no duplicates, "now" replaces "later"."""

from datetime import UTC, datetime, timedelta

from rq.registry import ScheduledJobRegistry

from autoorder import clock
from autoorder.jobs import enqueue_order, order_job_id
from autoorder.queues import get_queue


def test_scheduled_start_is_rounded_up_not_down(app, redis):
    at = datetime.now(UTC).replace(microsecond=999_000) + timedelta(seconds=30)
    with app.app_context():
        job = enqueue_order(41, at=at)
        registry = ScheduledJobRegistry(queue=get_queue("orders"))
        scheduled = registry.get_scheduled_time(job).replace(tzinfo=UTC)
    assert scheduled >= at and scheduled - at < timedelta(seconds=1)


def test_enqueue_is_idempotent_and_now_replaces_later(app, redis):
    with app.app_context():
        later = clock.now() + timedelta(minutes=10)
        assert enqueue_order(42, at=later) is not None
        assert enqueue_order(42, at=later) is None  # already scheduled
        now_job = enqueue_order(42)  # "order now": wanted at once
        assert now_job is not None and now_job.id == order_job_id(42)
        queue = get_queue("orders")
        assert queue.job_ids == [order_job_id(42)]
        assert ScheduledJobRegistry(queue=queue).get_job_ids() == []
        assert enqueue_order(42) is None  # queued already


def test_a_queued_job_lost_from_its_queue_is_enqueued_again(ctx, redis):
    """A worker killed between taking a job off the queue and marking it started leaves RQ saying
    "queued" for a job no worker will see: enqueue_once must not trust that."""
    from rq.job import Job

    from autoorder.queues import enqueue_once, get_queue

    first = enqueue_once("default", "tests.sample_jobs.add_note", 1, job_id="lost-1")
    assert first is not None
    assert enqueue_once("default", "tests.sample_jobs.add_note", 1, job_id="lost-1") is None
    redis.lrem(get_queue("default", redis).key, 0, "lost-1")  # taken off, never started
    assert Job.fetch("lost-1", connection=redis).get_status() == "queued"
    again = enqueue_once("default", "tests.sample_jobs.add_note", 1, job_id="lost-1")
    assert again is not None and "lost-1" in get_queue("default", redis).job_ids


def test_a_poll_whose_worker_died_mid_run_is_polled_again(app, redis):
    """A worker killed while polling leaves the job "started" in RQ until RQ's clean-up, minutes
    later: polling must not stop meanwhile (the chaos run saw eBay not polled for 8 minutes)."""
    from datetime import UTC, datetime, timedelta

    from rq.job import Job

    from autoorder.jobs.api import POLL_TIMEOUT, enqueue_poll

    with app.app_context():
        assert enqueue_poll(7) is not None
        job = Job.fetch("poll-ebay-7", connection=redis)
        job.set_status("started")
        job.started_at = datetime.now(UTC) - timedelta(seconds=10)
        job.save()
        assert enqueue_poll(7) is None  # a live poll is not doubled
        job.started_at = datetime.now(UTC) - timedelta(seconds=POLL_TIMEOUT + 5)
        job.save()
        again = enqueue_poll(7)
        assert again is not None and again.id.startswith("poll-ebay-7-")


def test_a_finished_job_whose_execution_record_expired_is_replaced(ctx, redis):
    """RQ 2 deletes a job's execution records with it and raises ValueError for one that already
    expired (seen under load in the 50-sale burst): enqueue_once must still replace the job."""
    from rq.job import Job

    from autoorder.queues import enqueue_once

    first = enqueue_once("default", "tests.sample_jobs.add_note", 1, job_id="expired-1")
    first.set_status("finished")
    redis.zadd(f"rq:executions:{first.id}", {"gone-execution": 9999999999})  # its record expired
    try:
        Job.fetch("expired-1", connection=redis).delete()
        raised = False
    except ValueError:
        raised = True
    assert raised, "RQ no longer raises here: this test no longer tests anything"
    again = enqueue_once("default", "tests.sample_jobs.add_note", 2, job_id="expired-1")
    assert again is not None and Job.fetch("expired-1", connection=redis).args == (2,)
