"""Crash safety with real worker processes: one supplier order per sale, whatever is killed."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.jobs import enqueue_order
from autoorder.jobs.tick import tick
from autoorder.models import PurchaseAttempt
from autoorder.queues import get_queue
from tests.stand import descendants

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LEASE = 4


@pytest.fixture
def due_sale(loop):
    loop.app.config["ORDER_LEASE_SECONDS"] = LEASE
    loop.app.config["ACCOUNT_LOCK_SECONDS"] = LEASE  # a killed worker's account lock dies as fast
    loop.setup()
    loop.sell()
    loop.poll()
    (order,) = loop.orders()
    loop.make_due(order.id)
    return order.id


def _wait_for_attempt(loop, order_id, state, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with loop.app.app_context():
            states = db.session.scalars(
                select(PurchaseAttempt.state).where(PurchaseAttempt.order_id == order_id)
            ).all()
        if state in states:
            return
        time.sleep(0.1)
    raise AssertionError(f"attempt never reached {state!r}; saw {states}")


def _kill_group(proc, sig=signal.SIGKILL):
    """Signal the worker and everything it started (work-horse, browser), like a dyno stop: after
    SIGTERM a dyno has 30 s, then whatever still runs gets SIGKILL (a loaded machine may need
    it)."""
    group = [proc.pid, *descendants(proc.pid)]
    for pid in group:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        for pid in [proc.pid, *descendants(proc.pid), *group]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(30)


def _recover(loop, order_id):
    """What production does after a crash: the lease expires, the tick re-enqueues, a worker
    runs."""
    time.sleep(LEASE + 0.5)
    with loop.app.app_context():
        tick()
    result = loop.run_worker_burst()
    assert result.returncode == 0, result.stderr[-3000:]
    return loop.order(order_id)


def _enqueue(loop, order_id):
    with loop.app.app_context():
        assert enqueue_order(order_id) is not None


def test_same_order_job_enqueued_three_times_buys_once(loop, due_sale):
    with loop.app.app_context():
        queue = get_queue("orders")
        for i in range(3):
            queue.enqueue(
                "autoorder.jobs.ordering.place_order", due_sale, job_id=f"dup-{i}", job_timeout=120
            )
    workers = [loop.start_worker("--burst", start_new_session=False) for _ in range(2)]
    for w in workers:
        assert w.wait(180) == 0
    assert loop.order(due_sale).status == "succeeded"
    assert len(loop.shop_orders()) == 1


def test_worker_killed_before_the_click(loop, due_sale):
    loop.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": 1.5})
    _enqueue(loop, due_sale)
    worker = loop.start_worker()
    _wait_for_attempt(loop, due_sale, "started")
    _kill_group(worker)
    assert loop.order(due_sale).status == "in_progress" and loop.shop_orders() == []
    loop.shop.control("DELETE", "/sandbox/faults")
    order = _recover(loop, due_sale)
    assert order.status == "succeeded", order.failure_message
    assert [a.state for a in order.attempts] == ["not_placed", "placed"]
    assert len(loop.shop_orders()) == 1


def kill_after_the_click(loop, order_id, *, clicked, timeout=90):
    """Slow the supplier by 3 s, let a real worker reach the place-order click, kill its process
    group once ``clicked()`` returns (the click's request is with the supplier), let the supplier
    finish, recover; check that exactly one supplier order exists and the order history found it."""
    loop.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": 3})
    _enqueue(loop, order_id)
    worker = loop.start_worker()
    _wait_for_attempt(loop, order_id, "placing", timeout=timeout)
    clicked()
    _kill_group(worker)
    loop.shop.control("DELETE", "/sandbox/faults")
    time.sleep(3)  # the supplier finishes the request it was given
    order = _recover(loop, order_id)
    placed = loop.shop_orders()
    assert len(placed) == 1
    assert order.status == "succeeded" and order.supplier_order_number == placed[0]["number"]
    assert [a.state for a in order.attempts] == ["placed"]
    assert any("order history" in e.reason for e in order.events)


def test_worker_killed_after_the_click(loop, due_sale):
    # 0.5 s after the attempt says "placing", the place-order request is with the shop
    kill_after_the_click(loop, due_sale, clicked=lambda: time.sleep(0.5))


def _work_horses(pid):
    """The worker's forked python children that drive a browser (RQ's scheduler fork does not)."""
    children = [
        int(c)
        for task in Path(f"/proc/{pid}/task").glob("*")
        for c in (task / "children").read_text().split()
    ]
    return [
        child
        for child in children
        if "python" in _cmdline(child) and any("chrom" in _cmdline(d) for d in descendants(child))
    ]


def _cmdline(pid):
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def test_main_process_killed_while_the_work_horse_runs_on(loop, due_sale):
    """With ``flask worker --fork`` (a work-horse per job, RQ's HerokuWorker)."""
    loop.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": 1})
    _enqueue(loop, due_sale)
    worker = loop.start_worker("--fork")
    _wait_for_attempt(loop, due_sale, "started")
    deadline = time.monotonic() + 30
    while not (horses := _work_horses(worker.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)  # the attempt row is written before the browser starts
    assert len(horses) == 1, [_cmdline(p) for p in descendants(worker.pid)]
    os.kill(worker.pid, signal.SIGKILL)  # the horse (a forked child) keeps running
    worker.wait(30)
    assert Path(f"/proc/{horses[0]}").exists()
    with loop.app.app_context():  # a retried copy runs concurrently with the orphaned horse
        tick()
    second = loop.start_worker("--burst")
    assert second.wait(180) == 0
    deadline = time.monotonic() + 90
    while loop.order(due_sale).status == "in_progress" and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)
    order = (
        _recover(loop, due_sale)
        if loop.order(due_sale).status == "in_progress"
        else loop.order(due_sale)
    )
    assert order.status == "succeeded", order.failure_message
    assert len(loop.shop_orders()) == 1


def test_sigterm_to_the_worker_lets_the_order_in_hand_finish(loop, due_sale):
    """The default worker runs jobs in its own process: a warm shutdown finishes the checkout, then
    exits."""
    loop.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": 0.5})
    _enqueue(loop, due_sale)
    worker = loop.start_worker()
    _wait_for_attempt(loop, due_sale, "started")
    assert _work_horses(worker.pid) == []
    os.kill(
        worker.pid, signal.SIGTERM
    )  # the process only (Chromium and its driver are not signalled)
    assert worker.wait(90) == 0
    order = loop.order(due_sale)
    assert order.status == "succeeded", order.failure_message
    assert [a.state for a in order.attempts] == ["placed"]
    assert len(loop.shop_orders()) == 1
    assert not [p for p in descendants(worker.pid) if "chrom" in _cmdline(p)]


def test_every_process_sigtermed_mid_checkout(loop, due_sale):
    loop.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": 1.5})
    _enqueue(loop, due_sale)
    worker = loop.start_worker()
    _wait_for_attempt(loop, due_sale, "started")
    _kill_group(worker, signal.SIGTERM)  # Heroku-style: every process gets SIGTERM at once
    loop.shop.control("DELETE", "/sandbox/faults")
    assert len(loop.shop_orders()) <= 1
    order = _recover(loop, due_sale)
    assert order.status == "succeeded", order.failure_message
    assert len(loop.shop_orders()) == 1


def test_redis_flushed_mid_run_work_resumes(loop, due_sale, redis):
    _enqueue(loop, due_sale)
    redis.flushall()  # the queued job is gone
    with loop.app.app_context():
        assert tick()["orders"] == 1  # the database still says the sale is due
    result = loop.run_worker_burst()
    assert result.returncode == 0, result.stderr[-3000:]
    assert loop.order(due_sale).status == "succeeded"
    assert len(loop.shop_orders()) == 1
