"""Benchmark 2: tracking sweep of 5,000 due orders, and the index behind the tick's selection.

    .venv/bin/python bench/tracking_sweep.py      # BENCH_SWEEP=5000 BENCH_CHUNK=250 by default

Setup (not timed): 5,000 orders placed on the demo shop through its own forms with requests (add,
address, payment, place: 4 POSTs, redirects not followed) and shipped with the control endpoint
(seeded random carrier formats), spread over 4 shop accounts = 4 bots so 4 threads can place them
in parallel; each bot's signed-in cookie is saved as its Playwright storage state. Then 2 × 5,000
Order rows (succeeded, tracking not_due, next_tracking_check_at an hour ago, no eBay account): one
set for the subject, one for the baseline, pointing at the same shop orders.

Subject: ``refresh_tracking(order_id)`` per order, each in its own app context (as a worker job):
due check, SEARCHING event, fetch with the bot's saved cookies, parse, TrackingCheck row, validate,
commit, then ``autoorder.tracking.upload``: with ebay_account_id None it records UPLOADED and
commits (no eBay upload: the eBay stub answers instantly, i.e. uploading is excluded).
Baseline: one requests.Session per bot (cookie set once), GET the order page, BeautifulSoup(lxml),
the same tracking_numbers.validate, one UPDATE of the order row, commit.
Interleaved in chunks (ABBA). Target: median per-order time subject/baseline ≤ 1.2x.
Then EXPLAIN QUERY PLAN of the query tick() really sends for due tracking checks: must use
ix_orders_tracking_due.
"""

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests  # noqa: E402
from _order_stand import (  # noqa: E402
    SHOP_EMAIL,
    SHOP_PASSWORD,
    Stand,
    machine,
    median,
    percentile,
    shop_login,
    shop_place_and_ship,
    storage_state_of,
    verdict,
)
from bs4 import BeautifulSoup  # noqa: E402
from sqlalchemy import event, insert, select, update  # noqa: E402

from autoorder import clock  # noqa: E402
from autoorder import tracking_numbers as numbers  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.jobs.tick import tick  # noqa: E402
from autoorder.jobs.tracking import refresh_tracking  # noqa: E402
from autoorder.models import Order, OrderBot  # noqa: E402
from autoorder.scrapers.base import session_from_storage_state  # noqa: E402
from tests.factories import make_bot  # noqa: E402

SWEEP = int(os.environ.get("BENCH_SWEEP", 5000))
CHUNK = int(os.environ.get("BENCH_CHUNK", 250))
BASE_CHUNK = int(
    os.environ.get("BENCH_BASE_CHUNK", 100)
)  # baseline orders per subject chunk (time budget)
WAL = bool(
    os.environ.get("BENCH_SQLITE_WAL")
)  # diagnostic: journal_mode=WAL, synchronous=NORMAL for both
ACCOUNTS = 4
TARGET_RATIO = 1.2


def place_shop_orders(stand: Stand) -> list[tuple[str, str, dict]]:
    """SWEEP shipped shop orders over ACCOUNTS accounts; return (email, number, storage state) per
    order."""
    url = stand.shop.url
    emails = [SHOP_EMAIL] + [f"bench{n}@demo.test" for n in range(1, ACCOUNTS)]
    for email in emails[1:]:
        stand.shop.control("POST", "/sandbox/accounts", {"email": email, "password": SHOP_PASSWORD})

    def one_account(index):
        session, token = shop_login(url, emails[index])
        state = storage_state_of(session)
        count = SWEEP // ACCOUNTS + (index < SWEEP % ACCOUNTS)
        return [
            (emails[index], shop_place_and_ship(url, session, token, f"bench-{index}-{n}"), state)
            for n in range(count)
        ]

    with ThreadPoolExecutor(ACCOUNTS) as pool:
        per_account = list(pool.map(one_account, range(ACCOUNTS)))
    # interleave the accounts so every chunk has orders of every bot
    return [row for group in zip(*per_account, strict=False) for row in group] + [
        row for rows in per_account for row in rows[min(map(len, per_account)) :]
    ]


