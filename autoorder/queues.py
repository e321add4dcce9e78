"""The one Redis connection and the named RQ queues.

Redis holds only rebuildable state (queued jobs); the database says what work is due.
"""

import uuid

from flask import current_app
from redis import Redis
from rq import Queue

# by workload; orders run a browser; handoff holds a browser open while a person solves a challenge
QUEUE_NAMES = ("orders", "tracking", "default", "handoff")


def redis_connection(url: str | None = None) -> Redis:
    """Return a Redis client for REDIS_URL (rediss:// gets TLS without hostname pinning)."""
    url = url or current_app.config["REDIS_URL"]
    options = {"socket_connect_timeout": 5}  # an unreachable Redis must not hang a web request
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None  # Heroku Redis presents a self-signed certificate
    return Redis.from_url(url, **options)


def get_queue(name: str, connection: Redis | None = None) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}; expected one of {QUEUE_NAMES}")
    return Queue(name, connection=connection or redis_connection())


def all_queues(connection: Redis | None = None) -> list[Queue]:
    connection = connection or redis_connection()
    return [Queue(name, connection=connection) for name in QUEUE_NAMES]


PENDING = {"queued", "scheduled", "started", "deferred"}


def enqueue_once(
    queue_name: str,
    func: str,
    *args,
    job_id: str,
    at=None,
    timeout: int = 300,
    connection: Redis | None = None,
    restart_after: float | None = None,
    on_failure: str | None = None,
):
    """Enqueue ``func(*args)`` under ``job_id`` unless that job is already pending; return it or
    None.

    RQ runs a job id enqueued twice twice, so this checks first. The check is a convenience
    only: every job is itself safe to run twice (the database decides). A job killed with its
    worker stays "started" in RQ for many minutes; with ``restart_after`` set, a job started
    longer ago than that is presumed dead and a fresh copy is enqueued under a new id. A job
    scheduled for later is replaced when the work is wanted now (``at`` is None).
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    connection = connection or redis_connection()
    try:
        existing = Job.fetch(job_id, connection=connection)
        status = existing.get_status(refresh=True)
        job_id, stale = _decide(
            existing,
            status,
            job_id,
            at=at,
            restart_after=restart_after,
            lost=lambda: _lost_from_its_queue(existing, connection),
        )
        if job_id is None:
            return None
        if stale:
            delete_job(existing, connection)
    except NoSuchJobError:
        pass
    queue = get_queue(queue_name, connection)
    options = {
        "job_id": job_id,
        "job_timeout": timeout,
        "result_ttl": 3600,
        "failure_ttl": 7 * 86400,
    }
    if on_failure:
        from rq import Callback

        options["on_failure"] = Callback(on_failure)
    if at is not None:
        return queue.enqueue_at(at, func, *args, **options)
    return queue.enqueue(func, *args, **options)


def _decide(existing, status, job_id: str, *, at, restart_after, lost) -> tuple[str | None, bool]:
    """What to do about a job already under ``job_id``: (the id to enqueue under, or None to leave
    a pending job be; whether to delete the existing job first). ``lost()`` says whether a
    "queued" job is missing from its queue (asked only for queued jobs)."""
    from datetime import UTC, datetime

    since = existing.started_at or existing.enqueued_at  # a started job may lack started_at
    since = since.replace(tzinfo=UTC) if since else None
    if status == "queued" and lost():
        # A worker killed between taking the job off its queue and marking it started:
        # RQ still says "queued" but no worker will ever see it.
        return job_id, True
    if (
        status == "started"
        and restart_after is not None
        and (since is None or (datetime.now(UTC) - since).total_seconds() > restart_after)
    ):
        return f"{job_id}-{uuid.uuid4().hex[:8]}", False
    if status == "scheduled" and at is None:
        return job_id, True  # wanted now, not at the time it was scheduled for ("order now")
    if status in PENDING:
        return None, False
    return job_id, True  # finished, failed, stopped, cancelled: replaced


def enqueue_many_once(
    queue_name: str,
    func,
    jobs: list[tuple[str, tuple]],
    *,
    timeout: int = 300,
    connection: Redis | None = None,
    restart_after: float | None = None,
    on_failure: str | None = None,
) -> list:
    """``enqueue_once`` (now, not scheduled) for many ``(job_id, args)`` in a few Redis round
    trips instead of a few per job: one pipeline reads every existing job, one asks whether the
    "queued" ones are still in their queue, one enqueues every new job (``Queue.enqueue_many``).
    The same rules decide per job (``_decide``): the same ids, a pending job left be, a stale one
    deleted first (one by one: rare), a dead "started" one enqueued afresh under a new id.
    Returns the jobs enqueued."""
    from rq import Callback, Queue
    from rq.job import Job

    if not jobs:
        return []
    connection = connection or redis_connection()
    found = Job.fetch_many([job_id for job_id, _ in jobs], connection=connection)
    queued = [job for job in found if job is not None and job.get_status(refresh=False) == "queued"]
    lost = _lost_from_their_queues(queued, connection)
    wanted = []
    for (job_id, args), existing in zip(jobs, found, strict=True):
        if existing is not None:
            job_id, stale = _decide(
                existing,
                existing.get_status(refresh=False),
                job_id,
                at=None,
                restart_after=restart_after,
                lost=lambda job=existing: job.id in lost,
            )
            if job_id is None:
                continue
            if stale:
                delete_job(existing, connection)
        wanted.append(
            Queue.prepare_data(
                func,
                args=args,
                job_id=job_id,
                timeout=timeout,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                on_failure=Callback(on_failure) if on_failure else None,
            )
        )
    if not wanted:
        return []
    queue = get_queue(queue_name, connection)
    with connection.pipeline() as pipe:
        enqueued = queue.enqueue_many(wanted, pipeline=pipe)
        pipe.execute()
    return enqueued


def _lost_from_their_queues(jobs, connection: Redis) -> set[str]:
    """The ids of these "queued" jobs that are in no queue (``_lost_from_its_queue``, in one
    pipeline)."""
    from rq import Queue

    if not jobs:
        return set()
    with connection.pipeline(transaction=False) as pipe:
        for job in jobs:
            queue = Queue(job.origin, connection=connection)
            pipe.lpos(queue.key, job.id)
            pipe.lpos(queue.intermediate_queue_key, job.id)
        positions = pipe.execute()
    return {
        job.id
        for job, (main, taken) in zip(
            jobs, zip(positions[::2], positions[1::2], strict=True), strict=True
        )
        if main is None and taken is None
    }


def _lost_from_its_queue(job, connection: Redis) -> bool:
    """Whether a "queued" job is in no queue (nor in RQ's intermediate list of jobs being taken)."""
    queue = Queue(job.origin, connection=connection)
    for key in (queue.key, queue.intermediate_queue_key):
        if connection.lpos(key, job.id) is not None:
            return False
    return True


def delete_job(job, connection) -> None:
    """Delete an RQ job. RQ 2 also removes the job's execution records; one that already expired
    raises ValueError ("Execution … not found in Redis") half way: then drop the job's own hash,
    and the registries forget the id at their next cleanup."""
    try:
        job.delete()
    except ValueError:
        connection.delete(job.key)
