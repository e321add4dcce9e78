"""Chaos run for issue 9: several workers buying on ONE supplier bot account, with crashes.

    .venv/bin/python bench/chaos.py                       # 50 sales, ~4 min of chaos, SQLite
    .venv/bin/python bench/chaos.py --sales 10 --duration 60
    DB=postgresql://autoorder:autoorder@127.0.0.1:5432/autoorder_test_d
    .venv/bin/python bench/chaos.py --db $DB
    .venv/bin/python bench/chaos.py --throughput
    # orders/min: 1 worker on 1 account vs 2 on 2

What it starts (all real processes, like the Procfile): a redis-server, the demo shop, the eBay
emulator, a ``flask scheduler`` (a second one for a while), two in-process workers
(``flask --app app worker --no-scheduler``) and one forking worker (``--fork``). One team, ONE bot
account on the shop, eight listings mapped to different shop products/variants. Live sales with
distinct buyers are created on the eBay emulator over the run and detected by the product's own
polling; some are cancelled by the buyer inside the (short) buffer. Meanwhile, from a seeded plan:
SIGKILLs of random workers (each with its browser and work-horse) with replacements started; once a
SIGKILL of a forking worker's main process alone while its work-horse is buying (the horse runs on);
one Redis restart (SIGKILL, then started again empty on the same port); a second scheduler for a
while; one warm SIGTERM; duplicate order jobs (RQ directly with fresh ids, and ``enqueue_order``).
A process that exits without being killed is recorded as a crash and restarted (as a dyno manager
would).

Then it waits until nothing is waiting or in progress (bounded), stops everything and checks the
shop's OWN records (``GET /sandbox/orders``: lines, quantities, note, ship-to) against the sales:
every live sale bought exactly once with the right variant, quantity and ship-to name + postal code;
no shop order for a sale cancelled in the buffer; none stuck. It prints a per-sale table of what is
wrong and the counts, and exits 1 on any violation.

Nothing outside a throwaway directory is written (``--keep`` keeps it, with every process's log;
it is kept anyway when the run fails). ``--db`` (or ``TEST_DATABASE_URL``) runs on PostgreSQL:
EVERY TABLE IN THAT DATABASE IS DROPPED and rebuilt with the migrations.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import itertools
import logging
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from autoorder import create_app  # noqa: E402
from autoorder.config import TestConfig, database_url  # noqa: E402
from autoorder.demo import connect_emulator_account  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.models import Order, Team  # noqa: E402
from tests import stand, support  # noqa: E402
from tests.factories import make_bot, make_listing, make_supplier, make_user  # noqa: E402
from tests.stand import descendants  # noqa: E402

SHOP_PASSWORD = "demo-password"
BOT_ACCOUNTS = ("buyer@demo.test", "chaos-second@demo.test")  # the second is created on the shop
# (shop product slug, shop variant id, eBay price): different products and variants, so a supplier
# order holding another sale's goods is visible in the shop's own record.
CATALOG = [
    ("phone-case", "PC-BLK", "19.99"),
    ("phone-case", "PC-NVY", "19.99"),
    ("cotton-tshirt", "TS-BLK-M", "29.95"),
    ("cotton-tshirt", "TS-GRY-L", "29.95"),
    ("led-desk-lamp", "LAMP-STD", "44.50"),
    ("wireless-earbuds", "EB-WHT", "39.99"),
    ("yoga-mat", "YM-TEA", "34.99"),
    ("watch-band", "WB-RED-45", "14.99"),
]
FIRST = (
    "Ada Ben Cleo Dev Elif Finn Gia Hugo Ines Jon Kai Lena Milo Nora Otto Pia Quin Rosa Saul Tara"
)
LAST = (
    "Abbott Bauer Cho Diaz Eno Fox Gray Holt Ivey Jain Kerr Lund Moss Nash Orr Park Quay Ruiz Sato "
    "Vega"
)
PLACES = [
    ("Austin", "TX"),
    ("Denver", "CO"),
    ("Portland", "OR"),
    ("Miami", "FL"),
    ("Albany", "NY"),
    ("Seattle", "WA"),
    ("Fresno", "CA"),
    ("Newark", "NJ"),
    ("Boise", "ID"),
]
NOTE_RE = re.compile(r"^AO-(\d+)-")
ACTIVE = ("waiting", "in_progress")
LOG_PATTERNS = {
    "database is locked": "database is locked",
    "ConnectionError": r"ConnectionError",
    "JobTimeoutException": "JobTimeoutException",
    "AbandonedJobError": "AbandonedJobError",
    "lease lost": "lease lost",
    "review page lists": "review page lists",
    "Traceback": "Traceback",
}


# --- settings and plan ----------------------------------------------------------------------------
@dataclass
class Settings:
    sales: int = 50
    seed: int = 9
    duration: float = 240.0  # seconds of chaos; sales are created in the first 75 %
    buffer: int = 10  # the team's cancellation buffer, seconds
    cancel_fraction: float = 0.15  # sales the buyer cancels inside the buffer
    qty2_fraction: float = 0.2  # sales of quantity 2
    workers: int = 2  # in-process workers (flask worker --no-scheduler)
    fork_workers: int = 1  # forking workers (--fork)
    kill_every: float = 12.0  # mean seconds between SIGKILLs of a random worker (0: none)
    max_kills: int | None = None
    horse_kill_at: float | None = 0.35  # fraction of duration; None: no main-process-only kill
    redis_restart_at: float | None = 0.5
    second_scheduler: tuple[float, float] | None = (0.2, 0.6)
    sigterm_at: float | None = 0.7
    dup_every: float = 5.0  # mean seconds between duplicate order jobs (0: none)
    lease: int = 45  # AUTOORDER_ORDER_LEASE_SECONDS of the processes
    job_timeout: int = 120  # AUTOORDER_ORDER_JOB_TIMEOUT
    poll: int = 5  # AUTOORDER_POLL_SECONDS
    quiesce: float = 300.0  # at most this long after the chaos for everything to settle
    sigterm_grace: float = 60.0
    verbose: bool = True


@dataclass
class Sale:
    index: int
    at: float  # seconds after the start
    catalog: int
    quantity: int
    name: str
    postal_code: str
    city: str
    state: str
    line1: str
    cancel_at: float | None = None  # seconds after the start, inside the buffer
    ebay_order_id: str | None = None
    created_at: float | None = None
    cancelled_at: float | None = None

    @property
    def slug(self):
        return CATALOG[self.catalog][0]

    @property
    def variant_id(self):
        return CATALOG[self.catalog][1]

    def buyer(self) -> dict:
        return {
            "name": self.name,
            "username": self.name.lower().replace(" ", "_"),
            "phone": "5125550100",
            "email": f"{self.name.lower().replace(' ', '.')}@buyers.test",
            "address": {
                "addressLine1": self.line1,
                "city": self.city,
                "stateOrProvince": self.state,
                "postalCode": self.postal_code,
                "countryCode": "US",
            },
        }


def plan_sales(settings: Settings) -> list[Sale]:
    rng = random.Random(settings.seed)
    names = rng.sample(
        [f"{f} {last}" for f in FIRST.split() for last in LAST.split()], settings.sales
    )
    zips = rng.sample(range(10000, 99999), settings.sales)
    window = max(1.0, settings.duration * 0.75)
    times = sorted(rng.uniform(1.0, window) for _ in range(settings.sales))
    cancels = set(
        rng.sample(range(settings.sales), round(settings.sales * settings.cancel_fraction))
    )
    sales = []
    for i, (at, name, zip_code) in enumerate(zip(times, names, zips, strict=True)):
        city, state = rng.choice(PLACES)
        sale = Sale(
            index=i + 1,
            at=at,
            catalog=rng.randrange(len(CATALOG)),
            quantity=2 if rng.random() < settings.qty2_fraction else 1,
            name=name,
            postal_code=f"{zip_code:05d}",
            city=city,
            state=state,
            line1=f"{rng.randint(1, 999)} {rng.choice(['Oak', 'Elm', 'Pine', 'Main'])} St",
        )
        if i in cancels:
            sale.cancel_at = at + rng.uniform(1.0, max(1.5, settings.buffer - 2.0))
        sales.append(sale)
    return sales


# --- processes ------------------------------------------------------------------------------------
def cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def kill_pids(pids, sig=signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def work_horses(pid: int) -> list[int]:
    """A forking worker's children that drive a browser (a work-horse in an order job)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return [
        c
        for c in children
        if "python" in cmdline(c) and any("chrom" in cmdline(d) for d in descendants(c))
    ]


