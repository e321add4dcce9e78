"""Periodic jobs, kept in one list and registered with rq-scheduler without duplicates.

Each entry's id is a hash of its definition, so a redeploy adds only new or changed
entries and cancels those no longer listed (the redash pattern).
"""

import hashlib
import json
import logging

from rq_scheduler import Scheduler

from autoorder import clock

log = logging.getLogger(__name__)

# Dicts of func (dotted path), interval (s), timeout (s), queue. The tick enqueues all due work.
PERIODIC_JOBS: list[dict] = [
    {"func": "autoorder.jobs.tick.tick", "interval": 15, "timeout": 60, "queue": "default"},
]


def job_id(definition: dict) -> str:
    """Return a stable id for a periodic job definition."""
    canonical = json.dumps(definition, sort_keys=True, default=str)
    return "periodic-" + hashlib.sha1(canonical.encode()).hexdigest()[:16]


def schedule_periodic_jobs(scheduler: Scheduler, jobs: list[dict] | None = None) -> dict:
    """Make the scheduler hold exactly ``jobs``; return what was added, kept and removed."""
    jobs = PERIODIC_JOBS if jobs is None else jobs
    wanted = {job_id(d): d for d in jobs}
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith("periodic-")}
    removed = [jid for jid in existing if jid not in wanted]
    for jid in removed:
        scheduler.cancel(existing[jid])
    added = []
    for jid, d in wanted.items():
        if jid in existing:
            continue
        scheduler.schedule(
            scheduled_time=clock.now(),
            func=d["func"],
            interval=d["interval"],
            repeat=None,
            id=jid,
            timeout=d.get("timeout", 300),
            queue_name=d.get("queue", "default"),
            result_ttl=d.get("result_ttl", 600),
        )
        added.append(jid)
    kept = [jid for jid in wanted if jid in existing]
    log.info("periodic jobs: %d added, %d kept, %d removed", len(added), len(kept), len(removed))
    return {"added": added, "kept": kept, "removed": removed}


class AppScheduler(Scheduler):
    """The ``scheduler`` process: rq-scheduler's periodic jobs, plus RQ's own promotion of jobs enqueued
    with ``enqueue_at`` (orders due at their buffer end), in one loop.

    RQ normally promotes scheduled jobs inside one of the workers (``flask worker --scheduler``), which
    forks a copy of the worker for it (≈ 45 MB in the worker's dyno). Done here, the workers run with
    ``--no-scheduler``. RQ's per-queue scheduler locks still let one promoter at a time work, so a
    worker started with its scheduler (the default, handy without a scheduler process) can run beside
    this one.
    """

    def __init__(self, *args, queue_names=None, **kwargs):
        from rq.scheduler import RQScheduler

        from autoorder.queues import QUEUE_NAMES

        super().__init__(*args, **kwargs)
        self.promoter = RQScheduler(
            list(queue_names or QUEUE_NAMES),
            connection=self.connection,
            interval=max(1, int(self._interval)),
        )

    def enqueue_jobs(self):
        jobs = super().enqueue_jobs()
        self.promote_due_jobs()
        return jobs

    def promote_due_jobs(self) -> None:
        """Move jobs whose ``enqueue_at`` time has come onto their queues (for the queues we hold the lock of)."""
        promoter = self.promoter
        if promoter.should_reacquire_locks:
            promoter.acquire_locks()
        if promoter.acquired_locks:
            promoter.heartbeat()
            promoter.enqueue_scheduled_jobs()

    def run(self, burst=False):
        try:
            return super().run(burst=burst)
        finally:
            self.promoter.release_locks()
