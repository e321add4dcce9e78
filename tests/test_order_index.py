"""Search and status counts that stay fast (#19, autoorder.order_index): every path that writes
an order keeps them in step; SQLite and PostgreSQL give the same answers for the same data."""

import os
import random
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, insert, select, text

from autoorder import create_app, order_index, orders
from autoorder.config import TestConfig, database_url
from autoorder.ebay import sync
from autoorder.extensions import db
from autoorder.jobs.privacy import erase_buyer
from autoorder.models import EbayAccount, Order, OrderStatusCount, Team
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T
from tests.factories import make_order, make_user
from tests.support import MIGRATIONS, login

ROW_RE = re.compile(r'<tr id="order-(\d+)"')
COUNT_RE = re.compile(r'data-count="(\w+)">(\d+)<')
DAY = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in ROW_RE.findall(html)]


@pytest.fixture
def seller(app, client):
    with app.app_context():
        user = make_user(email="seller@example.com")
        db.session.commit()
        team_id = user.team_id
    login(client, "seller@example.com")
    return team_id


def found(client, query: str) -> list[int]:
    response = client.get("/", query_string={"q": query})
    assert response.status_code == 200
    return row_ids(response.get_data(as_text=True))


def ebay_order(order_id: str, *, name: str, title: str, city: str, username: str) -> dict:
    return {
        "orderId": order_id,
        "creationDate": "2025-03-10T12:00:00.000Z",
        "buyer": {"username": username},
        "fulfillmentStartInstructions": [
            {
                "shippingStep": {
                    "shipTo": {
                        "fullName": name,
                        "contactAddress": {
                            "addressLine1": "1 Main St",
                            "city": city,
                            "postalCode": "12345",
                            "countryCode": "US",
                        },
                    }
                }
            }
        ],
        "lineItems": [
            {
                "lineItemId": f"{order_id}-1",
                "legacyItemId": "310000000001",
                "title": title,
                "quantity": 1,
                "lineItemCost": {"value": "19.99", "currency": "USD"},
            }
        ],
    }


def test_every_path_that_writes_the_searched_fields_keeps_search_in_step(app, client, seller):
    # 1. A sale detected on eBay (the sync's insert).
    with app.app_context():
        account = EbayAccount(team_id=seller, name="seller", status="connected")
        db.session.add(account)
        db.session.flush()
        (created,) = sync.ingest(
            account,
            ebay_order(
                "11-22222-33333",
                name="Zoë Quartermaine",
                title="Walnut Bookshelf",
                city="Springfield",
                username="zq_buyer",
            ),
        )
        db.session.commit()
        sale = created.id
    for query in ("quartermaine", "ZOË", "nut books", "springf", "zq_buyer", "11-22222-33333"):
        assert found(client, query) == [sale], query
    assert found(client, "Shelbyville") == []

    # 2. The buyer's data erased (an ORM update of those fields): the old text no longer matches.
    with app.app_context():
        erase_buyer(db.session.get(Order, sale))
        db.session.commit()
    assert found(client, "quartermaine") == [] and found(client, "springf") == []
    assert found(client, "zq_buyer") == []
    assert found(client, "walnut") == [sale]  # the title stays

    # 3. A title changed through the ORM (any attribute write goes through the same hooks).
    with app.app_context():
        db.session.get(Order, sale).title = "Oak Cabinet"
        db.session.commit()
    assert found(client, "walnut") == [] and found(client, "oak cab") == [sale]

    # 4. Rows written around the ORM (a bulk import, raw SQL): found after `flask orders reindex`.
    with app.app_context():
        db.session.execute(
            insert(Order).values(
                team_id=seller,
                ebay_order_id="77-00000-00001",
                ebay_line_item_id="1",
                title="Copper Kettle",
                buyer_name="Ingrid Bulk",
                sold_at=DAY,
                order_after=DAY,
                status="waiting",
                tracking_status="not_due",
            )
        )
        db.session.commit()
        bulk = db.session.scalar(select(Order.id).where(Order.ebay_order_id == "77-00000-00001"))
    assert found(client, "copper") == []  # nothing wrote its search text
    assert found(client, "77-00000-00001") == [bulk]  # the exact match needs no search text
    result = app.test_cli_runner().invoke(args=["orders", "reindex"])
    assert result.exit_code == 0, result.output
    assert found(client, "copper") == [bulk] and found(client, "ingrid") == [bulk]
    assert found(client, "oak cab") == [sale]


def test_short_queries_match_whole_values_only_and_say_so(app, client, seller):
    with app.app_context():
        team = db.session.get(Team, seller)
        ab = make_order(team, buyer_username="ab", title="Abacus", tracking_number="Z9")
        make_order(team, buyer_username="abe", title="Cable")
        db.session.commit()
        ab_id = ab.id
    html = client.get("/?q=ab").get_data(as_text=True)
    assert row_ids(html) == [ab_id] and 'id="search-hint"' in html
    assert found(client, "z9") == [ab_id]  # upper-cased, as tracking numbers are
    assert found(client, "b") == []
    assert 'id="search-hint"' not in client.get("/?q=abe").get_data(as_text=True)