@dataclass
class Proc:
    name: str
    kind: str  # worker | fork | scheduler
    popen: subprocess.Popen
    log: Path
    started: float
    stopping: str | None = None  # why the harness stopped it (then its exit is expected)
    sigterm_deadline: float | None = None
    exit_seen: bool = False


class Processes:
    """Starts, kills and supervises the product's processes; records every exit."""

    COMMANDS = {
        "worker": ["worker", "--no-scheduler"],
        "fork": ["worker", "--no-scheduler", "--fork"],
        "scheduler": ["scheduler"],
    }

    def __init__(self, env: dict, logdir: Path, say):
        self.env, self.logdir, self.say = env, logdir, say
        self.procs: list[Proc] = []
        self.orphans: list[int] = []  # work-horses left running by a killed main process
        self.crashes: list[str] = []
        self.problems: list[str] = []  # e.g. a warm SIGTERM that did not stop a worker
        self.counter = Counter()
        self.on_replace = None  # called with (crashed, replacement)

    def start(self, kind: str) -> Proc:
        self.counter[kind] += 1
        name = f"{kind}-{self.counter[kind]}"
        log = self.logdir / f"{name}.log"
        handle = open(log, "w")  # noqa: SIM115 - the child keeps it
        popen = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", *self.COMMANDS[kind]],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        proc = Proc(name, kind, popen, log, time.monotonic())
        self.procs.append(proc)
        return proc

    def running(self, *kinds) -> list[Proc]:
        return [
            p
            for p in self.procs
            if p.popen.poll() is None and p.stopping is None and (not kinds or p.kind in kinds)
        ]

    def kill(self, proc: Proc, why: str) -> int:
        """SIGKILL the process with everything below it (browser, driver, work-horse)."""
        proc.stopping = why
        below = descendants(proc.popen.pid)
        kill_pids([proc.popen.pid, *below])
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(10)
        return len(below)

    def kill_main_only(self, proc: Proc, horse: int) -> None:
        proc.stopping = "SIGKILL of the main process only"
        self.orphans.append(horse)
        os.kill(proc.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(10)

    def sigterm(self, proc: Proc, grace: float) -> None:
        proc.stopping = "warm SIGTERM"
        proc.sigterm_deadline = time.monotonic() + grace
        os.kill(proc.popen.pid, signal.SIGTERM)

    def supervise(self, restart: bool = True) -> None:
        """Record exits; restart crashed processes; enforce SIGTERM grace periods."""
        now = time.monotonic()
        for proc in list(self.procs):
            code = proc.popen.poll()
            if code is None:
                if proc.sigterm_deadline and now > proc.sigterm_deadline:
                    self.problems.append(
                        f"{proc.name}: a warm SIGTERM did not stop it within the grace; SIGKILLed"
                    )
                    self.say(f"{proc.name} ignored SIGTERM past its grace: SIGKILL")
                    proc.sigterm_deadline = None
                    self.kill(proc, "SIGKILL after SIGTERM grace")
                continue
            if proc.exit_seen:
                continue
            proc.exit_seen = True
            if proc.stopping == "warm SIGTERM":
                self.say(
                    f"{proc.name} exited {code} after SIGTERM ({now - proc.started:.0f} s old)"
                )
                kill_pids(descendants(proc.popen.pid))
                continue
            if proc.stopping:
                continue
            last = _last_line(proc.log)
            self.crashes.append(f"{proc.name} exited with {code}: {last}")
            self.say(f"CRASH {proc.name} exited with {code}: {last}")
            kill_pids(descendants(proc.popen.pid))
            if restart:
                new = self.start(proc.kind)
                self.say(f"started {new.name} to replace it")
                if self.on_replace is not None:
                    self.on_replace(proc, new)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                self.kill(proc, "end of run")
            proc.exit_seen = True
        for horse in self.orphans:
            kill_pids([*descendants(horse), horse])
        self.orphans = []

    def orphans_alive(self) -> list[int]:
        return [pid for pid in self.orphans if alive(pid)]

    def logs(self) -> list[Path]:
        return [p.log for p in self.procs]


def _last_line(path: Path) -> str:
    try:
        lines = [x for x in path.read_text(errors="replace").splitlines() if x.strip()]
    except OSError:
        return "(no log)"
    return lines[-1][-200:] if lines else "(empty log)"


# --- the stand ------------------------------------------------------------------------------------
class Stand:
    """Redis (restartable), demo shop, eBay emulator, and the app on a migrated database.

    ``Stand.start()`` makes its own (the CLI); ``Stand(...)`` wraps parts a test already has.
    """

    def __init__(self, app, shop, ebay, redis, db_url: str, tmp: Path, owned: bool = False):
        self.app, self.shop, self.ebay, self.redis = app, shop, ebay, redis
        self.db_url, self.tmp, self.owned = db_url, tmp, owned

    @classmethod
    def start(cls, db_url: str | None = None, keep: bool = False) -> Stand:
        from sandbox.ebay.testing import start_ebay_sandbox
        from sandbox.shop.testing import start_shop

        tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
        db_url = database_url(db_url) if db_url else f"sqlite:///{tmp / 'chaos.sqlite3'}"
        redis = support.RedisServer(tmp)
        redis.start()
        shop = start_shop(seed=11, log_path=tmp / "shop.log")
        ebay = start_ebay_sandbox(seed=5, log_path=tmp / "ebay.log")
        app = create_app(
            TestConfig(
                SQLALCHEMY_DATABASE_URI=db_url,
                EVIDENCE_DIR=str(tmp / "evidence"),
                REDIS_URL=redis.url,
                EBAY_API_BASE_URL=ebay.url,
                EBAY_AUTH_BASE_URL=ebay.url,
                EBAY_CLIENT_ID="autoorder-demo",
                EBAY_CLIENT_SECRET="demo-secret",
                EBAY_REDIRECT_URI="autoorder-demo-RuName",
            )
        )
        with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
            support.reset_schema()
        app.logger.setLevel(logging.WARNING)
        logging.getLogger("autoorder").setLevel(logging.WARNING)
        stand = cls(app, shop, ebay, redis, db_url, tmp, owned=True)
        stand.keep = keep
        return stand

    def close(self, keep: bool = False) -> None:
        if not self.owned:
            return
        for server in (self.shop, self.ebay, self.redis):
            with contextlib.suppress(Exception):
                server.stop()
        if keep or getattr(self, "keep", False):
            print(f"  (kept {self.tmp}: process logs, shop/eBay logs, database if SQLite)")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def reset(self) -> None:
        """Empty database, Redis, shop and eBay emulator (between throughput runs)."""
        from autoorder.queues import redis_connection

        with self.app.app_context():
            db.session.remove()
            support.empty_tables()
        redis_connection(self.redis.url).flushall()
        self.shop.reset()
        self.ebay.control("POST", "/sandbox/reset", {"seed": 5})

    def restart_redis(self) -> None:
        """SIGKILL redis-server, then start it again, empty, on the same port."""
        self.redis.process.kill()
        self.redis.process.wait(10)
        time.sleep(1.0)
        self.redis.start(attempts=1)  # the same port or fail: the workers hold its URL

    def env(self, settings: Settings) -> dict:
        return stand.worker_env(
            self.app,
            secret="chaos",
            db_url=self.db_url,
            redis_url=self.redis.url,
            ebay_url=self.ebay.url,
            AUTOORDER_ORDER_LEASE_SECONDS=settings.lease,
            AUTOORDER_ORDER_JOB_TIMEOUT=settings.job_timeout,
            AUTOORDER_POLL_SECONDS=settings.poll,
            AUTOORDER_ORDER_BUFFER_SECONDS=settings.buffer,
            AUTOORDER_TRACKING_FIRST_CHECK_SECONDS=86400,
        )

    # --- one team wired to the stand-ins ----------------------------------------------------------
    def setup_team(self, *, accounts: int = 1, buffer: int = 10) -> Stand:
        """One team, ``accounts`` bots (one shop account each), a listing per catalog entry and
        bot, 1,000 credits and a connected eBay account (ids kept on the stand)."""
        variants = self._shop_variants()
        for slug in {slug for slug, _, _ in CATALOG}:
            self.shop.control("POST", f"/sandbox/products/{slug}/stock", {"stock": 100_000})
        for email in BOT_ACCOUNTS[1:accounts]:
            self.shop.control(
                "POST",
                "/sandbox/accounts",
                {"email": email, "password": SHOP_PASSWORD, "gift_card_balance": "500.00"},
            )
        with self.app.app_context():
            user = make_user(role="admin")
            team = db.session.get(Team, user.team_id)
            team.order_buffer_seconds = buffer
            supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url=self.shop.url)
            listings = {}  # (bot index, catalog index) -> eBay item id
            for b, email in enumerate(BOT_ACCOUNTS[:accounts]):
                bot = make_bot(
                    team,
                    supplier,
                    name=f"bot {b + 1}",
                    account_email=email,
                    password=SHOP_PASSWORD,
                    payment_method="card",
                )
                for c, (slug, variant_id, _) in enumerate(CATALOG):
                    item_id = f"3254{b + 1:02d}{c + 1:06d}"
                    make_listing(
                        team,
                        bot,
                        ebay_item_id=item_id,
                        sku=f"CH{b + 1}-{variant_id}",
                        title=f"{slug} {variant_id}",
                        supplier_product_url=f"{self.shop.url}/products/{slug}",
                        supplier_variant=variants[variant_id],
                        max_buy_price=Decimal("200.00"),
                    )
                    listings[(b, c)] = item_id
            stand.add_credits(team.id, 1000, actor="chaos")
            account = connect_emulator_account(team.id, "seller")
            db.session.commit()
            self.team_id, self.account_id, self.listings = team.id, account.id, listings
        return self

    def _shop_variants(self) -> dict:
        """Variant id -> the label a listing names (None for a product without options)."""
        catalog = self.shop.control("GET", "/sandbox/catalog")
        products = catalog.get("products", catalog) if isinstance(catalog, dict) else catalog
        labels = {}
        for product in products:
            for variant in product["variants"]:
                labels[variant["id"]] = variant["label"] if product["option_names"] else None
        return labels

    def sell(self, sale: Sale, bot_index: int = 0) -> str:
        slug, variant_id, price = CATALOG[sale.catalog]
        body = {
            "sku": f"CH{bot_index + 1}-{variant_id}",
            "legacyItemId": self.listings[(bot_index, sale.catalog)],
            "title": f"{slug} {variant_id}",
            "price": price,
            "quantity": sale.quantity,
            "buyer": sale.buyer(),
        }
        return self.ebay.control("POST", "/sandbox/orders", body)["orderId"]

    def cancel(self, ebay_order_id: str) -> None:
        self.ebay.control("POST", f"/sandbox/orders/{ebay_order_id}/cancel-request", {})

    def shop_orders(self) -> list[dict]:
        data = self.shop.control("GET", "/sandbox/orders")
        return data["orders"] if isinstance(data, dict) else data

    def db_orders(self) -> list[dict]:
        with self.app.app_context():
            rows = db.session.scalars(
                select(Order).where(Order.team_id == self.team_id).order_by(Order.id)
            ).all()
            out = [
                {
                    "id": o.id,
                    "ebay_order_id": o.ebay_order_id,
                    "status": o.status,
                    "failure_code": o.failure_code,
                    "failure_message": o.failure_message,
                    "supplier_order_number": o.supplier_order_number,
                    "order_after": o.order_after,
                    "ordered_at": o.ordered_at,
                    "status_changed_at": o.status_changed_at,
                }
                for o in rows
            ]
            db.session.remove()
        return out


