"""The order loop against the real stand-ins: eBay emulator + demo shop subprocesses, real Redis,
real worker processes, real Chromium."""

import contextlib
import os
import signal
import subprocess

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import Order
from sandbox.ebay.testing import start_ebay_sandbox
from sandbox.shop.testing import start_shop
from tests import stand, support


def stand_in(name: str, start, *, seed: int, scope: str = "module"):
    """A fixture ``name`` running one stand-in (``start``: its sandbox's ``testing.start_*``) for
    the ``scope``, logging to a temporary directory. A supplier's loop tests declare their
    replica with it: ``ali_proc = stand_in("ali_proc", start_aliexpress, seed=13)``."""

    @pytest.fixture(name=name, scope=scope)
    def server(tmp_path_factory):
        running = start(seed=seed, log_path=tmp_path_factory.mktemp(name) / f"{name}.log")
        yield running
        running.stop()

    return server


shop_proc = stand_in("shop_proc", start_shop, seed=11, scope="session")
ebay_proc = stand_in("ebay_proc", start_ebay_sandbox, seed=5, scope="session")


class Loop:
    """One team wired to the stand-ins, and ways to drive it."""

    def __init__(self, app, shop, ebay, redis_url, db_url, tmp_path):
        self.app, self.shop, self.ebay = app, shop, ebay
        self.redis_url, self.db_url, self.tmp_path = redis_url, db_url, tmp_path
        self.workers: list[subprocess.Popen] = []
        self.item = stand.ITEM  # what ``sell`` sells on eBay

    def setup(
        self,
        *,
        payment_method="card",
        card=stand.CARD,
        credits_count=10,
        bot_email=stand.SHOP_EMAIL,
    ):
        """The demo shop's team (``tests.stand.wire_team``)."""
        with self.app.app_context():
            return self.adopt(
                stand.wire_team(
                    self.shop.url,
                    payment_method=payment_method,
                    card=card,
                    credits_count=credits_count,
                    bot_email=bot_email,
                )
            )

    def wire(self, **team):
        """Another supplier's team (``tests.stand.wire_supplier_team``'s keywords)."""
        self.item = team.get("item", stand.ITEM)
        with self.app.app_context():
            return self.adopt(stand.wire_supplier_team(**team))

    def adopt(self, wired: stand.WiredTeam):
        self.team_id, self.bot_id = wired.team_id, wired.bot_id
        self.listing_id, self.account_id = wired.listing_id, wired.account_id
        return self

    def add_credits(self, count):
        stand.add_credits(self.team_id, count)

    def sell(self, **overrides) -> dict:
        body = dict(self.item) | {"quantity": 1} | overrides
        return self.ebay.control("POST", "/sandbox/orders", body)

    def poll(self) -> str:
        from autoorder.jobs.sales import poll_ebay_account

        with self.app.app_context():
            return poll_ebay_account(self.account_id)

    def orders(self) -> list[Order]:
        with self.app.app_context():
            rows = db.session.scalars(
                select(Order).where(Order.team_id == self.team_id).order_by(Order.id)
            ).all()
            db.session.expunge_all()
            return rows

    def order(self, order_id) -> Order:
        with self.app.app_context():
            row = db.session.get(Order, order_id)
            _ = row.events, row.attempts, row.evidence, row.tracking_checks
            db.session.expunge_all()
            return row

    def make_due(self, order_id):
        """End the buffer now."""
        from autoorder import clock

        with self.app.app_context():
            order = db.session.get(Order, order_id)
            order.order_after = clock.now()
            db.session.commit()

    def canary_to_review(self) -> None:
        """Run the bot's dry-run canary (``flask bots check``): every step up to the review page
        passes and it stops before the place-order click."""
        result = self.app.test_cli_runner().invoke(args=["bots", "check", str(self.bot_id)])
        assert result.exit_code == 0, result.output
        for step in ("sign_in", "empty_cart", "add_to_cart", "checkout", "review"):
            assert f"ok     {step}" in result.output
        assert "stopped before place-order" in result.output

    def check_tracking(self, order_id) -> str:
        """Make the order's tracking check due now and run it in-process."""
        from autoorder import clock
        from autoorder.jobs.tracking import refresh_tracking

        with self.app.app_context():
            db.session.get(Order, order_id).next_tracking_check_at = clock.now()
            db.session.commit()
            return refresh_tracking(order_id)

    def shop_orders(self) -> list[dict]:
        data = self.shop.control("GET", "/sandbox/orders")
        return data["orders"] if isinstance(data, dict) else data

    def fulfillments(self) -> list[dict]:
        """Every shipping fulfillment the eBay emulator received."""
        data = self.ebay.control("GET", "/sandbox/fulfillments")
        return data.get("fulfillments", data) if isinstance(data, dict) else data

    def worker_env(self, **extra) -> dict:
        config = self.app.config
        return stand.worker_env(
            self.app,
            secret="loop-test",
            db_url=self.db_url,
            redis_url=self.redis_url,
            ebay_url=self.ebay.url,
            AUTOORDER_ORDER_LEASE_SECONDS=config["ORDER_LEASE_SECONDS"],
            AUTOORDER_ACCOUNT_LOCK_SECONDS=config["ACCOUNT_LOCK_SECONDS"],
            **extra,
        )

    def start_worker(self, *args, start_new_session=True) -> subprocess.Popen:
        """A real worker process (in its own process group, so a test can kill it with its
        horse)."""
        return self.start("worker", *args, start_new_session=start_new_session)

    def start_scheduler(self) -> subprocess.Popen:
        """The Procfile's ``scheduler`` process (periodic tick + RQ's promotion of timed jobs)."""
        return self.start("scheduler", log_name="scheduler")

    def start(self, *args, log_name=None, start_new_session=True, **env) -> subprocess.Popen:
        """``flask --app app ARGS`` with the loop's environment (plus ``env``), kept to be
        killed."""
        name = log_name or f"worker-{len(list(self.tmp_path.iterdir()))}"
        proc = support.start_process(
            support.flask_command(*args),
            env=self.worker_env(**env),
            log_path=self.tmp_path / f"{name}.log",
            start_new_session=start_new_session,
        )
        self.workers.append(proc)
        return proc

    def kill_workers(self):
        """Stop what a test left running (a failed test must not leave a worker buying in the
        next)."""
        for worker in self.workers:
            for pid in [worker.pid, *stand.descendants(worker.pid)]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            worker.wait(30)

    def run_worker_burst(self, timeout=120) -> subprocess.CompletedProcess:
        return support.run_flask(self.worker_env(), "worker", "--burst", timeout=timeout)