def test_counts_follow_every_status_change_and_survive_folding(app, client, seller):
    with app.app_context():
        team = db.session.get(Team, seller)
        made = [make_order(team, sold_at=DAY - timedelta(minutes=n)) for n in range(12)]
        db.session.commit()
        ids = [o.id for o in made]
        # ORM transitions (orders.transition), a Core claim (orders.claim), a tracking change.
        orders.transition(db.session.get(Order, ids[0]), S.CANCELLED, reason="test")
        db.session.commit()
        assert orders.claim(ids[1], S.WAITING, S.IN_PROGRESS, owner="w", reason="buy")
        orders.fail(db.session.get(Order, ids[1]), S.FAILED, code="x", message="y")  # after Core
        db.session.commit()
        assert orders.claim(ids[2], S.WAITING, S.IN_PROGRESS, owner="w", reason="buy")
        assert not orders.claim(ids[2], S.WAITING, S.IN_PROGRESS, owner="w2", reason="buy")
        order = db.session.get(Order, ids[2])
        orders.transition(order, S.SUCCEEDED, reason="bought")
        orders.transition(order, T.SEARCHING, reason="looking")
        db.session.commit()
        # Two changes of one order before a flush count once each.
        order = db.session.get(Order, ids[3])
        orders.transition(order, S.NEEDS_ATTENTION, reason="a")
        orders.transition(order, S.WAITING, reason="b")
        db.session.commit()
        # The buyer erased: a waiting sale moves to needs attention.
        erase_buyer(db.session.get(Order, ids[4]))
        db.session.commit()
        assert order_index.check_counts() == []
        counts = order_index.team_counts(seller)
        assert counts == {
            "waiting": 8,
            "cancelled": 1,
            "failed": 1,
            "succeeded": 1,
            "needs_attention": 1,
        }
        assert order_index.team_counts(seller, T.SEARCHING) == {"succeeded": 1}
        rows = db.session.scalar(select(func.count()).select_from(OrderStatusCount))
        assert order_index.compact_counts(limit=1) == 1
        folded = db.session.scalar(select(func.count()).select_from(OrderStatusCount))
        assert folded < rows and order_index.team_counts(seller) == counts
        assert order_index.check_counts() == []
    html = client.get("/").get_data(as_text=True)
    assert len(row_ids(html)) == 12
    assert dict(COUNT_RE.findall(html)) == {
        "all": "12",
        "waiting": "8",
        "in_progress": "0",
        "succeeded": "1",
        "failed": "1",
        "needs_attention": "1",
        "needs_you": "0",
        "cancelled": "1",
    }


def test_reindex_repairs_counts_that_drifted(app, seller):
    with app.app_context():
        team = db.session.get(Team, seller)
        make_order(team)
        db.session.commit()
        db.session.execute(text("UPDATE orders SET status = 'failed'"))  # around the hooks
        db.session.commit()
        assert order_index.check_counts() != []
        result = app.test_cli_runner().invoke(args=["orders", "reindex", "--check"])
        assert result.exit_code == 1 and "differ" in result.output
        result = app.test_cli_runner().invoke(args=["orders", "reindex"])
        assert result.exit_code == 0, result.output
        assert order_index.check_counts() == []
        assert order_index.team_counts(seller) == {"failed": 1}


def test_a_whole_value_finds_those_sales_only_a_part_searches_inside(app, client, seller):
    """A query that is a whole eBay order number or buyer username (etc.) answers from the exact
    indexes alone; the trigram search runs only when nothing matches exactly."""
    with app.app_context():
        team = db.session.get(Team, seller)
        exact = make_order(team, buyer_username="corgarby7", buyer_name="Al Corgarby")
        inside = make_order(team, buyer_username="zed", buyer_name="Corgarby7x Inc")
        db.session.commit()
        exact_id, inside_id = exact.id, inside.id
        order_number = exact.ebay_order_id
    assert found(client, "corgarby7") == [exact_id]
    assert found(client, "CORGARBY7") == [exact_id]
    assert sorted(found(client, "corgarby")) == sorted([exact_id, inside_id])
    assert found(client, order_number) == [exact_id]


class Statements:
    def __init__(self, app):
        self.seen = []
        with app.app_context():
            self.engine = db.engine

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._log)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._log)

    def _log(self, conn, cursor, statement, params, context, executemany):
        self.seen.append(statement)

    def count(self, needle: str) -> int:
        return sum(needle in s for s in self.seen)