# --- the chaos run --------------------------------------------------------------------------------
class Chaos:
    def __init__(self, stand: Stand, settings: Settings, out=print):
        self.stand, self.s, self.out = stand, settings, out
        self.rng = random.Random(settings.seed * 7919 + 1)
        self.t0 = time.monotonic()
        self.events: list[str] = []
        self.counts = Counter()
        self.sales = plan_sales(settings)
        self._seq = itertools.count()

    def say(self, text: str) -> None:
        line = f"  t+{time.monotonic() - self.t0:6.1f}s  {text}"
        self.events.append(line)
        if self.s.verbose:
            self.out(line)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    # --- the timeline -----------------------------------------------------------------------------
    def _timeline(self) -> list[tuple[float, int, str, object]]:
        s, rng, plan = self.s, self.rng, []
        for sale in self.sales:
            plan.append((sale.at, "sale", sale))
            if sale.cancel_at is not None:
                plan.append((sale.cancel_at, "cancel", sale))
        if s.kill_every:
            t, kills = s.kill_every * rng.uniform(0.7, 1.3), 0
            while t < s.duration - 5 and (s.max_kills is None or kills < s.max_kills):
                plan.append((t, "kill", None))
                t += s.kill_every * rng.uniform(0.6, 1.4)
                kills += 1
        if s.dup_every:
            t = s.dup_every * rng.uniform(0.5, 1.5)
            while t < s.duration:
                plan.append((t, "dup", None))
                t += s.dup_every * rng.uniform(0.5, 1.5)
        for fraction, action in (
            (s.horse_kill_at, "horse-kill"),
            (s.redis_restart_at, "redis-restart"),
            (s.sigterm_at, "sigterm"),
        ):
            if fraction is not None:
                plan.append((fraction * s.duration, action, None))
        if s.second_scheduler:
            plan.append((s.second_scheduler[0] * s.duration, "scheduler2-start", None))
            plan.append((s.second_scheduler[1] * s.duration, "scheduler2-stop", None))
        heap = [(at, next(self._seq), action, arg) for at, action, arg in plan]
        heapq.heapify(heap)
        return heap

    def _actions(self) -> dict:
        return {
            "sale": self._do_sale,
            "cancel": self._do_cancel,
            "kill": self._do_kill,
            "dup": self._do_dup,
            "horse-kill": self._do_horse_kill,
            "redis-restart": self._do_redis_restart,
            "sigterm": self._do_sigterm,
            "scheduler2-start": self._do_scheduler2_start,
            "scheduler2-stop": self._do_scheduler2_stop,
        }

    def run(self) -> Report:
        s, stand = self.s, self.stand
        app = stand.app
        saved = {k: app.config.get(k) for k in ("REDIS_URL", "ORDER_JOB_TIMEOUT")}
        app.config.update(REDIS_URL=stand.redis.url, ORDER_JOB_TIMEOUT=s.job_timeout)
        stand.setup_team(accounts=1, buffer=s.buffer)
        self.procs = Processes(stand.env(s), stand.tmp, self.say)
        self.procs.on_replace = self._replaced
        self.scheduler2 = None
        try:
            self.t0 = time.monotonic()
            self.procs.start("scheduler")
            for _ in range(s.workers):
                self.procs.start("worker")
            for _ in range(s.fork_workers):
                self.procs.start("fork")
            self.say(
                f"started 1 scheduler, {s.workers} in-process and {s.fork_workers} forking "
                f"worker(s); {len(self.sales)} sales planned over {s.duration * 0.75:.0f} s "
                f"({sum(x.cancel_at is not None for x in self.sales)} to be cancelled)"
            )
            self._chaos_phase()
            settled = self._quiesce()
        finally:
            self.procs.stop_all()
            app.config.update(saved)
        time.sleep(1.0)  # a request the shop was given when its client died finishes
        report = check(stand, self.sales, stand.db_orders(), stand.shop_orders())
        report.settled, report.runtime = settled, self.elapsed()
        report.crashes, report.process_problems = self.procs.crashes, self.procs.problems
        report.events, report.counts = self.events, self.counts
        report.log_findings = scan_logs(self.procs.logs())
        return report

    def _chaos_phase(self) -> None:
        heap = self._timeline()
        while heap:
            at, _, action, arg = heap[0]
            if self.elapsed() < at:
                self.procs.supervise()
                time.sleep(min(0.2, max(0.0, at - self.elapsed())))
                continue
            heapq.heappop(heap)
            retry = self._actions()[action](arg)
            if retry:  # not possible yet: try again shortly
                heapq.heappush(heap, (self.elapsed() + 0.5, next(self._seq), action, retry))
            self.procs.supervise()
        while self.elapsed() < self.s.duration:
            self.procs.supervise()
            time.sleep(0.2)
        if self.scheduler2 is not None and self.scheduler2.popen.poll() is None:
            self._do_scheduler2_stop(None)

    def _replaced(self, old: Proc, new: Proc) -> None:
        if old is self.scheduler2:
            self.scheduler2 = new

    def _do_sale(self, sale: Sale):
        try:
            sale.ebay_order_id = self.stand.sell(sale)
        except Exception as exc:  # noqa: BLE001 - record and go on
            self.say(f"sale {sale.index}: the eBay emulator refused it ({exc})")
            return None
        sale.created_at = self.elapsed()
        self.counts["sales"] += 1
        if self.s.verbose:
            self.say(
                f"sale {sale.index} {sale.variant_id} x{sale.quantity} for {sale.name} "
                f"{sale.postal_code} (eBay {sale.ebay_order_id})"
                + (" - will be cancelled" if sale.cancel_at is not None else "")
            )
        return None

    def _do_cancel(self, sale: Sale):
        if sale.ebay_order_id is None:
            return None
        self.stand.cancel(sale.ebay_order_id)
        sale.cancelled_at = self.elapsed()
        self.counts["buyer cancels"] += 1
        self.say(
            f"buyer cancels sale {sale.index} {sale.cancelled_at - sale.created_at:.1f} s "
            f"after the sale (buffer {self.s.buffer} s)"
        )
        return None

    def _do_kill(self, _):
        candidates = self.procs.running("worker", "fork")
        if not candidates:
            return None
        victim = self.rng.choice(candidates)
        below = self.procs.kill(victim, "SIGKILL")
        self.counts["SIGKILL worker"] += 1
        new = self.procs.start(victim.kind)
        self.say(f"SIGKILL {victim.name} (+{below} processes below it); started {new.name}")
        return None

    def _do_horse_kill(self, deadline):
        deadline = deadline if isinstance(deadline, float) else self.elapsed() + 60
        for proc in self.procs.running("fork"):
            horses = work_horses(proc.popen.pid)
            if horses:
                self.procs.kill_main_only(proc, horses[0])
                self.counts["SIGKILL forking main process only"] += 1
                new = self.procs.start("fork")
                self.say(
                    f"SIGKILL {proc.name}'s main process only; its work-horse {horses[0]} buys on; "
                    f"started {new.name}"
                )
                return None
        if self.elapsed() > deadline:
            self.say("no forking worker had a work-horse in an order job for 60 s: not done")
            return None
        return deadline

    def _do_redis_restart(self, _):
        self.stand.restart_redis()
        self.counts["Redis restart"] += 1
        self.say("Redis SIGKILLed and started again, empty, on the same port")
        return None

    def _do_scheduler2_start(self, _):
        self.scheduler2 = self.procs.start("scheduler")
        self.counts["second scheduler"] += 1
        self.say(f"second scheduler {self.scheduler2.name} started")
        return None

    def _do_scheduler2_stop(self, _):
        if self.scheduler2 is not None and self.scheduler2.popen.poll() is None:
            self.procs.kill(self.scheduler2, "end of the second scheduler's while")
            self.say(f"second scheduler {self.scheduler2.name} stopped")
        self.scheduler2 = None
        return None

    def _do_sigterm(self, _):
        candidates = self.procs.running("worker")
        if not candidates:
            return None
        victim = self.rng.choice(candidates)
        self.procs.sigterm(victim, self.s.sigterm_grace)
        self.counts["warm SIGTERM"] += 1
        new = self.procs.start("worker")
        self.say(f"SIGTERM {victim.name} (warm shutdown); started {new.name}")
        return None

    def _do_dup(self, _):
        from rq import Callback

        from autoorder.jobs import enqueue_order
        from autoorder.queues import get_queue

        app = self.stand.app
        with app.app_context():
            from autoorder import clock

            now = clock.now()
            rows = db.session.execute(
                select(Order.id, Order.status, Order.order_after).where(
                    Order.team_id == self.stand.team_id, Order.status.in_(ACTIVE)
                )
            ).all()
            db.session.remove()
            due = [r.id for r in rows if r.status == "in_progress" or r.order_after <= now]
            if not due:
                return None
            order_id = self.rng.choice(due)
            try:
                if self.rng.random() < 0.5:
                    for _ in range(self.rng.choice((1, 2))):
                        get_queue("orders").enqueue(
                            "autoorder.jobs.ordering.place_order",
                            order_id,
                            job_id=f"chaos-dup-{order_id}-{uuid.uuid4().hex[:6]}",
                            job_timeout=self.s.job_timeout,
                            on_failure=Callback("autoorder.jobs.failures.flag_order"),
                        )
                        self.counts["duplicate job (RQ, fresh id)"] += 1
                    how = "RQ directly, fresh id"
                else:
                    enqueue_order(order_id)
                    self.counts["duplicate job (enqueue_order)"] += 1
                    how = "enqueue_order"
            except Exception as exc:  # noqa: BLE001 - Redis may be down right now
                self.say(f"duplicate job for order {order_id} not enqueued ({type(exc).__name__})")
                return None
        self.say(f"duplicate job for order {order_id} ({how})")
        return None

    def _quiesce(self) -> bool:
        """Wait (bounded) until every sale is in the database and none is waiting or in progress."""
        deadline = time.monotonic() + self.s.quiesce
        self.say(f"chaos over; waiting up to {self.s.quiesce:.0f} s for every sale to settle")
        created = {x.ebay_order_id for x in self.sales if x.ebay_order_id}
        last_note, stable_since, shop_count = 0.0, None, -1
        while time.monotonic() < deadline:
            self.procs.supervise()
            rows = self.stand.db_orders()
            ingested = {r["ebay_order_id"] for r in rows}
            active = [r for r in rows if r["status"] in ACTIVE]
            missing = created - ingested
            count = len(self.stand.shop_orders())
            settled = not active and not missing and not self.procs.orphans_alive()
            if settled and count == shop_count:
                if stable_since and time.monotonic() - stable_since > 3:
                    self.say("settled: nothing waiting or in progress, every sale ingested")
                    return True
                stable_since = stable_since or time.monotonic()
            else:
                stable_since = None
            shop_count = count
            if time.monotonic() - last_note > 30:
                last_note = time.monotonic()
                self.say(
                    f"settling: {len(active)} waiting/in progress, {len(missing)} not ingested, "
                    f"{len(self.procs.orphans_alive())} orphaned work-horse(s), {count} shop orders"
                )
            time.sleep(1.0)
        self.say(f"NOT settled after {self.s.quiesce:.0f} s")
        return False


