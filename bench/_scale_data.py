"""A million-order database for the scale benchmarks (#19), made once and cached.

``prepare("sqlite")`` / ``prepare("postgresql", admin_url)`` return the URL of a database built
by the real migrations and filled with BENCH_ORDERS orders (default 1,000,000): one team with 90 %
of them (bench@example.com, three bots) and ten other teams with 1 % each, one order event per
sale (two for failed/held ones) and one credit entry per bought sale. Rows go in by bulk insert —
COPY on PostgreSQL, executemany in one transaction on SQLite — with search_text computed here,
then ``order_index.rebuild`` fills the FTS5 table (SQLite) and the status counts.

Cached: SQLite in ``bench/.cache/scale-<orders>-<head>.sqlite3``; PostgreSQL in the database
``autoorder_bench_scale_<orders>`` (made with the admin URL's role), re-used while its order count
matches and its revision is the migration head — or an earlier revision of the same chain: then
the newer migrations bring it forward (a SQLite cache is copied first; the PostgreSQL database is
migrated in place). BENCH_FRESH=1 rebuilds.
"""

import json
import os
import random
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from autoorder import create_app, credits, order_index  # noqa: E402
from autoorder.config import TestConfig  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.models import User  # noqa: E402
from tests import support  # noqa: E402
from tests.factories import make_bot, make_supplier, make_team, make_user  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", 1_000_000))
CACHE = ROOT / "bench" / ".cache"
EMAIL, PASSWORD = "bench@example.com", "correct horse battery"
OTHER_TEAMS = 10
NOW = datetime.now(UTC).replace(microsecond=0)
FIRST = [
    f"{a}{b}"
    for a in ("Al", "Be", "Ca", "Da", "El", "Fe", "Ga", "Ha", "Jo", "Ka")
    for b in ("n", "ra", "lia", "mon", "ther", "rik", "vin", "sha", "dre", "lo")
]  # 100 first names
SYLL = [
    "bar",
    "cor",
    "dun",
    "fel",
    "gar",
    "hol",
    "kin",
    "lor",
    "mar",
    "nor",
    "pel",
    "quin",
    "ros",
    "sal",
    "tor",
    "vel",
    "wil",
    "yar",
    "zen",
    "bro",
]
LAST = [f"{a.capitalize()}{b}{c}" for a in SYLL for b in SYLL for c in ("ton", "by", "sen")]
PRODUCTS = [
    f"{a} {b}"
    for a in (
        "Walnut",
        "Copper",
        "Silicone",
        "Leather",
        "Bamboo",
        "Steel",
        "Ceramic",
        "Wool",
        "Glass",
        "Cotton",
    )
    for b in (
        "Phone Case",
        "Desk Lamp",
        "Garden Hose",
        "Coffee Mug",
        "Bookshelf",
        "Kettle",
        "Backpack",
        "Cable",
        "Mouse Pad",
        "Blanket",
    )
]
STREETS = ["Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Lake", "Hill", "Park", "Sunset"]
CITIES = [
    f"{a}{b}"
    for a in ("Spring", "River", "Fair", "Green", "Oak", "Clear")
    for b in ("field", "ton", "view", "dale", "wood")
]
# Sales older than the newest 400 are settled (a waiting one would be due: the tick's subject).
STATUSES = ["succeeded"] * 83 + ["cancelled"] * 8 + ["failed"] * 5 + ["needs_attention"] * 4
MIGRATIONS = str(ROOT / "migrations")


def head() -> str:
    return ScriptDirectory(MIGRATIONS).get_current_head()


