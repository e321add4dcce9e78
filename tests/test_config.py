import pytest
from cryptography.fernet import Fernet

from autoorder import ConfigError, create_app
from autoorder.config import Config, database_url
from autoorder.crypto import CryptoConfigError


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("SECRET_KEY", "FERNET_KEYS", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_refuses_to_boot_without_any_secret_and_names_each(clean_env):
    with pytest.raises(ConfigError) as info:
        create_app(Config())
    message = str(info.value)
    assert "SECRET_KEY" in message and "FERNET_KEYS" in message


@pytest.mark.parametrize(
    "present,missing", [("SECRET_KEY", "FERNET_KEYS"), ("FERNET_KEYS", "SECRET_KEY")]
)
def test_refuses_to_boot_with_one_secret_missing(clean_env, present, missing):
    clean_env.setenv(present, Fernet.generate_key().decode())
    with pytest.raises(ConfigError) as info:
        create_app(Config())
    assert missing in str(info.value)
    assert present not in str(info.value).split("variable(s):")[1]


def test_rejects_a_fernet_key_that_is_not_one(clean_env):
    clean_env.setenv("SECRET_KEY", "s")
    clean_env.setenv("FERNET_KEYS", "not-a-key")
    with pytest.raises(CryptoConfigError, match="url-safe base64"):
        create_app(Config())


def test_boots_with_both_secrets_and_defaults(clean_env):
    clean_env.setenv("SECRET_KEY", "s")
    clean_env.setenv(
        "FERNET_KEYS", f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    )
    app = create_app(Config())
    assert len(app.config["FERNET_KEYS"]) == 2
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/autoorder.sqlite3")
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6391/0"
    assert app.config["ORDER_BUFFER_SECONDS"] == 600
    assert app.config["TRACKING_FIRST_CHECK_SECONDS"] == 86400
    assert app.config["TRACKING_RETRY_SECONDS"] == 14400
    assert app.config["TRACKING_GIVE_UP_SECONDS"] == 604800
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_settings_come_from_the_environment(clean_env):
    clean_env.setenv("SECRET_KEY", "s")
    clean_env.setenv("FERNET_KEYS", Fernet.generate_key().decode())
    clean_env.setenv("REDIS_URL", "redis://example:1234/2")
    clean_env.setenv("AUTOORDER_ORDER_BUFFER_SECONDS", "30")
    clean_env.setenv("EBAY_API_BASE_URL", "http://127.0.0.1:9999")
    app = create_app(Config())
    assert app.config["REDIS_URL"] == "redis://example:1234/2"
    assert app.config["ORDER_BUFFER_SECONDS"] == 30
    assert app.config["EBAY_API_BASE_URL"] == "http://127.0.0.1:9999"


def test_bad_integer_setting_is_a_clear_error(clean_env):
    clean_env.setenv("AUTOORDER_ORDER_BUFFER_SECONDS", "ten")
    with pytest.raises(ConfigError, match="AUTOORDER_ORDER_BUFFER_SECONDS"):
        Config()


@pytest.mark.parametrize(
    "given,mode",
    [(None, "actions"), ("true", "actions"), ("snapshots", "snapshots"), ("Off", ""), ("0", "")],
)
def test_supplier_trace_mode(clean_env, given, mode):
    if given is None:
        clean_env.delenv("AUTOORDER_SUPPLIER_TRACE", raising=False)
    else:
        clean_env.setenv("AUTOORDER_SUPPLIER_TRACE", given)
    assert Config().SUPPLIER_TRACE == mode


def test_an_unknown_supplier_trace_mode_is_a_clear_error(clean_env):
    clean_env.setenv("AUTOORDER_SUPPLIER_TRACE", "dom")
    with pytest.raises(ConfigError, match="AUTOORDER_SUPPLIER_TRACE must be actions, snapshots"):
        Config()


@pytest.mark.parametrize(
    "given,expected",
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_rewrites_heroku_scheme(given, expected):
    assert database_url(given) == expected


def test_the_embedded_sqlite_is_shared_by_several_processes_without_locking_errors(tmp_path):
    """WAL (readers go on while one process writes) and a busy timeout (a writer waits for the
    lock instead of failing with "database is locked") on every connection."""
    from sqlalchemy import text

    from autoorder import SQLITE_BUSY_TIMEOUT_MS
    from autoorder.config import TestConfig
    from autoorder.extensions import db

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'a.sqlite3'}"))
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_a_savepoint_write_waits_for_another_writer_instead_of_failing(tmp_path):
    """The demo's "database is locked": a poll ingests each order in a savepoint (read, then
    write) while another process writes. SQLite's deferred start would fail it at once."""
    import threading
    import time

    from sqlalchemy import text

    from autoorder.config import TestConfig
    from autoorder.extensions import db

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.sqlite3'}"))
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
        engine = db.engine
        holding = threading.Event()

        def other_process_writes():
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (1)"))
                holding.set()
                time.sleep(1.0)  # holds the write lock, then commits

        writer = threading.Thread(target=other_process_writes)
        writer.start()
        holding.wait(5)
        with db.session.begin_nested():  # as jobs.sales ingests one order
            db.session.execute(text("SELECT count(*) FROM t")).scalar()
            db.session.execute(text("INSERT INTO t VALUES (2)"))
        db.session.commit()
        writer.join()
        assert db.session.execute(text("SELECT count(*) FROM t")).scalar() == 2
