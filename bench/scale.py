"""The sales page, search, deep pages, the poll and the periodic tick at a million orders (#19).

    .venv/bin/python bench/scale.py                                  # SQLite
    TEST_DATABASE_URL=postgresql://… .venv/bin/python bench/scale.py  # + PostgreSQL

The database is bench/_scale_data.py's (BENCH_ORDERS, default 1,000,000: one team of 90 %, ten
other teams; built once by bulk insert and cached between runs). Requests go through the Flask
test client, logged in; each subject request alternates with its baseline request (ABBA) so load
from other work slows both alike. Baselines, measured in the same run:
  page, searches, page 10,000   vs  a bare SELECT of 50 rows rendered by a five-column template;
  unchanged poll                vs  an endpoint that only answers 204 (request handling + the user);
  tick, nothing due             vs  one `SELECT 1` per duty (the floor of its round trips);
  tick, 10,000 sales due        vs  enqueueing the same 500 sales one by one with enqueue_order
                                    (how the duty enqueued them before it batched its Redis round
                                    trips; it enqueues at most 500 per run) on a real redis-server.
The navigation's credit balance (one row) is timed beside the SUM over the ledger it replaced.
Targets: page ≤ 30 ms, exact search ≤ 10 ms, substring search ≤ 50 ms, page 10,000 ≤ 30 ms,
unchanged poll ≤ 5 ms, tick ≤ 200 ms with 10,000 due and ≤ 10 ms with none. BENCH_RUNS (30)
requests per median; BENCH_DBS (sqlite,postgresql) chooses the databases. The query plans of the
duties and searches are printed (EXPLAIN).
"""

import os
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from autoorder import clock, order_index  # noqa: E402
from autoorder.config import database_url  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.models import CreditEntry, Order, User  # noqa: E402
from bench import _scale_data as data  # noqa: E402
from bench.sales_page import build_app, timed_pair  # noqa: E402
from tests import support  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 30))
HX = {"HX-Request": "true"}
TARGETS = {
    "page": 30,
    "exact": 10,
    "substring": 50,
    "deep": 30,
    "poll": 5,
    "tick_due": 200,
    "tick_none": 10,
}


def verdict(ms: float, key: str) -> str:
    return f"≤ {TARGETS[key]} ms: {'OK' if ms <= TARGETS[key] else 'MISSED'}"


def explain(sql: str, params: dict) -> str:
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params).all()
        return "; ".join(r[-1] for r in rows)
    rows = db.session.execute(text("EXPLAIN " + sql), params).all()
    return " | ".join(r[0].strip() for r in rows if "cost" in r[0])[:400]


def timed_calls(subject, baseline, runs: int, before=None):
    """Medians of two callables, alternating (ABBA); ``before`` runs untimed before each call."""
    samples = ([], [])
    for n in range(runs):
        for side in (0, 1) if n % 2 == 0 else (1, 0):
            if before:
                before()
            t0 = time.perf_counter()
            (subject, baseline)[side]()
            samples[side].append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])