# --- the check against the shop's own records -----------------------------------------------------
CATEGORIES = [
    ("double_buy", "double buys (a live sale in more than one shop order)"),
    ("wrong_item", "wrong items (a shop order for the sale lacks its variant)"),
    ("extra_item", "extra items (a shop order for the sale holds other goods too)"),
    ("wrong_quantity", "wrong quantities"),
    ("wrong_address", "wrong addresses (ship-to name or postal code of another buyer)"),
    ("not_bought", "live sales not bought (no shop order carries their reference)"),
    ("stuck", "stuck (waiting / in progress at the end, or never ingested)"),
    ("bought_cancelled", "bought although cancelled in the buffer"),
    ("false_success", "recorded succeeded, but the recorded supplier order is not a correct one"),
    ("unrecorded_buy", "bought correctly, but not recorded as succeeded with that order"),
    ("orphan", "shop orders whose note names no sale"),
]


@dataclass
class Report:
    sales: list[Sale]
    rows: list[dict]  # per sale: sale, order, shop orders, problems
    counts: Counter = field(default_factory=Counter)  # filled by Chaos: what was done
    violations: Counter = field(default_factory=Counter)
    orphans: list[dict] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    settled: bool = True
    runtime: float = 0.0
    crashes: list[str] = field(default_factory=list)
    process_problems: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    log_findings: dict = field(default_factory=dict)
    shop_order_count: int = 0

    @property
    def ok(self) -> bool:
        return not any(self.violations.values()) and not self.crashes and not self.process_problems

    def summary(self) -> dict:
        out = {key: self.violations.get(key, 0) for key, _ in CATEGORIES}
        out["process_crashes"] = len(self.crashes)
        out["process_problems"] = len(self.process_problems)
        return out


