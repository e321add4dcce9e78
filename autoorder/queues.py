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
    """Enqueue ``func(*args)`` under ``job_id`` unless that job is already pending; return it or None.

    RQ runs a job id enqueued twice twice, so this checks first. The check is a convenience
    only: every job is itself safe to run twice (the database decides). A job killed with its
    worker stays "started" in RQ for many minutes; with ``restart_after`` set, a job started
    longer ago than that is presumed dead and a fresh copy is enqueued under a new id. A job
    scheduled for later is replaced when the work is wanted now (``at`` is None).
    """
    from datetime import UTC, datetime

    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    connection = connection or redis_connection()
    try:
        existing = Job.fetch(job_id, connection=connection)
        status = existing.get_status(refresh=True)
        since = existing.started_at or existing.enqueued_at  # a started job may lack started_at
        since = since.replace(tzinfo=UTC) if since else None
        if status == "queued" and _lost_from_its_queue(existing, connection):
            # A worker killed between taking the job off its queue and marking it started:
            # RQ still says "queued" but no worker will ever see it.
            delete_job(existing, connection)
        elif (
            status == "started"
            and restart_after is not None
            and (since is None or (datetime.now(UTC) - since).total_seconds() > restart_after)
        ):
            job_id = f"{job_id}-{uuid.uuid4().hex[:8]}"
        elif status == "scheduled" and at is None:
            delete_job(
                existing, connection
            )  # wanted now, not at the time it was scheduled for (e.g. "order now")
        elif status in PENDING:
            return None
        else:
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
