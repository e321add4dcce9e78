"""Benchmark the Sales & Orders page and its poll on 100,000 orders of one team.

    .venv/bin/python bench/sales_page.py                 # throwaway SQLite
    TEST_DATABASE_URL=postgresql://… .venv/bin/python bench/sales_page.py
    # + PostgreSQL (own schema)

Everything goes through the Flask test client with a logged-in user, so each number includes login,
routing, the queries and the templates. Each is compared with a baseline measured in the same run,
request by request in turn with it (ABBA), so that other load on the machine slows both alike:
  page  vs  a bare SELECT of the same 50 rows rendered by a five-column template (same auth);
  poll  vs  an endpoint that only answers 204 (the floor: request handling + loading the user).
Targets: page median ≤ 30 ms; unchanged poll ≤ 5 ms and ≤ 1 KB.

It measures the schema the migrations build (printed: the indexes on `orders`).
BENCH_COMPARE_INDEX=1 adds a phase without ix_orders_team_status (dropped, measured, then
re-created). BENCH_ORDERS (100,000) and BENCH_RUNS (60 requests per median) change the size.
"""

import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import render_template_string  # noqa: E402
from sqlalchemy import event, insert, inspect, select, text  # noqa: E402

from autoorder import create_app  # noqa: E402
from autoorder.config import TestConfig  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.models import Order, OrderEvent  # noqa: E402
from bench._pg import on_each_database  # noqa: E402
from tests import support  # noqa: E402
from tests.factories import make_bot, make_supplier, make_user  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", 100_000))
RUNS = int(os.environ.get("BENCH_RUNS", 60))
TARGET_PAGE_MS, TARGET_POLL_MS, TARGET_POLL_BYTES = 30.0, 5.0, 1024
STATUSES = (
    ["succeeded"] * 80
    + ["cancelled"] * 8
    + ["failed"] * 5
    + ["needs_attention"] * 4
    + ["waiting"] * 3
)
BASELINE = (
    '{% for o in orders %}<tr id="order-{{ o.id }}"><td>{{ o.title }}</td>'
    "<td>{{ o.ebay_order_id }}</td>\n"
    "<td>{{ o.sale_price }}</td><td>{{ o.status }}</td><td>{{ o.tracking_status }}</td></tr>"
    "{% endfor %}"
)


def build_app(url: str, evidence: str):
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url, EVIDENCE_DIR=evidence))

    @app.get("/__bench/baseline")
    def baseline():
        from flask_login import current_user

        rows = db.session.scalars(
            select(Order)
            .where(Order.team_id == current_user.team_id)
            .order_by(Order.sold_at.desc(), Order.id.desc())
            .limit(50)
        ).all()
        return render_template_string(BASELINE, orders=rows)

    @app.get("/__bench/floor")
    def floor():
        return "", 204

    return app