def main_team_size() -> int:
    return ORDERS - OTHER_TEAMS * (ORDERS // 100)


def rows(team_ids: list[int], bot_ids: list[int]):
    """(order, events, credit) tuples, oldest first; the main team's newest 40 are waiting
    inside their buffer (nothing due), older unfinished ones were flagged at risk long ago."""
    rng = random.Random(19)
    main, others = team_ids[0], team_ids[1:]
    start = NOW - timedelta(days=730)
    step = timedelta(days=730) / ORDERS
    per_team = {t: 0 for t in team_ids}
    for n in range(ORDERS):
        team = others[n % OTHER_TEAMS] if n % 10 == 9 and len(others) else main
        per_team[team] += 1
        sold = start + step * n
        newest = n >= ORDERS - 400
        status = "waiting" if newest else STATUSES[rng.randrange(len(STATUSES))]
        bought = status == "succeeded"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        ship = {
            "name": f"{first} {last}",
            "phone": "",
            "email": "",
            "line1": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} St",
            "line2": "",
            "city": rng.choice(CITIES),
            "state": "CA",
            "postal_code": f"{rng.randrange(10000, 99999)}",
            "country": "US",
        }
        username = f"{first.lower()}{last.lower()}{n % 89}"
        title = rng.choice(PRODUCTS)
        order_id = n + 1
        order = {
            "id": order_id,
            "team_id": team,
            "ebay_order_id": f"{10 + n % 89}-{n:07d}-{(n * 7919) % 10**7:07d}",
            "ebay_line_item_id": str(10_000_000_000 + n),
            "title": title,
            "variant_label": "Black",
            "bot_id": bot_ids[n % 3] if team == main else None,
            "buyer_username": username,
            "buyer_name": ship["name"],
            "ship_to": json.dumps(ship),
            "quantity": 1,
            "sale_price": "19.99",
            "sale_currency": "USD",
            "ebay_fees": "2.60",
            "status": status,
            "tracking_status": "uploaded" if bought else "not_due",
            "status_changed_at": sold,
            "tracking_status_changed_at": sold,
            "failure_code": {"failed": "out_of_stock", "needs_attention": "no_mapping"}.get(status),
            "failure_message": "Out of stock at the supplier." if status == "failed" else None,
            "sold_at": NOW - timedelta(minutes=ORDERS - n) if newest else sold,
            "order_after": NOW + timedelta(days=1) if newest else sold + timedelta(minutes=10),
            "ship_by_at": NOW + timedelta(days=4) if newest else sold + timedelta(days=3),
            "ship_by_flagged_at": None
            if newest or bought or status == "cancelled"
            else sold + timedelta(days=2),
            "ordered_at": sold + timedelta(minutes=11) if bought else None,
            "tracking_failures": 0,
            "supplier_order_number": f"S-{n:07d}" if bought else None,
            "supplier_cost": "11.25" if bought else None,
            "tracking_number": f"1Z{n:016d}" if bought else None,
            "tracking_carrier": "UPS" if bought else None,
            "created_at": sold,
            "updated_at": sold + timedelta(minutes=12),
            "search_text": order_index.search_text(username, ship["name"], title, ship),
        }
        events = [("note", None, None, "sale detected on eBay", "ebay", sold)]
        if status in ("failed", "needs_attention", "cancelled"):
            events.append(
                ("cart", "waiting", status, order["failure_message"] or status, "system", sold)
            )
        credit = (team, f"order:{order_id}", -1, "order", order_id, sold) if bought else None
        yield order, events, credit


def _setup(url: str) -> tuple[list[int], list[int]]:
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        support.reset_schema()
        user = make_user(email=EMAIL)
        bots = [
            make_bot(user.team, make_supplier(name=f"Supplier {n}"), name=f"bot {n}")
            for n in range(3)
        ]
        others = [make_team(name=f"Other {n}") for n in range(OTHER_TEAMS)]
        db.session.commit()
        ids = [user.team_id] + [t.id for t in others], [b.id for b in bots]
        db.session.remove()
        db.engine.dispose()
    return ids


ORDER_COLS = None