def _lines(shop_order: dict) -> list[tuple[str, int]]:
    items = shop_order.get("items") or [
        {"variant_id": shop_order.get("variant_id"), "quantity": shop_order.get("quantity")}
    ]
    return [(i["variant_id"], int(i["quantity"])) for i in items]


def _shop_order_problems(sale: Sale, shop_order: dict) -> list[str]:
    problems, lines = [], _lines(shop_order)
    variants = [v for v, _ in lines]
    if sale.variant_id not in variants:
        problems.append("wrong_item")
    elif len(lines) > 1:
        problems.append("extra_item")
    elif lines[0][1] != sale.quantity:
        problems.append("wrong_quantity")
    ship = shop_order.get("ship_to") or {}
    if ship.get("full_name") != sale.name or ship.get("postal_code") != sale.postal_code:
        problems.append("wrong_address")
    return problems


def check(stand: Stand, sales: list[Sale], db_rows: list[dict], shop_orders: list[dict]) -> Report:
    """Compare every sale with the shop's own record of what was placed."""
    by_ebay = {r["ebay_order_id"]: r for r in db_rows}
    by_id = {r["id"]: r for r in db_rows}
    shop_by_order: dict[int, list[dict]] = {}
    report = Report(sales=sales, rows=[], shop_order_count=len(shop_orders))
    for so in shop_orders:
        match = NOTE_RE.match(so.get("note") or "")
        if match and int(match.group(1)) in by_id:
            shop_by_order.setdefault(int(match.group(1)), []).append(so)
        else:
            report.orphans.append(so)
            report.violations["orphan"] += 1
    for sale in sales:
        if sale.ebay_order_id is None:
            continue  # the emulator refused it (reported when it happened)
        row = by_ebay.get(sale.ebay_order_id)
        placed = shop_by_order.get(row["id"], []) if row else []
        problems = _sale_problems(sale, row, placed)
        report.statuses[row["status"] if row else "not ingested"] += 1
        if row and row["status"] not in ("succeeded", "cancelled"):
            reason = f"{row['status']}: {row['failure_code'] or ''} {row['failure_message'] or ''}"
            report.reasons[re.sub(r"\d+", "N", reason)[:110]] += 1
        for problem in set(problems):
            report.violations[problem] += 1
        report.rows.append({"sale": sale, "order": row, "placed": placed, "problems": problems})
    return report