def fill_orders(stand: Stand, shop_orders) -> tuple[list[int], list[int], dict]:
    """Bots with saved sessions, and two sets of due Order rows pointing at the shop orders."""
    from autoorder.models import Supplier, Team

    with stand.app.app_context():
        team, supplier = (
            db.session.get(Team, stand.team_id),
            db.session.get(Supplier, stand.supplier_id),
        )
        bots = {}
        for email, _number, state in shop_orders:
            if email in bots:
                continue
            bot = (
                db.session.get(OrderBot, stand.bot_id)
                if email == SHOP_EMAIL
                else make_bot(
                    team, supplier, name=email, account_email=email, password=SHOP_PASSWORD
                )
            )
            bot.browser_state, bot.browser_state_saved_at = json.dumps(state), clock.now()
            bots[email] = bot.id
        db.session.commit()
        now = clock.now()
        sold = now - timedelta(days=2)
        sets = []
        for label in ("s", "b"):
            rows = [
                dict(
                    team_id=stand.team_id,
                    ebay_account_id=None,
                    ebay_order_id=f"{label}-{n:05d}",
                    ebay_line_item_id=str(10_000_000_000 + n),
                    title="iPhone case - Black",
                    listing_id=stand.listing_id,
                    bot_id=bots[email],
                    quantity=1,
                    sale_price=Decimal("14.99"),
                    status="succeeded",
                    tracking_status="not_due",
                    sold_at=sold,
                    order_after=sold + timedelta(minutes=10),
                    ordered_at=sold + timedelta(minutes=11),
                    next_tracking_check_at=now - timedelta(hours=1) + timedelta(milliseconds=n),
                    tracking_deadline_at=now + timedelta(days=5),
                    supplier_order_number=number,
                    supplier_cost=Decimal("13.42"),
                    created_at=sold,
                    updated_at=sold,
                    status_changed_at=sold,
                    tracking_status_changed_at=sold,
                )
                for n, (email, number, _state) in enumerate(shop_orders)
            ]
            db.session.execute(insert(Order), rows)
            db.session.commit()
            sets.append(
                list(
                    db.session.scalars(
                        select(Order.id)
                        .where(Order.ebay_order_id.like(f"{label}-%"))
                        .order_by(Order.id)
                    )
                )
            )
        db.session.remove()
    return sets[0], sets[1], bots


class Baseline:
    """requests.Session + BeautifulSoup over the same pages, one UPDATE + commit per order."""

    def __init__(self, stand: Stand, bots: dict):
        self.url = stand.shop.url
        self.sessions = {}
        with stand.app.app_context():
            for bot_id in bots.values():
                state = json.loads(db.session.get(OrderBot, bot_id).browser_state)
                session = requests.Session()
                for cookie in state["cookies"]:
                    session.cookies.set(
                        cookie["name"],
                        cookie["value"],
                        domain=cookie["domain"],
                        path=cookie["path"],
                    )
                self.sessions[bot_id] = session
            self.rows = {
                o.id: (o.bot_id, o.supplier_order_number) for o in db.session.scalars(select(Order))
            }
            db.session.remove()

    def run(self, app, order_ids) -> None:
        table = Order.__table__
        with app.app_context(), db.engine.connect() as conn:
            for order_id in order_ids:
                bot_id, number = self.rows[order_id]
                response = self.sessions[bot_id].get(f"{self.url}/orders/{number}", timeout=20)
                response.raise_for_status()
                assert "/login" not in response.url
                soup = BeautifulSoup(response.text, "lxml")
                status = soup.select_one("#order-status[data-status]")["data-status"]
                tracking = soup.select_one("#order-tracking-number").get_text(strip=True)
                carrier = soup.select_one("#order-carrier").get_text(strip=True)
                assert status == "shipped" and tracking
                valid = numbers.validate(tracking, carrier)
                conn.execute(
                    update(table)
                    .where(table.c.id == order_id)
                    .values(
                        tracking_number=valid.number,
                        tracking_carrier=carrier,
                        ebay_carrier_code=valid.ebay_carrier_code,
                        tracking_status="uploaded",
                        next_tracking_check_at=None,
                        updated_at=clock.now(),
                    )
                )
                conn.commit()