def fill(app) -> None:
    """One team with ORDERS sales (3 events each) and three bots; a second team with 1 % as many."""
    rng = random.Random(7)
    with app.app_context():
        support.reset_schema()
        user = make_user(email="bench@example.com")
        other = make_user(email="other@example.com")
        bots = [
            make_bot(user.team, make_supplier(name=f"Supplier {n}"), name=f"bot {n}")
            for n in range(3)
        ]
        db.session.commit()
        team_id, other_team, bot_ids = user.team_id, other.team_id, [b.id for b in bots]
    start = datetime.now(UTC) - timedelta(days=400)
    started = time.perf_counter()
    with app.app_context():
        total = ORDERS + ORDERS // 100  # the last 1 % belong to another team
        for chunk in range(0, total, 10_000):
            rows = []
            for n in range(chunk, min(chunk + 10_000, total)):
                sold = start + timedelta(minutes=5 * n)
                status = (
                    "waiting"
                    if ORDERS - 40 <= n < ORDERS
                    else STATUSES[rng.randrange(len(STATUSES))]
                )
                bought = status == "succeeded"
                rows.append(
                    dict(
                        team_id=team_id if n < ORDERS else other_team,
                        ebay_order_id=f"{10 + n % 89}-{n:05d}-{n:05d}",
                        ebay_line_item_id=str(10_000_000_000 + n),
                        title=f"Item {n % 977}",
                        variant_label="Black",
                        bot_id=bot_ids[n % 3],
                        buyer_username=f"buyer{n % 5000}",
                        buyer_name=f"Buyer {n % 5000}",
                        sale_price=Decimal("19.99"),
                        ebay_fees=Decimal("2.60"),
                        sold_at=sold,
                        order_after=sold + timedelta(minutes=10),
                        status=status,
                        tracking_status="uploaded" if bought and n < ORDERS - 200 else "not_due",
                        supplier_order_number=f"S-{n}" if bought else None,
                        supplier_cost=Decimal("11.25") if bought else None,
                        failure_message="Out of stock at the supplier."
                        if status == "failed"
                        else None,
                        created_at=sold,
                        updated_at=sold + timedelta(minutes=11),
                        status_changed_at=sold,
                        tracking_status_changed_at=sold,
                    )
                )
            db.session.execute(insert(Order), rows)
            db.session.commit()
        ids = db.session.scalars(select(Order.id).order_by(Order.id)).all()
        for chunk in range(0, len(ids), 20_000):
            events = []
            for order_id in ids[chunk : chunk + 20_000]:
                at = start
                events += [
                    dict(
                        order_id=order_id,
                        kind="note",
                        reason="sale detected on eBay",
                        actor="ebay",
                        at=at,
                    ),
                    dict(
                        order_id=order_id,
                        kind="cart",
                        from_status="waiting",
                        to_status="in_progress",
                        reason="taken by a worker to buy",
                        actor="system",
                        at=at,
                    ),
                    dict(
                        order_id=order_id,
                        kind="cart",
                        from_status="in_progress",
                        to_status="succeeded",
                        reason="bought",
                        actor="system",
                        at=at,
                    ),
                ]
            db.session.execute(insert(OrderEvent), events)
            db.session.commit()
    with app.app_context():
        # The rows went in around the ORM: their search text, the SQLite search table and the
        # status counts are made as `flask orders reindex` makes them (#19).
        from autoorder import order_index

        order_index.rebuild()
        analyze()
    print(
        f"  filled {total:,} orders + {3 * total:,} events in {time.perf_counter() - started:.1f} s"
    )


def timed_pair(client, subject: tuple, baseline: tuple, runs=RUNS):
    """Medians of (path, request options) pairs, alternating subject and baseline request by
    request (ABBA), so that a busy machine slows both alike; returns both medians and the last
    subject response."""
    for path, kw in (subject, baseline):
        for _ in range(5):
            client.get(path, **kw)
    samples, response = ([], []), None
    for n in range(runs):
        for side in (0, 1) if n % 2 == 0 else (1, 0):
            path, kw = (subject, baseline)[side]
            t0 = time.perf_counter()
            answer = client.get(path, **kw)
            samples[side].append((time.perf_counter() - t0) * 1000)
            if side == 0:
                response = answer
    return statistics.median(samples[0]), statistics.median(samples[1]), response


def timed(client, path, runs=RUNS, **kw):
    for _ in range(5):
        client.get(path, **kw)
    samples, response = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(path, **kw)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), response


def count_queries(app, client, path, **kw) -> int:
    seen = []

    def record(*args):
        seen.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            client.get(path, **kw)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


STATUS_INDEX = (
    "ix_orders_team_status"  # (team_id, status): the counts' GROUP BY (rev. 330cf7eaa7fc)
)
COMPARE_INDEX = os.environ.get("BENCH_COMPARE_INDEX") == "1"


