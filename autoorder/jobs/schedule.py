"""Periodic jobs, kept in one list and registered with rq-scheduler without duplicates.

Each entry's id is a hash of its definition, so a redeploy adds only new or changed
entries and cancels those no longer listed (the redash pattern).
"""

import hashlib
import json
import logging
import signal
import time
from contextlib import suppress

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq_scheduler import Scheduler

from autoorder import clock

log = logging.getLogger(__name__)

PERIODIC_CHECK_SECONDS = 10  # how often the scheduler checks that Redis still holds its jobs
MAX_RECONNECT_DELAY = 30.0


def periodic_jobs(config=None) -> list[dict]:
    """The periodic duties (redash's list of periodic jobs): func (a job function), interval (s),
    timeout (s), queue. Intervals follow the settings: eBay polls are looked at at least twice
    per poll interval (so AUTOORDER_POLL_SECONDS is honoured down to a few seconds)."""
    from autoorder.jobs import handoff, notify, tick

    if config is None:
        from flask import current_app

        config = current_app.config
    poll = max(1, min(15, int(config.get("POLL_SECONDS", 60)) // 2))
    return [
        {"func": tick.enqueue_due_polls, "interval": poll, "timeout": 60, "queue": "default"},
        {"func": tick.enqueue_due_orders, "interval": 5, "timeout": 60, "queue": "default"},
        {"func": tick.recover_expired_leases, "interval": 15, "timeout": 60, "queue": "default"},
        {"func": tick.enqueue_due_tracking, "interval": 15, "timeout": 60, "queue": "default"},
        {"func": tick.resume_out_of_credits, "interval": 60, "timeout": 60, "queue": "default"},
        {"func": tick.resume_gift_card_low, "interval": 60, "timeout": 60, "queue": "default"},
        {"func": tick.enqueue_due_canaries, "interval": 300, "timeout": 60, "queue": "default"},
        {"func": tick.enqueue_pending_erasures, "interval": 60, "timeout": 60, "queue": "default"},
        {"func": tick.flag_ship_by_at_risk, "interval": 60, "timeout": 60, "queue": "default"},
        {"func": tick.compact_status_counts, "interval": 60, "timeout": 60, "queue": "default"},
        {"func": handoff.sweep_handoffs, "interval": 15, "timeout": 60, "queue": "default"},
        {
            "func": notify.enqueue_pending_notifications,
            "interval": 5,
            "timeout": 60,
            "queue": "default",
        },
        {"func": notify.send_daily_summaries, "interval": 3600, "timeout": 120, "queue": "default"},
    ]


def _name(func) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def job_id(definition: dict) -> str:
    """Return a stable id for a periodic job definition."""
    canonical = json.dumps(dict(definition, func=_name(definition["func"])), sort_keys=True)
    return "periodic-" + hashlib.sha1(canonical.encode()).hexdigest()[:16]


def schedule_periodic_jobs(scheduler: Scheduler, jobs: list[dict] | None = None) -> dict:
    """Make the scheduler hold exactly ``jobs``; return what was added, kept and removed."""
    jobs = periodic_jobs() if jobs is None else jobs
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
    """The ``scheduler`` process: rq-scheduler's periodic jobs, plus RQ's own promotion of jobs
    enqueued with ``enqueue_at`` (orders due at their buffer end), in one loop.

    RQ normally promotes scheduled jobs inside one of the workers (``flask worker --scheduler``),
    which forks a copy of the worker for it (≈ 45 MB in the worker's dyno). Done here, the workers
    run with ``--no-scheduler``. RQ's per-queue scheduler locks still let one promoter at a time
    work, so a worker started with its scheduler (the default, handy without a scheduler process)
    can run beside this one.
    """

    def __init__(self, *args, queue_names=None, periodic=None, **kwargs):
        from rq.scheduler import RQScheduler

        from autoorder.queues import QUEUE_NAMES

        super().__init__(*args, **kwargs)
        self.periodic = periodic  # the definitions to keep registered (re-added after a Redis loss)
        self._periodic_checked_at = 0.0
        self._stopping = False
        self.promoter = RQScheduler(
            list(queue_names or QUEUE_NAMES),
            connection=self.connection,
            interval=max(1, int(self._interval)),
        )

    def enqueue_jobs(self):
        self.ensure_periodic_jobs()
        jobs = super().enqueue_jobs()
        self.promote_due_jobs()
        return jobs

    def ensure_periodic_jobs(self, every: float = PERIODIC_CHECK_SECONDS) -> list[str]:
        """Re-register periodic jobs that Redis lost (a restart without persistence, a flush)."""
        if self.periodic is None or time.monotonic() - self._periodic_checked_at < every:
            return []
        self._periodic_checked_at = time.monotonic()
        missing = [
            job_id(d)
            for d in self.periodic
            if self.connection.zscore(self.scheduled_jobs_key, job_id(d)) is None
        ]
        if missing:
            log.warning("periodic jobs missing in Redis (%d); registering them again", len(missing))
            schedule_periodic_jobs(self, self.periodic)
        return missing

    def promote_due_jobs(self) -> None:
        """Move jobs whose ``enqueue_at`` time has come onto their queues (for the queues we hold
        the lock of)."""
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
            with suppress(RedisError):
                self.promoter.release_locks()

    def run_forever(self) -> None:
        """``run`` until stopped by a signal, outliving Redis outages: on a lost connection wait
        (1 s, doubling up to 30 s), then start again — periodic jobs are re-registered if Redis
        came back empty, and jobs lost with it are re-enqueued by the duties from the database."""
        delay = 1.0
        while not self._stopping:
            started = time.monotonic()
            try:
                if self.periodic is not None:
                    schedule_periodic_jobs(self, self.periodic)
                    self._periodic_checked_at = time.monotonic()
                self.run()
                return
            except (RedisConnectionError, RedisTimeoutError) as exc:
                if self._stopping:
                    return
                if time.monotonic() - started > 60:
                    delay = 1.0
                log.error("scheduler: Redis unavailable (%s); retrying in %.0f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
                with suppress(RedisError):
                    self.connection.delete(self.key)  # our own registration, so run() may start

    def _install_signal_handlers(self):
        def stop(signum, frame):
            log.info("scheduler: shutting down")
            self._stopping = True
            self.register_death()
            self.remove_lock()
            raise SystemExit()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

    def register_death(self):
        with suppress(RedisError):  # shutting down while Redis is away must still exit
            super().register_death()

    def remove_lock(self):
        with suppress(RedisError):
            super().remove_lock()