def explain_tick_tracking_query(app) -> tuple[str, list[str]]:
    """Run tick() and EXPLAIN QUERY PLAN the statements it sent to select due tracking checks."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "next_tracking_check_at <=" in statement and statement.lstrip().upper().startswith(
            "SELECT"
        ):
            seen.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            tick()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert len(seen) == 2, seen  # searching orders, then uploaded ones due a re-check
        plans = []
        with db.engine.connect() as conn:
            for statement, parameters in seen:
                plans.append(
                    [
                        row[-1]
                        for row in conn.exec_driver_sql(
                            "EXPLAIN QUERY PLAN " + statement, parameters
                        )
                    ]
                )
        db.session.remove()
    return [statement for statement, _ in seen], plans


def main():
    print(f"== Benchmark 2: tracking sweep of {SWEEP:,} due orders  ({machine()})")
    with Stand("tracking-sweep") as stand:
        stand.setup_team()
        app = stand.app
        if WAL:
            with app.app_context():

                @event.listens_for(db.engine, "connect")
                def _wal(dbapi_connection, _record):
                    dbapi_connection.execute("PRAGMA journal_mode=WAL")
                    dbapi_connection.execute("PRAGMA synchronous=NORMAL")

                db.engine.dispose()
        started = time.perf_counter()
        shop_orders = place_shop_orders(stand)
        print(
            f"  setup: {len(shop_orders):,} shipped shop orders over {ACCOUNTS} accounts in "
            f"{time.perf_counter() - started:.1f} s (4 form POSTs + 1 ship call each, {ACCOUNTS} "
            "threads)"
        )
        subject_ids, baseline_ids, bots = fill_orders(stand, shop_orders)
        baseline = Baseline(stand, bots)

        results: dict[str, int] = {}

        def subject(order_ids):
            for order_id in order_ids:
                with app.app_context():
                    result = refresh_tracking(order_id)
                    db.session.remove()
                results[result] = results.get(result, 0) + 1

        sub_ms, base_ms, sub_n, base_n = [], [], [], []
        counts = {"s": [0, 0], "b": [0, 0]}  # statements, commits
        turn_now = ["s"]
        with app.app_context():
            event.listen(
                db.engine,
                "before_cursor_execute",
                lambda *a: counts[turn_now[0]].__setitem__(0, counts[turn_now[0]][0] + 1),
            )
            event.listen(
                db.engine,
                "commit",
                lambda *a: counts[turn_now[0]].__setitem__(1, counts[turn_now[0]][1] + 1),
            )
        chunks = range(0, SWEEP, CHUNK)
        for n, start in enumerate(chunks):
            s_ids, b_ids = (
                subject_ids[start : start + CHUNK],
                baseline_ids[start : start + BASE_CHUNK],
            )
            for turn in ("s", "b") if n % 2 == 0 else ("b", "s"):
                ids = s_ids if turn == "s" else b_ids
                turn_now[0] = turn
                t0 = time.perf_counter()
                subject(ids) if turn == "s" else baseline.run(app, ids)
                per_order = (time.perf_counter() - t0) / len(ids) * 1000
                (sub_ms if turn == "s" else base_ms).append(per_order)
                (sub_n if turn == "s" else base_n).append(len(ids))
        sub, base = median(sub_ms), median(base_ms)
        ratio = sub / base
        print(
            f"  per order ({len(sub_ms)} interleaved chunks: {CHUNK} subject / {BASE_CHUNK} "
            "baseline orders; "
            f"journal {'WAL+NORMAL' if WAL else 'as configured (rollback journal, FULL)'}):\n"
            f"    subject median {sub:.2f} ms "
            f"(p90 chunk {percentile(sub_ms, 90):.2f}), baseline median {base:.2f} ms "
            f"(p90 chunk {percentile(base_ms, 90):.2f}), ratio {ratio:.2f}x  target ≤ "
            f"{TARGET_RATIO}x  "
            f"{verdict(ratio <= TARGET_RATIO)}"
        )
        sub_total = sum(ms * n for ms, n in zip(sub_ms, sub_n, strict=True)) / 1000
        base_total = sum(ms * n for ms, n in zip(base_ms, base_n, strict=True)) / 1000
        print(
            f"  sweep: subject {sum(sub_n):,} orders in {sub_total:.1f} s "
            f"({sum(sub_n) / sub_total:.0f} orders/s), "
            f"baseline {sum(base_n):,} orders in {base_total:.1f} s; subject results {results}"
        )
        print(
            f"  per order: subject {counts['s'][0] / sum(sub_n):.1f} SQL statements + "
            f"{counts['s'][1] / sum(sub_n):.1f} "
            f"commits, baseline {counts['b'][0] / sum(base_n):.1f} + "
            f"{counts['b'][1] / sum(base_n):.1f}"
        )

        with app.app_context():  # every subject order got the shop's tracking number, validated
            got = dict(
                db.session.execute(
                    select(Order.supplier_order_number, Order.tracking_number).where(
                        Order.id.in_(subject_ids), Order.tracking_status == "uploaded"
                    )
                ).all()
            )
            db.session.remove()
        sample = stand.shop.control("GET", f"/sandbox/orders/{shop_orders[-1][1]}")
        assert len(got) == SWEEP and got[sample["number"]] == sample["tracking_number"], (
            len(got),
            sample,
        )
        print(
            f"  checked: {len(got):,} subject orders uploaded(recorded) with the shop's tracking "
            "numbers"
        )

        # Diagnostic: what one fresh requests.Session per order costs (the subject makes one per
        # order).
        probe = baseline_ids[:200]
        with app.app_context():
            states = {
                b: json.loads(db.session.get(OrderBot, b).browser_state) for b in bots.values()
            }
            db.session.remove()
        t0 = time.perf_counter()
        for order_id in probe:
            bot_id, number = baseline.rows[order_id]
            assert (
                session_from_storage_state(states[bot_id])
                .get(f"{stand.shop.url}/orders/{number}", timeout=20)
                .ok
            )
        fresh = (time.perf_counter() - t0) / len(probe) * 1000
        t0 = time.perf_counter()
        for order_id in probe:
            bot_id, number = baseline.rows[order_id]
            assert baseline.sessions[bot_id].get(f"{stand.shop.url}/orders/{number}", timeout=20).ok
        reused = (time.perf_counter() - t0) / len(probe) * 1000
        print(
            f"  diagnostic: GET with a fresh Session from the storage state {fresh:.2f} ms vs a "
            "reused Session "
            f"{reused:.2f} ms (the shop answers Connection: close, so no keep-alive either way)"
        )

        # The tick's due-tracking selection: put the baseline set back to due, run tick, explain its
        # query.
        with app.app_context():
            db.session.execute(
                update(Order)
                .where(Order.id.in_(baseline_ids))
                .values(
                    tracking_status="not_due",
                    next_tracking_check_at=clock.now() - timedelta(minutes=5),
                )
            )
            db.session.commit()
            db.session.remove()
        statements, plans = explain_tick_tracking_query(app)
        uses = all(any("ix_orders_tracking_due" in line for line in plan) for plan in plans)
        for statement, plan in zip(statements, plans, strict=True):
            print("  tick's tracking selection: " + " ".join(statement.split()))
            for line in plan:
                print(f"    EXPLAIN QUERY PLAN: {line}")
        print(f"  uses ix_orders_tracking_due: {verdict(uses)}")
        stand.flush_redis()
        assert uses, plans


if __name__ == "__main__":
    main()