def analyze(table: str = "") -> None:
    """PostgreSQL: fresh planner statistics, as autovacuum keeps them in steady state."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text(f"VACUUM ANALYZE {table}".strip())
            )


def run(label: str, url: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as evidence:  # removed afterwards
        return run_in(label, url, evidence)


def run_in(label: str, url: str, evidence: str) -> list[str]:
    print(f"\n== {label}")
    app = build_app(url, evidence)
    fill(app)
    with app.app_context():
        indexes = {
            ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("orders")
        }
    print(
        "  orders indexes as migrated: " + ", ".join(f"{k} {v}" for k, v in sorted(indexes.items()))
    )
    lines = measure(app, f"{label}, as migrated", url)
    if (
        COMPARE_INDEX
    ):  # what the page costs without the status index: drop it, measure, re-create it
        assert STATUS_INDEX in indexes, f"the migrations no longer create {STATUS_INDEX}"
        with app.app_context():
            db.session.execute(text(f"DROP INDEX {STATUS_INDEX}"))
            db.session.commit()
            analyze("orders")
        lines += measure(app, f"{label}, {STATUS_INDEX} dropped", url)
        with app.app_context():
            columns = ", ".join(indexes[STATUS_INDEX])
            db.session.execute(text(f"CREATE INDEX {STATUS_INDEX} ON orders ({columns})"))
            db.session.commit()
            analyze("orders")
            assert STATUS_INDEX in {ix["name"] for ix in inspect(db.engine).get_indexes("orders")}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return lines


def measure(app, label: str, url: str) -> list[str]:
    client = app.test_client()
    support.login(client, "bench@example.com")
    hx = {"HX-Request": "true"}

    page_ms, base_ms, page = timed_pair(client, ("/", {}), ("/__bench/baseline", {}))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('<tr id="order-') == 50, page.status_code
    frag_ms, _ = timed(client, "/", headers=hx)
    filtered_ms, _ = timed(client, "/?cart=failed&q=buyer12", runs=max(10, RUNS // 3))
    deep_ms, _ = timed(client, "/?page=1500", runs=max(10, RUNS // 3))

    versions = ",".join(
        f"{i}.{v}"
        for i, v in re.findall(r'<tr id="order-(\d+)" class="[^"]*" data-v="(\d+)"', html)
    )
    at = re.search(r'&#34;at&#34;: (\d+)|"at": (\d+)', html)
    poll_path = f"/sales/poll?mode=fast&page=1&at={at.group(1) or at.group(2)}&v={versions}"
    poll_ms, floor_ms, poll = timed_pair(
        client, (poll_path, {"headers": hx}), ("/__bench/floor", {})
    )
    assert poll.status_code == 204, poll.status_code
    queries_page = count_queries(app, client, "/")
    queries_poll = count_queries(app, client, poll_path, headers=hx)
    poll_bytes = len(poll.data) + sum(len(k) + len(v) + 4 for k, v in poll.headers.items())

    with app.app_context():  # one row changes: what the poll then sends
        changed_id = int(versions.split(",")[3].split(".")[0])
        db.session.execute(
            text("UPDATE orders SET updated_at = :t WHERE id = :i"),
            {
                "t": datetime.now(UTC).replace(tzinfo=None)
                if url.startswith("sqlite")
                else datetime.now(UTC),
                "i": changed_id,
            },
        )
        db.session.commit()
    t0 = time.perf_counter()
    changed = client.get(poll_path, headers=hx)
    changed_ms = (time.perf_counter() - t0) * 1000

    verdict_page = "OK" if page_ms <= TARGET_PAGE_MS else "MISSED"
    verdict_poll = (
        "OK" if poll_ms <= TARGET_POLL_MS and len(poll.data) <= TARGET_POLL_BYTES else "MISSED"
    )
    lines = [
        f"| {label} | sales page `/` (50 rows) | {page_ms:.1f} ms | {base_ms:.1f} ms (bare SELECT "
        "+ 5-col template) "
        f"| {page_ms / base_ms:.1f}× | ≤ 30 ms: {verdict_page} ({queries_page} queries, "
        f"{len(page.data) // 1024} KB) |",
        f"| {label} | unchanged poll | {poll_ms:.2f} ms, body {len(poll.data)} B (≈{poll_bytes} "
        "B "
        "with headers) "
        f"| {floor_ms:.2f} ms (empty 204 endpoint) | {poll_ms / floor_ms:.1f}× "
        f"| ≤ 5 ms, ≤ 1 KB: {verdict_poll} ({queries_poll} queries) |",
        f"| {label} | poll, one row changed | {changed_ms:.1f} ms, {len(changed.data)} B | | "
        f"| row + counts ({changed.status_code}) |",
        f"| {label} | htmx fragment `/` | {frag_ms:.1f} ms | | | |",
        f"| {label} | filter + search `?cart=failed&q=buyer12` | {filtered_ms:.1f} ms | | | |",
        f"| {label} | page 1500 (offset 74,950) | {deep_ms:.1f} ms | | | |",
    ]
    for line in lines:
        print(line)
    return lines


def main():
    on_each_database(run, "bench_sales")


if __name__ == "__main__":
    main()
