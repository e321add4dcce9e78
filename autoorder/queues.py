"""The one Redis connection and the named RQ queues.

Redis holds only rebuildable state (queued jobs); the database says what work is due.
"""

from flask import current_app
from redis import Redis
from rq import Queue

QUEUE_NAMES = ("orders", "tracking", "default")  # by workload; orders run a browser


def redis_connection(url: str | None = None) -> Redis:
    """Return a Redis client for REDIS_URL (rediss:// gets TLS without hostname pinning)."""
    url = url or current_app.config["REDIS_URL"]
    options = {}
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