def _sale_problems(sale: Sale, row: dict | None, placed: list[dict]) -> list[str]:
    if row is None:
        return ["stuck"]
    problems = ["stuck"] if row["status"] in ACTIVE else []
    if sale.cancel_at is not None:
        return problems + (["bought_cancelled"] if placed else [])
    if not placed:
        problems.append("not_bought")
    if len(placed) > 1:
        problems.append("double_buy")
    correct = []
    for so in placed:
        wrong = _shop_order_problems(sale, so)
        problems += wrong
        if not wrong:
            correct.append(so["number"])
    if row["status"] == "succeeded" and row["supplier_order_number"] not in correct:
        problems.append("false_success")
    if correct and (row["status"] != "succeeded" or row["supplier_order_number"] not in correct):
        problems.append("unrecorded_buy")
    return problems


def scan_logs(paths: list[Path]) -> dict:
    found = Counter()
    for path in paths:
        with contextlib.suppress(OSError):
            text = path.read_text(errors="replace")
            for label, pattern in LOG_PATTERNS.items():
                hits = len(re.findall(pattern, text))
                if hits:
                    found[label] += hits
    return dict(found)


# --- printing -------------------------------------------------------------------------------------
def _describe(so: dict) -> str:
    lines = "+".join(f"{v}x{q}" for v, q in _lines(so))
    ship = so.get("ship_to") or {}
    return f"{so['number']} [{lines}] to {ship.get('full_name')} {ship.get('postal_code')}"


