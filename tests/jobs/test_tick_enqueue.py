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
