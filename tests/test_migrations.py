"""Migrations: one head; upgrade/downgrade on SQLite and PostgreSQL; models match them."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from autoorder import create_app
from autoorder.config import TestConfig, database_url
from autoorder.extensions import db
from autoorder.order_index import include_object
from tests.support import MIGRATIONS


def test_single_head():
    script = ScriptDirectory(MIGRATIONS)
    assert len(script.get_heads()) == 1, script.get_heads()


def _up_down_up(url):
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        tables = set(inspect(db.engine).get_table_names())
        assert {"orders", "order_events", "order_bots", "credit_entries", "users"} <= tables
        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:  # closed here, not by the garbage collector
            context = MigrationContext.configure(
                connection, opts={"include_object": include_object}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.engine.dispose()


def test_upgrade_downgrade_sqlite(tmp_path):
    _up_down_up(f"sqlite:///{tmp_path / 'm.sqlite3'}")


@pytest.mark.postgres
def test_upgrade_downgrade_postgres():
    admin_url = database_url(os.environ["TEST_DATABASE_URL"])
    name = f"autoorder_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _up_down_up(admin_url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_search_index_when_pg_trgm_lives_in_another_schema():
    """pg_trgm already installed in a schema off the search path (as hosted PostgreSQL often puts
    extensions in ``extensions``, or a neighbour in the same database created it): the trigram index
    is still built, naming the operator class by the extension's schema."""
    admin_url = database_url(os.environ["TEST_DATABASE_URL"])
    name = f"autoorder_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        setup = create_engine(url, isolation_level="AUTOCOMMIT")
        with setup.connect() as c:
            c.execute(text("CREATE SCHEMA extensions"))
            c.execute(text("CREATE EXTENSION pg_trgm WITH SCHEMA extensions"))
        setup.dispose()
        app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            with db.engine.connect() as c:
                index = c.execute(
                    text(
                        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_orders_search_trgm'"
                    )
                ).scalar_one()
            db.engine.dispose()
        assert "extensions.gin_trgm_ops" in index
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
