"""1, 2 and 4 worker processes on PostgreSQL buying due sales from the demo shop (#19).

    TEST_DATABASE_URL=postgresql://… .venv/bin/python bench/workers.py

For each worker count: a database of its own on that server (created, then dropped), the demo
shop with every page delayed (`slow` fault, BENCH_DELAY 0.3 s), the eBay emulator, a
redis-server, and one team with BENCH_ACCOUNTS (4) order bots, each signed in to its own shop
account and mapped from its own eBay listing — one supplier account checks out in one place at a
time (the account lock), so more workers can only buy faster with as many accounts. BENCH_SALES
(60) sales come from the emulator through the product's own poll, spread over the listings; then
N real `flask --app app worker --queues orders --no-scheduler` processes start, the sales are made
due and the tick's duty enqueues them, and the clock runs until the last is bought.

Printed per run: sales/min (the 1-worker run is the baseline: ratio = throughput ÷ that of 1), how
busy the machine's CPUs were meanwhile (everything on it: workers, browsers, shop, PostgreSQL),
the shop's orders per sale (a sale bought twice shows as 2), and each worker's peak memory (PSS
summed over its process tree: the worker, Playwright's driver, Chromium), sampled every 0.5 s,
with what the tree holds by kind of process every ten sales and at the peak. As root, each worker
runs in a memory cgroup of its own capped at BENCH_CAP_MB (512; 0: no cap) with no swap — a 512 MB
dyno each — after the page cache is emptied (so the binaries' pages are charged to the workers, as
in fresh containers): its peak usage, peak anonymous memory and OOM kills are printed, and a
worker whose working set does not fit shows as a much slower run.
Targets: 4 workers ≥ 3× one, 0 double orders, each worker within its 512 MB. BENCH_WORKERS
("1,2,4").
"""

import os
import re
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from autoorder.config import database_url  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.models import Order  # noqa: E402
from bench._cgroup import Cgroup, drop_page_cache, kind_of  # noqa: E402
from bench._order_stand import (  # noqa: E402
    BUYER,
    SHOP_PASSWORD,
    Stand,
    machine,
    stop_process_group,
    verdict,
)

SALES = int(os.environ.get("BENCH_SALES", 60))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", 4))
DELAY = float(os.environ.get("BENCH_DELAY", 0.3))
COUNTS = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2,4").split(",")]
CAP_MB = int(os.environ.get("BENCH_CAP_MB", 512))  # each worker's memory cgroup (0: no cap)
NOTE_RE = re.compile(r"AO-(\d+)-")


def setup(stand) -> list[int]:
    """One team, ACCOUNTS bots (own shop accounts, own listings); SALES sales polled in."""
    from autoorder import credits
    from autoorder.demo import connect_emulator_account
    from autoorder.jobs.sales import poll_ebay_account
    from autoorder.models import CreditPackage
    from tests.factories import make_bot, make_listing, make_supplier, make_user

    items = []
    with stand.app.app_context():
        user = make_user(role="admin")
        stand.team_id = user.team_id
        supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url=stand.shop.url)
        for n in range(ACCOUNTS):
            email = f"bench{n}@demo.test"
            stand.shop.control(
                "POST",
                "/sandbox/accounts",
                {"email": email, "password": SHOP_PASSWORD, "gift_card_balance": "0"},
            )
            bot = make_bot(
                user.team,
                supplier,
                name=f"bot {n}",
                account_email=email,
                password=SHOP_PASSWORD,
                payment_method="card",
                card="4242424242424242",
            )
            item = str(325400200100 + n)
            make_listing(
                user.team,
                bot,
                ebay_item_id=item,
                sku=f"CASE-{n}",
                supplier_product_url=f"{stand.shop.url}/products/phone-case",
                supplier_variant="Black",
                max_buy_price=Decimal("15.00"),
            )
            items.append(item)
        package = CreditPackage(name="bench", credits=10_000, price=Decimal("1.00"))
        db.session.add(package)
        db.session.flush()
        credits.record_package_purchase(stand.team_id, package, actor="bench")
        db.session.commit()
        stand.account_id = connect_emulator_account(stand.team_id, "seller").id
        db.session.commit()
    for n in range(SALES):
        stand.ebay.control(
            "POST",
            "/sandbox/orders",
            {
                "sku": f"CASE-{n % ACCOUNTS}",
                "legacyItemId": items[n % ACCOUNTS],
                "title": "iPhone case - Black",
                "price": "14.99",
                "quantity": 1,
                "buyer": BUYER,
            },
        )
    with stand.app.app_context():
        poll_ebay_account(stand.account_id)
        ids = list(db.session.scalars(select(Order.id).where(Order.status == "waiting")))
        db.session.remove()
    assert len(ids) == SALES, f"{len(ids)} waiting sales, expected {SALES}"
    return ids


