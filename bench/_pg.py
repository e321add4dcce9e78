"""A benchmark's own PostgreSQL schema beside the test tables (sales_page, listings_import)."""

import contextlib

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
