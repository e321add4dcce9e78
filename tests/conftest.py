"""Shared fixtures: the app on a migrated database, a client, a real redis-server."""

import os

import pytest

from autoorder import create_app
from autoorder.config import TestConfig, database_url
from autoorder.extensions import db
from tests import support


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    """TEST_DATABASE_URL (PostgreSQL in CI) or a throwaway SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def _session_app(db_url, tmp_path_factory):
    app = create_app(
        TestConfig(
            SQLALCHEMY_DATABASE_URI=db_url,
            EVIDENCE_DIR=str(tmp_path_factory.mktemp("evidence")),
        )
    )
    with app.app_context():
        support.reset_schema()
    return app


@pytest.fixture
def app(_session_app):
    """The app on a migrated, empty database; the tables are emptied after each test."""
    yield _session_app
    with _session_app.app_context():
        db.session.remove()
        support.empty_tables()


@pytest.fixture
def ctx(app):
    """An app context for tests that work on the domain without HTTP requests."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """TEST_REDIS_URL if set (CI), else a real redis-server on a free port for this session."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    server = support.RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis(redis_url, app):
    """A flushed Redis that the app's queues use."""
    from autoorder.queues import redis_connection

    app.config["REDIS_URL"] = redis_url
    connection = redis_connection(redis_url)
    connection.flushall()
    yield connection
    connection.flushall()


@pytest.fixture
def smtp():
    """A real local SMTP server (tests/notify_peers.py) that keeps what it receives."""
    from tests.notify_peers import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook():
    """A real local webhook receiver (tests/notify_peers.py) that keeps what it receives."""
    from tests.notify_peers import WebhookReceiver

    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def peers(smtp, webhook):
    """The notification peers, both: ``smtp, webhook = peers``."""
    return smtp, webhook


@pytest.fixture
def is_postgres(db_url):
    return db_url.startswith("postgresql")


@pytest.fixture(autouse=True)
def _real_clock():
    """Every test starts and ends on the real clock: a test that froze or advanced
    ``autoorder.clock`` and failed before its own reset must not stop time for the tests after it
    (a leaked freeze once stalled a loop test's due orders for its whole timeout)."""
    from autoorder import clock

    clock.reset()
    yield
    clock.reset()


@pytest.fixture(autouse=True, scope="module")
def _close_the_shared_browser():
    """Jobs run in-process start the worker's shared Chromium (scrapers.browser.POOL) in this
    thread.
    Close it after each module: sync Playwright allows one running instance per thread."""
    yield
    from autoorder.scrapers.browser import POOL

    POOL.close()


def pytest_collection_modifyitems(config, items):
    """Skip `postgres` tests when no PostgreSQL is configured."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres://", "postgresql")):
        return
    skip = pytest.mark.skip(reason="needs TEST_DATABASE_URL pointing at PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
