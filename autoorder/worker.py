"""The RQ worker process: runs jobs inside the Flask app context.

Two kinds, chosen with ``flask worker --fork``:

- ``AppWorker`` (the default) runs each job in the worker process itself (``rq.SimpleWorker``), so
  the one Chromium in ``scrapers.browser.POOL`` is launched once and reused by every order the
  worker buys (a fresh context per order). A forked work-horse would launch its own Chromium for
  every job: about 1 s more per order and a second browser's worth of memory while the two overlap.
  Shutdown is warm: SIGTERM lets the job in hand finish (an order job normally takes seconds, well
  inside Heroku's 30 s grace), a second SIGTERM/SIGINT stops at once. A job killed half-way is
  recovered from the database (lease + purchase attempt), never from RQ.
- ``ForkingAppWorker`` is RQ's HerokuWorker: a work-horse per job, for isolation over speed.
"""

import logging
import signal
import time
from contextlib import suppress

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.worker import HerokuWorker, SimpleWorker

from autoorder.extensions import db

log = logging.getLogger(__name__)

MAX_RECONNECT_DELAY = 30.0


class _InAppContext:
    def __init__(self, *args, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def work(self, *args, **kwargs):
        with self.app.app_context():
            # Pooled DB connections must not be shared with forked processes (work-horses, RQ's
            # scheduler); none is open yet when a worker starts, and none is kept across the fork.
            db.engine.dispose()
            return super().work(*args, **kwargs)

    def perform_job(self, job, queue):
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


class AppWorker(_InAppContext, SimpleWorker):
    """Jobs run in this process; the browser pool lives as long as the worker."""

    def work(self, *args, **kwargs):
        from autoorder.scrapers.browser import POOL

        try:
            return super().work(*args, **kwargs)
        finally:
            POOL.close()


class ForkingAppWorker(_InAppContext, HerokuWorker):
    """Each job in a forked work-horse (and so a Chromium per order job)."""


def work_forever(make_worker, *, with_scheduler: bool, burst: bool = False) -> None:
    """Run a worker, outliving Redis outages: when Redis goes away (RQ itself only retries the
    dequeue), wait (1 s, doubling up to 30 s) and start a fresh worker on the same queues. A stop
    asked for by a signal is honoured even while Redis is away."""
    delay = 1.0
    while True:
        worker, started = None, time.monotonic()
        try:
            worker = make_worker()  # registers with Redis: may fail too
            worker.work(with_scheduler=with_scheduler, burst=burst)
            return
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if getattr(worker, "_stop_requested", False) or burst:
                return
            if time.monotonic() - started > 60:
                delay = 1.0
            log.error("worker: Redis unavailable (%s); retrying in %.0f s", exc, delay)
            for sig in (signal.SIGTERM, signal.SIGINT):  # a stop while waiting stops at once
                signal.signal(sig, signal.SIG_DFL)
            time.sleep(delay)
            delay = min(delay * 2, MAX_RECONNECT_DELAY)
            if worker is not None:
                with suppress(RedisError):
                    worker.connection.delete(worker.key)  # a fixed --name may register again