def print_report(report: Report, settings: Settings, out=print) -> None:
    out("")
    out("=" * 100)
    out("Chaos run (issue 9): several workers on ONE supplier bot account")
    out("=" * 100)
    out(
        f"settings: {settings.sales} sales, seed {settings.seed}, {settings.duration:.0f} s of "
        "chaos, "
        f"buffer {settings.buffer} s, {settings.workers} in-process + {settings.fork_workers} "
        "forking "
        f"worker(s), lease {settings.lease} s, job timeout {settings.job_timeout} s"
    )
    out(f"done: {', '.join(f'{k} {v}' for k, v in report.counts.items()) or 'nothing'}")
    out(
        f"runtime {report.runtime:.0f} s; "
        + ("settled" if report.settled else "NOT settled within the bound")
    )
    out(f"shop orders placed: {report.shop_order_count}")
    out(f"final sale statuses: {dict(report.statuses)}")
    if report.reasons:
        out("why live/cancelled sales are not succeeded/cancelled (grouped):")
        for reason, n in report.reasons.most_common():
            out(f"  {n:3d} x {reason}")
    bad = [r for r in report.rows if r["problems"]]
    if bad:
        out("")
        out("sales with a violation:")
        out(
            f"  {'sale':>4} {'order':>5}  {'expects':<22} {'ship-to':<24} {'db status':<16} "
            "problems"
        )
        for r in bad:
            sale, row = r["sale"], r["order"]
            expects = f"{sale.variant_id} x{sale.quantity}" + (
                " (cancelled)" if sale.cancel_at is not None else ""
            )
            status = row["status"] if row else "not ingested"
            out(
                f"  {sale.index:>4} {row['id'] if row else '-':>5}  {expects:<22} "
                f"{sale.name + ' ' + sale.postal_code:<24} {status:<16} "
                f"{', '.join(sorted(set(r['problems'])))}"
            )
            for so in r["placed"]:
                out(f"  {'':>12}shop order {_describe(so)} (note {so.get('note')})")
            if row and row["status"] == "succeeded":
                out(f"  {'':>12}recorded supplier order: {row['supplier_order_number']}")
            if row and row["failure_message"]:
                out(f"  {'':>12}{row['failure_code']}: {row['failure_message'][:150]}")
    for so in report.orphans:
        out(f"  orphan shop order {_describe(so)} (note {so.get('note')!r})")
    if report.crashes or report.process_problems:
        out("")
        out("process crashes / problems (restarted by the harness):")
        for line in report.crashes + report.process_problems:
            out(f"  {line}")
    if report.log_findings:
        out("")
        out(
            "in the process logs: "
            + ", ".join(f"{k} x{v}" for k, v in sorted(report.log_findings.items()))
        )
    out("")
    out("SUMMARY")
    for key, text in CATEGORIES:
        out(f"  {report.violations.get(key, 0):4d}  {text}")
    out(f"  {len(report.crashes):4d}  process crashes (exits the harness did not cause)")
    out(f"  {len(report.process_problems):4d}  other process problems")
    out(f"VERDICT: {'PASS' if report.ok else 'FAIL'}")


