"""Shared stand for the order-loop benchmarks (not a benchmark itself).

A ``Stand`` is everything one benchmark needs, started fresh and torn down afterwards: a throwaway
directory, a redis-server, the demo shop and the eBay emulator as subprocesses, a SQLite file built
with the real migrations, one team wired to both (``tests/stand.py``, shared with the loop tests),
and real worker processes on demand. Nothing outside the throwaway directory is written (set
BENCH_KEEP=1 to keep it).
"""

import contextlib
import io
import json
import logging
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import requests  # noqa: E402
from sqlalchemy import select  # noqa: E402

from autoorder import clock, create_app  # noqa: E402
from autoorder.config import TestConfig  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.models import Order  # noqa: E402
from autoorder.scrapers.browser import chromium_executable  # noqa: E402
from sandbox.ebay.testing import start_ebay_sandbox  # noqa: E402
from sandbox.shop.testing import start_shop  # noqa: E402
from tests import stand, support  # noqa: E402

SHOP_EMAIL, SHOP_PASSWORD, ITEM, BUYER = (
    stand.SHOP_EMAIL,
    stand.SHOP_PASSWORD,
    stand.ITEM,
    stand.BUYER,
)
CHROMIUM = chromium_executable(os.environ.get("AUTOORDER_CHROMIUM_PATH"))  # as the workers pick it
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Stand:
    """Fresh shop + eBay emulator + Redis + migrated SQLite + one team. Use as a context manager."""

    def __init__(
        self,
        name: str,
        *,
        buffer_seconds: int = 600,
        lease_seconds: int = 120,
        db_url: str | None = None,  # another database (bench/workers.py: PostgreSQL)
    ):
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.workers: list[subprocess.Popen] = []
        self.replicas: list = []  # supplier replicas a benchmark started (start_replica)
        self.redis = self.shop = self.ebay = None
        try:
            self.redis = support.RedisServer(self.tmp)
            self.redis.start()
            self.shop = start_shop(seed=11, log_path=self.tmp / "shop.log")
            self.ebay = start_ebay_sandbox(seed=5, log_path=self.tmp / "ebay.log")
            self.db_url = db_url or f"sqlite:///{self.tmp / 'bench.sqlite3'}"
            self.evidence = self.tmp / "evidence"
            self.app = create_app(
                TestConfig(
                    SQLALCHEMY_DATABASE_URI=self.db_url,
                    EVIDENCE_DIR=str(self.evidence),
                    REDIS_URL=self.redis.url,
                    EBAY_API_BASE_URL=self.ebay.url,
                    EBAY_AUTH_BASE_URL=self.ebay.url,
                    EBAY_CLIENT_ID="autoorder-demo",
                    EBAY_CLIENT_SECRET="demo-secret",
                    EBAY_REDIRECT_URI="autoorder-demo-RuName",
                    ORDER_BUFFER_SECONDS=buffer_seconds,
                    ORDER_LEASE_SECONDS=lease_seconds,
                    CHROMIUM_PATH=CHROMIUM,
                )
            )
            with self.app.app_context(), contextlib.redirect_stderr(io.StringIO()):
                support.reset_schema()  # alembic's logging config binds to the swallowed stderr
            self.app.logger.setLevel(logging.WARNING)
            logging.getLogger("autoorder").setLevel(logging.WARNING)
            # plenty of stock for every benchmark's orders
            self.shop.control("POST", "/sandbox/products/phone-case/stock", {"stock": 1_000_000})
        except BaseException:
            self.close()
            raise

    # --- lifecycle --------------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        from autoorder.scrapers.browser import POOL

        POOL.close()
        for proc in self.workers:
            stop_process_group(proc)
        for server in (*self.replicas, self.shop, self.ebay, self.redis):
            if server is not None:
                try:
                    server.stop()
                except Exception:  # noqa: BLE001 - best effort clean-up
                    pass
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print(f"  (kept {self.tmp})")

    def start_replica(self, start, name: str, *, seed: int):
        """Another supplier's replica (``start``: its sandbox's ``testing.start_*``), logging to the
        stand dir and stopped with the stand."""
        server = start(seed=seed, log_path=self.tmp / f"{name}.log")
        self.replicas.append(server)
        return server

    # --- one team wired to the stand-ins (as tests/loop/conftest.py Loop.setup) -------------------
    def setup_team(self, *, credits_count: int = 1000, bot_email: str = SHOP_EMAIL):
        """The demo shop's team (``tests.stand.wire_team``)."""
        with self.app.app_context():
            return self._adopt(
                stand.wire_team(
                    self.shop.url, credits_count=credits_count, bot_email=bot_email, actor="bench"
                )
            )

    def setup_supplier_team(self, **team):
        """Another supplier's team: ``tests.stand.wire_supplier_team``'s keywords (1000 credits
        unless ``credits_count`` says otherwise)."""
        team = {"credits_count": 1000, "actor": "bench"} | team
        with self.app.app_context():
            return self._adopt(stand.wire_supplier_team(**team))

    def _adopt(self, wired: stand.WiredTeam):
        self.team_id, self.supplier_id, self.bot_id = wired.team_id, wired.supplier_id, wired.bot_id
        self.listing_id, self.account_id = wired.listing_id, wired.account_id
        return self

    def sell(self, n: int, item: dict = ITEM) -> list[int]:
        """n eBay sales of ``item`` (fixed US buyer), detected by the product's poll; return the new
        order ids."""
        from autoorder.jobs.sales import poll_ebay_account

        for _ in range(n):
            self.ebay.control(
                "POST", "/sandbox/orders", dict(item) | {"quantity": 1, "buyer": BUYER}
            )
        with self.app.app_context():
            before = set(self.order_ids())
            poll_ebay_account(self.account_id)
            new = [i for i in self.order_ids() if i not in before]
        assert len(new) == n, f"poll created {len(new)} sales, expected {n}"
        return new

    def order_ids(self, status: str | None = None) -> list[int]:
        query = select(Order.id).where(Order.team_id == self.team_id).order_by(Order.id)
        if status:
            query = query.where(Order.status == status)
        return list(db.session.scalars(query))

    def set_order_after(self, times: dict) -> None:
        with self.app.app_context():
            for order_id, at in times.items():
                db.session.get(Order, order_id).order_after = at
            db.session.commit()

    def make_due(self, order_ids) -> None:
        now = clock.now() - timedelta(seconds=1)
        self.set_order_after({i: now for i in order_ids})

    def flush_redis(self) -> None:
        from autoorder.queues import redis_connection

        redis_connection(self.redis.url).flushall()

    # --- real worker processes --------------------------------------------------------------------
    def worker_env(self, **extra) -> dict:
        return stand.worker_env(
            self.app,
            secret="bench",
            db_url=self.db_url,
            redis_url=self.redis.url,
            ebay_url=self.ebay.url,
            AUTOORDER_ORDER_LEASE_SECONDS=self.app.config["ORDER_LEASE_SECONDS"],
            **extra,
        )

    def start_worker(self, argv=None, **env) -> subprocess.Popen:
        """``python -m flask --app app worker`` (or ``argv``) in its own session, logging to the
        stand dir."""
        proc = support.start_process(
            argv or support.flask_command("worker"),
            env=self.worker_env(**env),
            log_path=self.tmp / f"worker-{len(self.workers)}.log",
        )
        self.workers.append(proc)
        return proc

    def worker_log(self, index: int = -1, chars: int = 3000) -> str:
        logs = sorted(self.tmp.glob("worker-*.log"))
        return logs[index].read_text(errors="replace")[-chars:] if logs else ""


