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
            scheduled_time=clock.now(), func=d["func"], interval=d["interval"],
            repeat=None, id=jid, timeout=d.get("timeout", 300), queue_name=d.get("queue", "default"),
            result_ttl=d.get("result_ttl", 600),
        )
        added.append(jid)
    kept = [jid for jid in wanted if jid in existing]
    log.info("periodic jobs: %d added, %d kept, %d removed", len(added), len(kept), len(removed))
    return {"added": added, "kept": kept, "removed": removed}