# --- throughput -----------------------------------------------------------------------------------
def run_throughput(stand: Stand, sales: int, seed: int, configs, out=print) -> list[dict]:
    """Orders per minute with ``workers`` in-process workers on ``accounts`` bot accounts, no chaos.

    The sales are ingested and made due at once, then enqueued while the workers are idle; the
    clock runs from the enqueue to the last order leaving in progress."""
    from autoorder.jobs import enqueue_order
    from autoorder.jobs.sales import poll_ebay_account

    settings = Settings(sales=sales, seed=seed, buffer=0, lease=120, job_timeout=120)
    results = []
    for workers, accounts in configs:
        stand.reset()
        stand.app.config.update(REDIS_URL=stand.redis.url, ORDER_JOB_TIMEOUT=120)
        stand.setup_team(accounts=accounts, buffer=0)
        plan = plan_sales(Settings(sales=sales, seed=seed, cancel_fraction=0, qty2_fraction=0))
        for sale in plan:
            sale.ebay_order_id = stand.sell(sale, bot_index=(sale.index - 1) % accounts)
        with stand.app.app_context():
            poll_ebay_account(stand.account_id)
            db.session.remove()
        procs = Processes(stand.env(settings), stand.tmp, lambda text: None)
        try:
            for _ in range(workers):
                procs.start("worker")
            time.sleep(8)  # the workers start and connect before the clock starts
            rows = stand.db_orders()
            with stand.app.app_context():
                started = time.monotonic()
                for row in rows:
                    enqueue_order(row["id"])
            deadline = started + 600
            while time.monotonic() < deadline:
                rows = stand.db_orders()
                if not [r for r in rows if r["status"] in ACTIVE]:
                    break
                time.sleep(0.5)
            elapsed = time.monotonic() - started
        finally:
            procs.stop_all()
        report = check(stand, plan, stand.db_orders(), stand.shop_orders())
        done = sum(1 for r in report.rows if not r["problems"])
        result = {
            "workers": workers,
            "accounts": accounts,
            "sales": len(plan),
            "correct": done,
            "violations": dict(report.violations),
            "seconds": elapsed,
            "per_minute": done * 60 / elapsed,
        }
        results.append(result)
        out(
            f"  {workers} worker(s) on {accounts} bot account(s): {done}/{len(plan)} bought "
            f"correctly in {elapsed:.1f} s = {result['per_minute']:.1f} orders/min "
            f"(load average {os.getloadavg()[0]:.1f})"
            + (f"; violations {dict(report.violations)}" if report.violations else "")
        )
    return results


# --- CLI ------------------------------------------------------------------------------------------
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sales", type=int, default=50, help="live sales to create (default 50)")
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--duration", type=float, default=240, help="seconds of chaos (default 240)")
    p.add_argument("--buffer", type=int, default=10, help="cancellation buffer, s (default 10)")
    p.add_argument("--kill-every", type=float, default=12, help="mean s between worker SIGKILLs")
    p.add_argument("--dup-every", type=float, default=5, help="mean s between duplicate jobs")
    p.add_argument("--workers", type=int, default=2, help="in-process workers (default 2)")
    p.add_argument("--fork-workers", type=int, default=1, help="forking workers (default 1)")
    p.add_argument("--lease", type=int, default=45, help="order lease, s (default 45)")
    p.add_argument("--job-timeout", type=int, default=120, help="order job timeout, s")
    p.add_argument("--quiesce", type=float, default=300, help="bound on settling, s (default 300)")
    p.add_argument(
        "--calm", action="store_true", help="no kills, Redis restart, second scheduler or dups"
    )
    p.add_argument(
        "--db",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="database URL (default: a throwaway SQLite file; TEST_DATABASE_URL if set). "
        "Every table in it is dropped.",
    )
    p.add_argument(
        "--shop-slow",
        type=float,
        default=0,
        help="the shop's `slow` fault: every shop page waits this long (widens the races)",
    )
    p.add_argument("--keep", action="store_true", help="keep the run directory with the logs")
    p.add_argument("--quiet", action="store_true", help="no live timeline")
    p.add_argument(
        "--throughput",
        action="store_true",
        help="measure orders/min: 1 worker on 1 account, 2 on 1, 2 on 2 (no chaos)",
    )
    p.add_argument("--throughput-sales", type=int, default=20)
    p.add_argument("--throughput-rounds", type=int, default=2)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stand = Stand.start(args.db, keep=args.keep)
    ok = False
    try:
        if args.throughput:
            print(
                f"throughput, {args.throughput_sales} sales per configuration, no faults; "
                f"{args.throughput_rounds} round(s), 1-on-1 and 2-on-2 alternating (ABBA); "
                f"nproc {os.cpu_count()}"
            )
            configs = []
            for r in range(args.throughput_rounds):
                pair = [(1, 1), (2, 2)] if r % 2 == 0 else [(2, 2), (1, 1)]
                configs += pair + ([(2, 1)] if r == 0 else [])
            results = run_throughput(stand, args.throughput_sales, args.seed, configs)
            print("median orders/min:")
            for key in dict.fromkeys((r["workers"], r["accounts"]) for r in results):
                rates = sorted(
                    r["per_minute"] for r in results if (r["workers"], r["accounts"]) == key
                )
                print(
                    f"  {key[0]} worker(s) on {key[1]} bot account(s): "
                    f"{statistics.median(rates):.1f} (runs: {', '.join(f'{x:.1f}' for x in rates)})"
                )
            ok = True
            return 0
        settings = Settings(
            sales=args.sales,
            seed=args.seed,
            duration=args.duration,
            buffer=args.buffer,
            kill_every=args.kill_every,
            dup_every=args.dup_every,
            workers=args.workers,
            fork_workers=args.fork_workers,
            lease=args.lease,
            job_timeout=args.job_timeout,
            quiesce=args.quiesce,
            verbose=not args.quiet,
        )
        if args.calm:
            settings.kill_every = settings.dup_every = 0
            settings.horse_kill_at = settings.redis_restart_at = settings.sigterm_at = None
            settings.second_scheduler = None
        print(f"run directory {stand.tmp}; database {stand.db_url.split('@')[-1]}")
        if args.shop_slow:
            stand.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": args.shop_slow})
        report = Chaos(stand, settings).run()
        print_report(report, settings)
        ok = report.ok
        return 0 if ok else 1
    finally:
        stand.close(keep=args.keep or not ok)


if __name__ == "__main__":
    sys.exit(main())