def stop_process_group(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM the worker's process group (the worker and its work-horse), SIGKILL after
    ``timeout``."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        except ProcessLookupError:
            pass


# --- the shop over plain HTTP (for creating many orders fast) -------------------------------------
ADDRESS = dict(
    full_name="Jane Buyer",
    address_line1="12 Oak St",
    address_line2="Apt 4",
    city="Austin",
    state="TX",
    postal_code="78701",
    country="US",
    phone="5125550100",
)
PAYMENT = dict(
    payment_method="card",
    card_holder="Pat Seller",
    card_number="4242424242424242",
    card_expiry="12/30",
    card_cvc="123",
)


def shop_login(
    base_url: str, email: str, password: str = SHOP_PASSWORD
) -> tuple[requests.Session, str]:
    """Sign in with requests; return the session (cookie frozen: later Set-Cookie ignored) and its
    CSRF token."""
    from http.cookiejar import DefaultCookiePolicy

    session = requests.Session()
    token = CSRF_RE.search(session.get(base_url + "/login", timeout=10).text).group(1)
    response = session.post(
        base_url + "/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:300]
    token = CSRF_RE.search(session.get(base_url + "/cart", timeout=10).text).group(1)
    # Flash messages would grow the signed session cookie; the cart lives server-side, so keep the
    # signed-in cookie as it is now.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session, token


def shop_place_and_ship(
    base_url: str, session: requests.Session, token: str, note: str, variant_id: str = "PC-BLK"
) -> str:
    """One order through the shop's own forms (add, address, payment, place), then shipped via
    control."""

    def post(path, data):
        response = session.post(
            base_url + path, data=data | {"csrf_token": token}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, (path, response.status_code, response.text[:300])
        return response

    post("/cart/add", {"variant_id": variant_id, "quantity": "1"})
    post("/checkout/address", ADDRESS)
    post("/checkout/payment", PAYMENT)
    location = post("/checkout/place", {"order_note": note}).headers["Location"]
    number = location.rstrip("/").rsplit("/", 1)[1]
    shipped = session.post(f"{base_url}/sandbox/orders/{number}/ship", json={}, timeout=10)
    assert shipped.status_code == 200, shipped.text[:300]
    return number


def storage_state_of(session: requests.Session) -> dict:
    """The requests session's cookies as a Playwright storage state (what bots save)."""
    return {
        "cookies": [
            {
                "name": c.name,
                "value": c.value,
                "domain": c.domain,
                "path": c.path or "/",
                "expires": c.expires or -1,
                "httpOnly": bool(c.has_nonstandard_attr("HttpOnly")),
                "secure": bool(c.secure),
                "sameSite": "Lax",
            }
            for c in session.cookies
        ],
        "origins": [],
    }


# --- numbers --------------------------------------------------------------------------------------
def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def machine() -> str:
    mem_kb = next(
        int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")
    )
    load = os.getloadavg()
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')} · nproc {os.cpu_count()} · RAM "
        f"{mem_kb / 1024 / 1024:.1f} GiB · "
        f"load {load[0]:.2f} {load[1]:.2f} · python {sys.version.split()[0]}"
    )


def dump(obj) -> str:
    return json.dumps(obj, default=str)