def _fill_postgresql(url: str, team_ids, bot_ids) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("DROP INDEX IF EXISTS ix_orders_search_trgm")  # built once, after the COPY
        cols = list(next(rows(team_ids, bot_ids))[0])
        event_rows, credit_rows = [], []
        with cur.copy(f"COPY orders ({', '.join(cols)}) FROM STDIN") as copy:
            for order, events, credit in rows(team_ids, bot_ids):
                copy.write_row([order[c] for c in cols])
                for kind, from_s, to_s, reason, actor, at in events:
                    event_rows.append((order["id"], kind, from_s, to_s, reason, actor, at))
                if credit:
                    credit_rows.append(credit)
        with cur.copy(
            "COPY order_events (order_id, kind, from_status, to_status, reason, actor, at) "
            "FROM STDIN"
        ) as copy:
            for row in event_rows:
                copy.write_row(row)
        with cur.copy(
            "COPY credit_entries (team_id, key, delta, reason, order_id, created_at, actor) "
            "FROM STDIN"
        ) as copy:
            for row in credit_rows:
                copy.write_row((*row, "system"))
        cur.execute("SELECT setval('orders_id_seq', (SELECT max(id) FROM orders))")
        cur.execute(
            "CREATE INDEX ix_orders_search_trgm ON orders USING gin (search_text gin_trgm_ops) "
            "WITH (fastupdate = off)"  # as migration c5e7a9b1d3f5 leaves it
        )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _fill_sqlite(path: str, team_ids, bot_ids) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA journal_mode=MEMORY")

    def stamp(value):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if value else None

    cols = None
    batch, event_rows, credit_rows = [], [], []
    with conn:
        for order, events, credit in rows(team_ids, bot_ids):
            if cols is None:
                cols = list(order)
                insert_sql = (
                    f"INSERT INTO orders ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                )
            batch.append(
                [stamp(v) if isinstance(v, datetime) else v for v in (order[c] for c in cols)]
            )
            for kind, from_s, to_s, reason, actor, at in events:
                event_rows.append((order["id"], kind, from_s, to_s, reason, actor, stamp(at)))
            if credit:
                credit_rows.append((*credit[:5], stamp(credit[5])))
            if len(batch) >= 50_000:
                conn.executemany(insert_sql, batch)
                batch = []
        conn.executemany(insert_sql, batch)
        conn.executemany(
            "INSERT INTO order_events (order_id, kind, from_status, to_status, reason, actor, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        conn.executemany(
            "INSERT INTO credit_entries (team_id, key, delta, reason, order_id, created_at, actor)"
            " VALUES (?, ?, ?, ?, ?, ?, 'system')",
            credit_rows,
        )
    conn.execute("ANALYZE")
    conn.close()


def _finish(url: str) -> None:
    """The FTS5 table (SQLite) and the status counts, as `flask orders reindex` makes them, and
    the credit balances (the ledger went in by COPY), as `flask credits recompute` does."""
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        order_index.rebuild(texts=False)
        credits.recompute_balances()
        db.session.remove()
        db.engine.dispose()


def _state(url: str) -> str | None:
    """ "current": built and at the migration head; "older": built at an earlier revision of this
    chain (the migrations bring it forward, as they would a real install); None: build it."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            count = conn.execute(text("SELECT count(*) FROM orders")).scalar()
    except Exception:  # noqa: BLE001 - no database, no tables: build it
        return None
    finally:
        engine.dispose()
    if count != ORDERS:
        return None
    if version == head():
        return "current"
    chain = {rev.revision for rev in ScriptDirectory(MIGRATIONS).walk_revisions()}
    return "older" if version in chain else None


def _valid(url: str) -> bool:
    return _state(url) == "current"


def _upgrade(url: str) -> None:
    """Run the newer migrations on a cached database (their backfills included), then ANALYZE."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"  migrated to {head()} in {time.perf_counter() - started:.1f} s", flush=True)


def prepare(kind: str, admin_url: str | None = None) -> str:
    """The URL of a cached, filled database of this kind (building it if needed)."""
    fresh = os.environ.get("BENCH_FRESH") == "1"
    if kind == "sqlite":
        CACHE.mkdir(parents=True, exist_ok=True)
        path = CACHE / f"scale-{ORDERS}-{head()}.sqlite3"
        url = f"sqlite:///{path}"
        if not fresh and path.exists() and _valid(url):
            print(f"  cached: {path}", flush=True)
            return url
        if not fresh:  # an older cache (another revision): copy it forward, keep the original
            for old in CACHE.glob(f"scale-{ORDERS}-*.sqlite3"):
                if _state(f"sqlite:///{old}") == "older":
                    shutil.copyfile(old, path)
                    print(f"  cached at an older revision: {old.name}", flush=True)
                    _upgrade(url)
                    return url
        for old in CACHE.glob(f"scale-{ORDERS}-*.sqlite3"):
            old.unlink()
    else:
        name = f"autoorder_bench_scale_{ORDERS}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        state = None if fresh else _state(url)
        if state:
            admin.dispose()
            print(f"  cached: database {name} ({state})", flush=True)
            if state == "older":
                _upgrade(url)
            return url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    started = time.perf_counter()
    team_ids, bot_ids = _setup(url)
    if kind == "sqlite":
        _fill_sqlite(str(path), team_ids, bot_ids)
    else:
        _fill_postgresql(url, team_ids, bot_ids)
    _finish(url)
    print(f"  built {ORDERS:,} orders in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def login_user(url: str) -> None:
    """Cheap password hashing for the bench user (logins are not the subject)."""
    from werkzeug.security import generate_password_hash

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        user.password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    print(prepare("sqlite"))
    if os.environ.get("TEST_DATABASE_URL"):
        from autoorder.config import database_url

        print(prepare("postgresql", database_url(os.environ["TEST_DATABASE_URL"])))