@contextlib.contextmanager
def running_loop(app, supplier, ebay, redis_url, db_url, tmp_path):
    """A ``Loop`` on ``supplier`` (a replica's server, reset by the caller) and a reset eBay
    emulator, with the app's eBay settings pointed at the emulator for the test; its workers
    killed and the settings restored afterwards."""
    ebay.control("POST", "/sandbox/reset", {"seed": 5})
    saved = {
        k: app.config[k]
        for k in (
            "EBAY_API_BASE_URL",
            "EBAY_AUTH_BASE_URL",
            "EBAY_CLIENT_ID",
            "EBAY_CLIENT_SECRET",
            "EBAY_REDIRECT_URI",
            "ORDER_BUFFER_SECONDS",
            "ORDER_LEASE_SECONDS",
            "ACCOUNT_LOCK_SECONDS",
        )
    }
    app.config.update(
        EBAY_API_BASE_URL=ebay.url,
        EBAY_AUTH_BASE_URL=ebay.url,
        EBAY_CLIENT_ID="autoorder-demo",
        EBAY_CLIENT_SECRET="demo-secret",
        EBAY_REDIRECT_URI="autoorder-demo-RuName",
        ORDER_BUFFER_SECONDS=600,
        ORDER_LEASE_SECONDS=30,
        ACCOUNT_LOCK_SECONDS=30,
    )
    loop = Loop(app, supplier, ebay, redis_url, db_url, tmp_path)
    try:
        yield loop
    finally:
        loop.kill_workers()
        app.config.update(saved)


@pytest.fixture
def loop(app, redis, redis_url, db_url, shop_proc, ebay_proc, tmp_path):
    shop_proc.reset()
    with running_loop(app, shop_proc, ebay_proc, redis_url, db_url, tmp_path) as loop:
        yield loop