def test_the_page_searches_once_for_its_counts_and_rows(app, client, seller, monkeypatch):
    from autoorder.routes import sales_read_model

    with app.app_context():
        team = db.session.get(Team, seller)
        made = [
            make_order(
                team,
                buyer_name=f"Dana Holbrook {n}",
                status=status,
                sold_at=DAY - timedelta(minutes=n),
            )
            for n, status in enumerate(["waiting", "failed", "failed", "succeeded", "waiting"])
        ]
        make_order(team, buyer_name="Someone Else")
        db.session.commit()
        ids = [o.id for o in made]
    with Statements(app) as statements:
        html = client.get("/", query_string={"q": "holbrook"}).get_data(as_text=True)
    assert row_ids(html) == ids
    assert statements.count("LIKE") == 1, statements.seen  # one trigram search, not one per use
    assert statements.count("GROUP BY orders.status") == 0  # counts: from the search itself
    counts = dict(COUNT_RE.findall(html))
    assert (counts["waiting"], counts["failed"], counts["succeeded"]) == ("2", "2", "1")

    # More matches than a request keeps as ids: the search stays a subquery; the same answers.
    monkeypatch.setattr(sales_read_model, "SEARCH_KEEP", 3)
    broad = client.get("/", query_string={"q": "holbrook"}).get_data(as_text=True)
    assert row_ids(broad) == ids and dict(COUNT_RE.findall(broad)) == counts
    failed = client.get("/", query_string={"q": "holbrook", "cart": "failed"})
    assert row_ids(failed.get_data(as_text=True)) == ids[1:3]


# ---------------------------------------------------------------- the same answers on both DBs

NAMES = ["Jane Buyer", "JANE DOE", "Zoë Ölund", "O'Brien", 'Al "Bo" Cat', "Ana_Lee", "100% Joe"]
TITLES = ["Phone case", "Garden hose 10%", "Straße map", "Desk lamp", "USB_C cable", "Mug"]
QUERIES = [
    "jane",
    "JANE",
    "ne b",
    "o'br",
    '"bo"',
    "ana_",
    "100%",
    "10%",
    "straße",
    "ZOË",
    "ölund",
    "phone",
    "hose 1",
    "lamp",
    "mug",
    "a",
    "ab",
    "jo",
    "x",
    "%",
    "_",
    "case",
    "12-00003-00003",
    "SHOP-0004",
    "shop-0004",
    "trk0005",
    "user7",
    "nothing here",
]


def _seed_and_search(url: str) -> dict:
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        user = make_user(email="same@example.com")
        rng = random.Random(19)
        for n in range(120):
            status = rng.choice(list(S)).value
            make_order(
                user.team,
                ebay_order_id=f"12-{n:05d}-{n:05d}",
                buyer_name=rng.choice(NAMES),
                buyer_username=f"user{n % 9}",
                title=rng.choice(TITLES),
                ship_to={"name": rng.choice(NAMES), "city": rng.choice(["Köln", "Paris"])},
                supplier_order_number=f"SHOP-{n:04d}",
                tracking_number=f"TRK{n:04d}",
                status=status,
                sold_at=DAY - timedelta(minutes=n),
            )
        db.session.commit()
        client = app.test_client()
        login(client, "same@example.com")
        answers = {}
        for query in QUERIES:
            html = client.get("/", query_string={"q": query}).get_data(as_text=True)
            answers[query] = (row_ids(html), sorted(COUNT_RE.findall(html)))
            html = client.get("/", query_string={"q": query, "cart": "failed"}).get_data(
                as_text=True
            )
            answers[query, "failed"] = row_ids(html)
        db.session.remove()
        db.engine.dispose()
    return answers


@pytest.mark.postgres
def test_search_and_counts_are_the_same_on_sqlite_and_postgresql(tmp_path):
    admin_url = database_url(os.environ["TEST_DATABASE_URL"])
    name = f"autoorder_same_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        postgres = _seed_and_search(admin_url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    sqlite = _seed_and_search(f"sqlite:///{tmp_path / 'same.sqlite3'}")
    assert any(rows for rows, _ in (v for k, v in sqlite.items() if isinstance(k, str)))
    assert sqlite["jane"][0] and sqlite["straße"][0] and sqlite["100%"][0]
    assert sqlite["%"][0] == [] and sqlite["nothing here"][0] == []
    for query in sqlite:
        assert sqlite[query] == postgres[query], query


@pytest.mark.postgres
def test_postgresql_plans_each_search_with_its_own_values(app, client, seller):
    """psycopg would prepare a statement run five times on a connection, and PostgreSQL would then
    plan it for any team (a generic plan: at a million orders the search ANDed the whole team's
    bitmap). The app keeps no prepared statements: each execution is planned with its values."""
    with app.app_context():
        make_order(db.session.get(Team, seller), buyer_name="Vel Dunsen")
        db.session.commit()
    for _ in range(8):
        assert len(found(client, "dunsen")) == 1
    with app.app_context():
        for _ in range(8):
            db.session.execute(select(Order.id).where(Order.search_text.contains("dunsen"))).all()
        assert db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")) == 0


@pytest.mark.postgres
def test_the_trigram_index_keeps_no_pending_list(app):
    """Every status change rewrites a sale's row; with GIN's pending list its trigrams would wait
    there, read in full by every search until a vacuum (twice the scan time at a million orders).
    The migrations turn the list off, so a written row is searchable from the index at once."""
    with app.app_context():
        options = db.session.scalar(
            text("SELECT reloptions FROM pg_class WHERE relname = 'ix_orders_search_trgm'")
        )
        assert "fastupdate=off" in (options or []), options
