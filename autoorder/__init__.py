"""autoorder: buys each eBay sale from its supplier, then uploads the tracking to eBay."""

import logging
from pathlib import Path

from flask import Flask

from autoorder.config import Config, ConfigError
from autoorder.extensions import csrf, db, htmx, login_manager, migrate

__all__ = ["create_app", "db", "ConfigError"]


def create_app(config: Config | None = None) -> Flask:
    """Build the app; raise ConfigError naming every missing secret."""
    config = config if config is not None else Config()
    missing = config.missing()
    if missing:
        raise ConfigError(
            "autoorder cannot start: missing required environment variable(s): "
            + ", ".join(missing)
            + ". See .env.example (`./run.sh demo` writes local development keys)."
        )
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_mapping(config.as_dict())
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.logger.setLevel(logging.INFO)
    _make_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])

    from autoorder import auth, cli, crypto, order_index, routes
    from autoorder.inputs import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added

    crypto.init_app(app)
    db.init_app(app)
    _sqlite_for_several_processes(app)
    _postgresql_plans_per_execution(app)
    migrate.init_app(
        app,
        db,
        directory=str(app.root_path + "/../migrations"),
        include_object=order_index.include_object,  # its database-only indexes and tables
    )
    csrf.init_app(app)
    htmx.init_app(app)
    auth.init_app(app, login_manager)
    routes.register_blueprints(app)
    cli.register(app)
    return app


def _make_sqlite_folder(url: str) -> None:
    """The embedded default keeps its SQLite file under instance/; make sure the folder exists."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)


SQLITE_BUSY_TIMEOUT_MS = 30_000


def _postgresql_plans_per_execution(app: Flask) -> None:
    """No server-side prepared statements on PostgreSQL (psycopg's ``prepare_threshold = None``).

    psycopg prepares a statement after its fifth execution on a connection, and PostgreSQL then
    soon plans it once for any parameters (a "generic plan"). One team can own 90 % of the orders,
    and a plan good for any team is bad for that one: the substring search's generic plan ANDed a
    bitmap of the team's 900,000 orders with the trigram index's few hundred (217 ms instead of
    10), and the poll's new-sale scan walked two days of sales. Each statement is planned with its
    own values instead (a parse and plan per execution, well under a millisecond here); it also
    keeps a transaction-pooling PgBouncer in front of PostgreSQL working.
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _no_prepared_statements(dbapi_connection, _record):
        dbapi_connection.prepare_threshold = None


def _sqlite_for_several_processes(app: Flask) -> None:
    """The embedded SQLite is shared by the web, worker and scheduler processes: write-ahead
    logging lets readers go on while one process writes, and a busy timeout makes a writer wait
    for the lock instead of failing with "database is locked".

    A SAVEPOINT (``session.begin_nested()``) outside a transaction starts one on SQLite as a
    deferred BEGIN would: its first read takes a snapshot, and when its first write then has to
    wait for another writer, the snapshot is stale and SQLite fails at once ("database is
    locked"), busy timeout or not. So a savepoint opened outside a transaction is preceded by
    BEGIN IMMEDIATE (the write lock first, waiting up to the busy timeout). Other transactions
    begin with their first write already (Python's sqlite3 begins implicitly before DML).
    """
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    in_memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; fsync at checkpoints
        cursor.close()

    @event.listens_for(engine, "savepoint")
    def _write_lock_before_savepoint(connection, _name):
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