def tree_pss(pid: int) -> tuple[int, Counter]:
    """Memory of a worker's process tree: PSS (shared pages split between the processes sharing
    them), so Chromium's shared memory is not counted once per process as RSS sums would; and
    the same split by kind of process (kind → MB, "renderer ×n")."""
    parts, counts = Counter(), Counter()
    try:
        process = psutil.Process(pid)
        total = 0
        for p in [process, *process.children(recursive=True)]:
            try:
                pss = p.memory_full_info().pss
            except psutil.Error:
                continue
            total += pss
            name = kind_of(p.pid, pid)
            parts[name] += pss
            counts[name] += 1
        for name, n in counts.items():
            if n > 1:
                parts[f"{name} ×{n}"] = parts.pop(name)
        return total, parts
    except psutil.Error:
        return 0, parts


def shown(parts: Counter) -> str:
    return ", ".join(f"{k} {v / 2**20:.0f}" for k, v in parts.most_common())


class TreeMemory(threading.Thread):
    """Every 0.5 s: each worker's process-tree PSS — its peak, what the tree held by kind of
    process at that peak, and the latest split."""

    def __init__(self, workers):
        super().__init__(daemon=True)
        self.workers = workers
        self.peaks = [0] * len(workers)
        self.peak_parts = [Counter() for _ in workers]
        self.latest = [Counter() for _ in workers]
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            for i, worker in enumerate(self.workers):
                total, parts = tree_pss(worker.pid)
                self.latest[i] = parts
                if total > self.peaks[i]:
                    self.peaks[i], self.peak_parts[i] = total, parts
            self.halt.wait(0.5)

    def stop(self):
        self.halt.set()
        self.join()


def cgroups(count: int) -> list:
    """A memory cgroup per worker, capped at CAP_MB with no swap (a 512 MB dyno each); Nones when
    the machine does not allow them (not root, or no memory controller)."""
    groups = [
        Cgroup.create(f"autoorder-worker{i + 1}", limit_mb=CAP_MB or None) for i in range(count)
    ]
    if all(groups):
        return groups
    for group in filter(None, groups):
        group.remove()
    return [None] * count


def start_workers(stand, groups) -> list:
    from rq import Worker

    from autoorder.queues import redis_connection

    argv = [sys.executable, "-m", "flask", "--app", "app", "worker"]
    argv += ["--queues", "orders", "--no-scheduler"]
    workers = [stand.start_worker(group.wrap(argv) if group else argv) for group in groups]
    connection = redis_connection(stand.redis.url)
    deadline = time.monotonic() + 180
    while len(Worker.all(connection=connection)) < len(workers):  # every worker is up
        assert time.monotonic() < deadline, stand.worker_log()
        time.sleep(0.2)
    return workers


def open_sales(stand) -> int:
    with stand.app.app_context():
        n = db.session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.status.in_(("waiting", "in_progress")))
        )
        db.session.remove()
    return n


def shop_orders_per_sale(stand) -> tuple[int, Counter]:
    """The shop's orders, and how many of them each sale got (a sale bought twice shows as 2)."""
    orders = stand.shop.control("GET", "/sandbox/orders")
    orders = orders.get("orders", orders) if isinstance(orders, dict) else orders
    per_sale = Counter(
        int(m.group(1))
        for o in orders
        if (m := NOTE_RE.search(str(o.get("order_note") or o.get("note") or "")))
    )
    return len(orders), per_sale


