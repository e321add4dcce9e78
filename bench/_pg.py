"""A benchmark's own PostgreSQL schema beside the test tables (sales_page, listings_import)."""

import contextlib
import os
import tempfile

from sqlalchemy import create_engine, text

from autoorder.config import database_url


@contextlib.contextmanager
def own_schema(pg_url: str, name: str):
    """Yield a URL whose search_path is a fresh schema ``name``; drop the schema afterwards.

    pg_trgm is created in ``public`` first: an extension created from inside the benchmark's
    schema would live there, vanish with it (CASCADE takes other benchmarks' indexes along) and be
    invisible to a benchmark running beside it in another schema.
    """
    url = database_url(pg_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        try:
            yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        admin.dispose()


def on_each_database(run, name: str) -> list[str]:
    """``run(label, url)`` on a throwaway SQLite file, then, when TEST_DATABASE_URL is set, on
    PostgreSQL in the benchmark's own schema ``name`` (never the test tables); their table rows,
    printed under the header every such benchmark prints."""
    results = []
    with tempfile.TemporaryDirectory(prefix=f"{name.replace('_', '-')}-") as tmp:
        results += run("SQLite", f"sqlite:///{tmp}/bench.sqlite3")
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        with own_schema(pg, name) as url:
            results += run("PostgreSQL", url)
    print("\n| DB | what | median | baseline | ratio | target |\n|---|---|---|---|---|---|")
    print("\n".join(results))
    return results
