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


# --- many at once (the duties): the same ids and rules as enqueue_once, in a few round trips ------
class RoundTrips:
    """Counts what is sent to Redis: one send per command, one per pipeline (all its commands).
    A new connection's handshake (CLIENT SETINFO, SELECT of a database other than 0) is not
    counted: how many connections a client opens is redis-py's business, not the enqueue's."""

    def __init__(self, monkeypatch):
        from redis.connection import AbstractConnection

        self.count = 0
        self.connecting = False
        send = AbstractConnection.send_packed_command
        on_connect = AbstractConnection.on_connect_check_health

        def counted(connection, command, check_health=True):
            self.count += not self.connecting
            return send(connection, command, check_health)

        def handshake(connection, *args, **kwargs):
            self.connecting = True
            try:
                return on_connect(connection, *args, **kwargs)
            finally:
                self.connecting = False

        monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
        monkeypatch.setattr(AbstractConnection, "on_connect_check_health", handshake)


def _job(redis, job_id):
    from rq.job import Job

    return Job.fetch(job_id, connection=redis)


def test_many_enqueue_once_each_in_a_few_round_trips(ctx, redis, monkeypatch):
    from autoorder.queues import enqueue_many_once, get_queue

    jobs = [(f"many-{n}", (n, "x")) for n in range(200)]
    trips = RoundTrips(monkeypatch)
    enqueued = enqueue_many_once("default", "tests.sample_jobs.add_note", jobs, timeout=60)
    assert [job.id for job in enqueued] == [job_id for job_id, _ in jobs]
    assert trips.count <= 5, trips.count  # not a few per job (that was 600+)
    assert get_queue("default", redis).job_ids == [job_id for job_id, _ in jobs]
    job = _job(redis, "many-7")
    assert (job.args, job.timeout, job.result_ttl, job.failure_ttl) == ((7, "x"), 60, 3600, 604800)

    trips.count = 0
    assert enqueue_many_once("default", "tests.sample_jobs.add_note", jobs) == []  # all pending
    assert trips.count <= 5, trips.count
    assert get_queue("default", redis).job_ids == [job_id for job_id, _ in jobs]  # none twice


def test_many_enqueue_once_follows_enqueue_once_rules_job_by_job(ctx, redis):
    """Each state an existing job can be in gets what enqueue_once gives it."""
    from datetime import timedelta

    from autoorder.queues import enqueue_many_once, enqueue_once, get_queue

    add = "tests.sample_jobs.add_note"
    for name in ("pending", "lost", "finished", "expired", "failed", "live", "dead"):
        enqueue_once("default", add, 0, job_id=name)
    enqueue_once("default", add, 0, job_id="later", at=clock.now() + timedelta(hours=1))
    queue = get_queue("default", redis)
    redis.lrem(queue.key, 0, "lost")  # taken off by a worker killed before it started it
    for name, status in (("finished", "finished"), ("expired", "finished"), ("failed", "failed")):
        redis.lrem(queue.key, 0, name)
        _job(redis, name).set_status(status)
    redis.zadd("rq:executions:expired", {"gone-execution": 9999999999})  # its record expired
    for name, age in (("live", 5), ("dead", 60)):
        redis.lrem(queue.key, 0, name)
        job = _job(redis, name)
        job.set_status("started")
        job.started_at = datetime.now(UTC) - timedelta(seconds=age)
        job.save()

    names = ["pending", "lost", "finished", "expired", "failed", "later", "live", "dead", "new"]
    enqueued = enqueue_many_once("default", add, [(name, (1,)) for name in names], restart_after=30)
    ids = [job.id for job in enqueued]
    assert ids[:5] == ["lost", "finished", "expired", "failed", "later"]
    assert len(ids) == 7 and ids[5].startswith("dead-") and ids[6] == "new"
    for name in ("lost", "finished", "expired", "failed", "later", "new"):
        assert _job(redis, name).get_status() == "queued" and _job(redis, name).args == (1,)
    assert _job(redis, "pending").args == (0,)  # left be
    assert _job(redis, "live").get_status() == "started"  # alive: not doubled
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == []  # "later" is wanted now
    assert sorted(queue.job_ids) == sorted(["pending", *ids])


def test_the_due_orders_duty_enqueues_its_batch_in_a_few_round_trips(app, redis, monkeypatch):
    from autoorder.extensions import db
    from autoorder.jobs import tick
    from tests.factories import make_order, make_team

    with app.app_context():
        team = make_team()
        due = [
            make_order(team, order_after=clock.now() - timedelta(minutes=1)).id for _ in range(120)
        ]
        db.session.commit()
        trips = RoundTrips(monkeypatch)
        assert tick.enqueue_due_orders() == 120
        assert trips.count <= 6, trips.count  # the query aside: a few, not a few per sale
        queue = get_queue("orders", redis)
        assert sorted(queue.job_ids) == sorted(order_job_id(i) for i in due)
        assert _job(redis, order_job_id(due[0])).args == (due[0],)
        assert tick.enqueue_due_orders() == 0  # all queued already: none twice
        assert len(queue.job_ids) == 120