def run(count: int, url: str) -> dict:
    from autoorder.jobs.tick import enqueue_due_orders

    stand = Stand(f"workers{count}", db_url=url)
    groups = []
    try:
        ids = setup(stand)
        stand.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": DELAY})
        groups = cgroups(count)
        dropped = drop_page_cache() if groups[0] else False
        workers = start_workers(stand, groups)
        for group in filter(None, groups):
            group.start_sampling()
        memory = TreeMemory(workers)
        memory.start()
        stand.make_due(ids)
        cpu_before = psutil.cpu_times()
        started = time.perf_counter()
        with stand.app.app_context():
            enqueued = enqueue_due_orders()  # the tick's duty
            db.session.remove()
        assert enqueued == SALES, enqueued
        deadline = time.monotonic() + 120 + 30 * SALES
        shown_at = 0
        while open_ := open_sales(stand):
            bought = SALES - open_
            if bought // 10 > shown_at // 10:  # every ten sales: what each tree holds, by kind
                shown_at = bought
                for i in range(count):
                    print(
                        f"  {bought} bought, worker {i + 1}: {shown(memory.latest[i])} MB",
                        flush=True,
                    )
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers), (
                stand.worker_log()
            )
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        cpu = psutil.cpu_times()
        busy = sum(a - b for a, b in zip(cpu, cpu_before, strict=True)) - (
            (cpu.idle - cpu_before.idle) + (cpu.iowait - cpu_before.iowait)
        )
        memory.stop()
        charged = [
            {"peak": g.peak() / 2**20, "anon": g.peak_anon / 2**20, "oom": g.oom_kills()}
            for g in filter(None, groups)
        ]
        for group in filter(None, groups):
            group.stop_sampling()
        for worker in workers:
            stop_process_group(worker)
        with stand.app.app_context():
            statuses = Counter(db.session.scalars(select(Order.status)))
            db.session.remove()
        shop_orders, per_sale = shop_orders_per_sale(stand)
        return {
            "workers": count,
            "seconds": elapsed,
            "per_minute": SALES / elapsed * 60,
            "statuses": dict(statuses),
            "shop_orders": shop_orders,
            "max_per_sale": max(per_sale.values(), default=0),
            "doubles": sum(1 for n in per_sale.values() if n > 1),
            "peaks_mb": [p / 2**20 for p in memory.peaks],
            "peak_parts": [shown(p) for p in memory.peak_parts],
            "cgroups": charged,
            "page_cache_dropped": dropped,
            "cpu_busy": busy / elapsed / psutil.cpu_count(),  # the whole machine's, 0–1
        }
    finally:
        for group in filter(None, groups):
            group.remove()
        stand.close()


def main():
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        sys.exit("bench/workers.py needs TEST_DATABASE_URL (PostgreSQL)")
    print(
        f"{machine()}; {SALES} sales, {ACCOUNTS} bot accounts, shop pages +{DELAY:g} s", flush=True
    )
    admin = create_engine(database_url(pg), isolation_level="AUTOCOMMIT")
    results = []
    for count in COUNTS:
        name = f"autoorder_bench_workers_{os.getpid()}_{count}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            result = run(count, url)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(result, flush=True)
        results.append(result)
    admin.dispose()
    base = results[0]["per_minute"]
    capped = f"capped at {CAP_MB} MB, no swap" if CAP_MB else "no cap"
    print(
        "\n| workers | sales | time | sales/min | ratio to 1 | machine CPU busy "
        "| shop orders | doubles "
        f"| each worker's cgroup ({capped}): peak usage / peak anonymous / OOM kills "
        "| peak per worker (PSS, process tree) | cart statuses |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for r in results:
        charged = (
            "; ".join(f"{g['peak']:.0f} / {g['anon']:.0f} MB / {g['oom']}" for g in r["cgroups"])
            or "(no cgroup here)"
        )
        print(
            f"| {r['workers']} | {SALES} | {r['seconds']:.0f} s | {r['per_minute']:.1f} "
            f"| {r['per_minute'] / base:.2f}× | {r['cpu_busy']:.0%} | {r['shop_orders']} "
            f"| {r['doubles']} | {charged} "
            f"| {', '.join(f'{p:.0f}' for p in r['peaks_mb'])} MB | {r['statuses']} |"
        )
    top = results[-1]
    if len(results) > 1:
        ratio = top["per_minute"] / base
        print(f"{top['workers']} workers ≥ 3× one: {ratio:.2f}× {verdict(ratio >= 3)}")
    doubles = sum(r["doubles"] for r in results)
    print(f"double orders: {doubles} {verdict(doubles == 0)}")
    if all(r["cgroups"] for r in results):
        ooms = sum(g["oom"] for r in results for g in r["cgroups"])
        bought = all(set(r["statuses"]) == {"succeeded"} for r in results)
        print(
            f"every sale bought with each worker inside its {capped} cgroup, OOM kills {ooms}: "
            f"{verdict(bought and ooms == 0 and bool(CAP_MB))}"
        )
    print(f"done {machine()}")


if __name__ == "__main__":
    main()