def measure(label: str, url: str, work: Path) -> list[str]:
    from autoorder.jobs import tick
    from autoorder.jobs.api import enqueue_order
    from autoorder.queues import redis_connection

    print(f"\n== {label}", flush=True)
    data.login_user(url)
    app = build_app(url, str(work / "evidence"))
    redis = support.RedisServer(work)
    redis.start()
    app.config["REDIS_URL"] = redis.url
    lines = []
    try:
        with app.app_context():
            order_index.rebuild_counts()  # a previous run (dashboard_load) may have written SQL
            main_team = db.session.scalar(select(User.team_id).where(User.email == data.EMAIL))
            size = db.session.scalar(
                text("SELECT count(*) FROM orders WHERE team_id = :t"), {"t": main_team}
            )
            total = db.session.scalar(text("SELECT count(*) FROM orders"))
            sample = db.session.execute(
                select(
                    Order.ebay_order_id,
                    Order.tracking_number,
                    Order.supplier_order_number,
                    Order.buyer_username,
                    Order.buyer_name,
                )
                .where(Order.team_id == main_team, Order.status == "succeeded")
                .order_by(Order.id)
                .offset(size // 2)
                .limit(1)
            ).one()
            deep_at, deep_id = db.session.execute(
                select(Order.sold_at, Order.id)
                .where(Order.team_id == main_team)
                .order_by(Order.sold_at.desc(), Order.id.desc())
                .offset((min(10_000, size // 50) - 1) * 50 - 1)
                .limit(1)
            ).one()
            from autoorder.keyset import cursor_of

            deep_cursor = cursor_of(deep_at, deep_id)
        surname = sample.buyer_name.split()[-1]
        print(f"  {total:,} orders, the main team {size:,}; surname {surname!r}", flush=True)

        client = app.test_client()
        support.login(client, data.EMAIL, data.PASSWORD)
        base = ("/__bench/baseline", {})

        def pair(path, headers=None):
            return timed_pair(client, (path, {"headers": headers or {}}), base, runs=RUNS)

        page_ms, page_base, page = pair("/")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and html.count('<tr id="order-') == 50
        lines.append(
            f"| {label} | sales page `/` (50 rows) | {page_ms:.1f} ms | {page_base:.1f} ms "
            f"| {page_ms / page_base:.1f}× | {verdict(page_ms, 'page')} |"
        )
        for what, query in (
            ("eBay order number", sample.ebay_order_id),
            ("tracking number", sample.tracking_number),
            ("supplier order number", sample.supplier_order_number.lower()),
            ("buyer username", sample.buyer_username),
        ):
            ms, base_ms, answer = pair(f"/?q={query}", HX)
            found = answer.get_data(as_text=True).count('<tr id="order-')
            assert answer.status_code == 200 and found >= 1, (what, found)
            lines.append(
                f"| {label} | exact search: {what} (fragment, {found} row) | {ms:.1f} ms "
                f"| {base_ms:.1f} ms | {ms / base_ms:.1f}× | {verdict(ms, 'exact')} |"
            )
        for what, query, key in (
            (f"buyer surname `{surname.lower()}`", surname.lower(), "substring"),
            ("part of a surname + first name", f"{sample.buyer_name[:5].lower()}", None),
            ("title words `walnut desk`", "walnut desk", None),
        ):
            ms, base_ms, answer = pair(f"/?q={query}", HX)
            body = answer.get_data(as_text=True)
            counted = re.search(r'data-count="all">(\d+)<', body)
            matches = int(counted.group(1)) if counted else -1
            lines.append(
                f"| {label} | substring search: {what} (fragment, {matches:,} matches) "
                f"| {ms:.1f} ms | {base_ms:.1f} ms | {ms / base_ms:.1f}× "
                f"| {verdict(ms, key) if key else 'not a target'} |"
            )
        deep = min(10_000, size // 50)
        ms, base_ms, answer = pair(f"/?before={deep_cursor}&page={deep}", HX)
        body = answer.get_data(as_text=True)
        assert body.count('<tr id="order-') == 50 and f"Page {deep} of" in body
        lines.append(
            f"| {label} | page {deep:,} (keyset) | {ms:.1f} ms | {base_ms:.1f} ms "
            f"| {ms / base_ms:.1f}× | {verdict(ms, 'deep')} |"
        )
        ms, base_ms, answer = pair(f"/?page={deep}", HX)
        lines.append(
            f"| {label} | page {deep:,} by OFFSET (old `?page=` links) | {ms:.1f} ms "
            f"| {base_ms:.1f} ms | {ms / base_ms:.1f}× | not a target |"
        )

        with app.app_context():  # the navigation's credit balance: its row, and the ledger's SUM
            from autoorder import credits

            entries = db.session.scalar(
                text("SELECT count(*) FROM credit_entries WHERE team_id = :t"), {"t": main_team}
            )
            assert credits.balance(main_team) == CreditEntry.ledger_sum(main_team)

            def balance_row():
                credits.balance(main_team)

            def ledger_sum():
                CreditEntry.ledger_sum(main_team)

            def one_row():
                db.session.scalar(text("SELECT id FROM orders WHERE id = 1"))

            row_ms, row_base = timed_calls(balance_row, one_row, max(6, RUNS // 3))
            sum_ms, sum_base = timed_calls(ledger_sum, one_row, max(6, RUNS // 3))
            db.session.remove()
        lines.append(
            f"| {label} | (inside the page) the navigation's credit balance: its `credit_balances` "
            f"row | {row_ms:.2f} ms | {row_base:.2f} ms (one row by id) "
            f"| {row_ms / row_base:.1f}× | not a target |"
        )
        lines.append(
            f"| {label} | (before: the same balance as a SUM over {entries:,} ledger entries) "
            f"| {sum_ms:.1f} ms | {sum_base:.2f} ms (one row by id) "
            f"| {sum_ms / sum_base:.0f}× | not a target |"
        )

        versions = ",".join(
            f"{i}.{v}"
            for i, v in re.findall(r'<tr id="order-(\d+)" class="[^"]*" data-v="(\d+)"', html)
        )
        at = re.search(r'&#34;at&#34;: (\d+)|"at": (\d+)', html)
        poll_path = f"/sales/poll?mode=fast&page=1&at={at.group(1) or at.group(2)}&v={versions}"
        poll_ms, floor_ms, poll = timed_pair(
            client, (poll_path, {"headers": HX}), ("/__bench/floor", {}), runs=RUNS
        )
        assert poll.status_code == 204, poll.status_code
        lines.append(
            f"| {label} | unchanged poll | {poll_ms:.2f} ms | {floor_ms:.2f} ms "
            f"| {poll_ms / floor_ms:.1f}× | {verdict(poll_ms, 'poll')} |"
        )

        with app.test_request_context():
            connection = redis_connection(redis.url)

            def duty_floor():
                for _ in range(9):
                    db.session.execute(text("SELECT 1")).scalar()
                db.session.commit()

            none_ms, none_base = timed_calls(tick.tick, duty_floor, RUNS)
            assert all(v == 0 for v in tick.tick().values()), tick.tick()
            lines.append(
                f"| {label} | tick, nothing due | {none_ms:.1f} ms | {none_base:.1f} ms "
                f"| {none_ms / none_base:.1f}× | {verdict(none_ms, 'tick_none')} |"
            )
            now = clock.now()
            due = db.session.scalars(
                select(Order.id)
                .where(Order.team_id == main_team, Order.status == "cancelled")
                .limit(10_000)
            ).all()
            stamp = (
                (lambda v: v.replace(tzinfo=None)) if url.startswith("sqlite") else (lambda v: v)
            )
            for chunk in range(0, len(due), 1000):
                db.session.execute(
                    text(
                        "UPDATE orders SET status = 'waiting', order_after = :due, "
                        "ship_by_flagged_at = :now WHERE id IN ("
                        + ",".join(str(i) for i in due[chunk : chunk + 1000])
                        + ")"
                    ),
                    {"due": stamp(now - timedelta(hours=1)), "now": stamp(now)},
                )
            db.session.commit()
            first_500 = db.session.scalars(
                select(Order.id)
                .where(Order.status == "waiting", Order.order_after <= now)
                .order_by(Order.order_after)
                .limit(500)
            ).all()

            def straight():
                for order_id in first_500:
                    enqueue_order(order_id, restart_after=15)

            try:
                due_ms, due_base = timed_calls(
                    tick.tick, straight, max(6, RUNS // 5), before=connection.flushdb
                )
                connection.flushdb()
                enqueued = tick.tick()["orders"]
                assert enqueued == min(500, len(due)), enqueued
            finally:
                for chunk in range(0, len(due), 1000):
                    db.session.execute(
                        text(
                            "UPDATE orders SET status = 'cancelled' WHERE id IN ("
                            + ",".join(str(i) for i in due[chunk : chunk + 1000])
                            + ")"
                        )
                    )
                db.session.commit()
            lines.append(
                f"| {label} | tick, {len(due):,} sales due (enqueues {min(500, len(due))}) "
                f"| {due_ms:.1f} ms | {due_base:.1f} ms (the same {min(500, len(due))} one by one) "
                f"| {due_ms / due_base:.2f}× | {verdict(due_ms, 'tick_due')} |"
            )
            plans = {
                "due sales": (
                    "SELECT id FROM orders WHERE status = 'waiting' AND order_after <= :now "
                    "ORDER BY order_after LIMIT 500"
                ),
                "expired leases": (
                    "SELECT id FROM orders WHERE status = 'in_progress' "
                    "AND lease_expires_at < :now LIMIT 500"
                ),
                "due tracking": (
                    "SELECT id FROM orders WHERE tracking_status IN ('not_due', 'searching') "
                    "AND status = 'succeeded' AND next_tracking_check_at <= :now "
                    "ORDER BY next_tracking_check_at LIMIT 500"
                ),
                "ship-by at risk": (
                    "SELECT id FROM orders WHERE ship_by_flagged_at IS NULL "
                    "AND status != 'cancelled' AND tracking_status != 'uploaded' "
                    "AND ship_by_at <= :now ORDER BY ship_by_at LIMIT 500"
                ),
                "held for credits": (
                    "SELECT id FROM orders WHERE status = 'needs_attention' "
                    "AND failure_code = 'out_of_credits' LIMIT 500"
                ),
                "poll's new sales": (
                    "SELECT id, sold_at FROM orders WHERE team_id = :team "
                    "AND created_at >= :recent AND sold_at >= :two_days "
                    "ORDER BY created_at DESC, id DESC LIMIT 50"
                ),
                "counts": (
                    "SELECT status, sum(n) FROM order_status_counts WHERE team_id = :team "
                    "GROUP BY status"
                ),
            }
            for name, sql in plans.items():
                plan = explain(
                    sql,
                    {
                        "now": stamp(now),
                        "team": main_team,
                        "two_days": stamp(now - timedelta(days=2)),
                        "recent": stamp(now - timedelta(seconds=30)),
                    },
                )
                print(f"  plan, {name}: {plan}")
            order_index.rebuild_counts()
            db.session.remove()
    finally:
        redis.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    for line in lines:
        print(line, flush=True)
    return lines


def vacuum(url: str) -> None:
    """VACUUM the orders the tick's part rewrote (20,000 row versions), so that the next run does
    not start with this run's dead rows."""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE orders"))
    engine.dispose()


def main():
    print(
        f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, "
        f"{data.ORDERS:,} orders, {RUNS} requests per median",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        started = time.strftime("%H:%M", time.gmtime())
        kinds = os.environ.get("BENCH_DBS", "sqlite,postgresql").split(",")
        if "sqlite" in kinds:
            results += measure("SQLite", data.prepare("sqlite"), Path(tmp))
        pg = os.environ.get("TEST_DATABASE_URL")
        if pg and "postgresql" in kinds:
            url = data.prepare("postgresql", database_url(pg))
            results += measure("PostgreSQL", url, Path(tmp))
            vacuum(url)
    print(
        f"\n{started}–{time.strftime('%H:%M', time.gmtime())} UTC, load average now "
        f"{os.getloadavg()[0]:.1f}\n\n| DB | what | median | baseline | ratio | target |\n"
        "|---|---|---|---|---|---|"
    )
    print("\n".join(results))


if __name__ == "__main__":
    main()
