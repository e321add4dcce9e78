"""The measurement the order_one benchmarks share (not a benchmark itself).

One order through the full job (the subject: ``autoorder.jobs.ordering.place_order(order_id)``
in-process) against a bare Playwright script doing the same page steps on the same pooled Chromium
(the baseline), run interleaved (ABBA) after one warm-up order each, printed as medians, p90 and
their ratio against a target. A supplier's benchmark keeps only what is its own:

1. its stand-in and its team: a ``Stand`` (bench/_order_stand.py), the supplier's replica started
   with ``stand.start_replica(start_<name>, "<name>", seed=…)``, its team wired with
   ``stand.setup_supplier_team(...)`` (``tests.stand.wire_supplier_team``'s keywords), its sales
   made with ``stand.sell(n, item=...)``, then ``stand.flush_redis()`` (bought only when the
   benchmark says so) and ``stand.make_due(ids)``;
2. its bare script, ``bare(state, note) -> order number``: the same page steps written the shortest
   way Playwright allows, inside ``with bare_context(state) as context:`` (a new context from the
   bot's saved storage state, the job's viewport, locale, time zone and timeouts);
3. ``pairs = Pairs(stand, bare)``, then ``pairs.warm_up(ids[0])``,
   ``pairs.interleave(ids[1:])`` and ``pairs.report(TARGET_RATIO)``; ``pairs.baseline_orders``
   counts the orders the bare script placed, for the benchmark's closing check of what the replica
   holds. ``Breakdown`` times parts of the subject (adapter or module functions, by name).

``replica_order(...)`` runs the three steps for a supplier replica (AliExpress, Amazon, Walmart):
its benchmark gives the replica's ``start_*``, its team set-up, its bare script and, optionally, a
``Breakdown`` of the adapter's steps (bench/order_one_amazon.py). A new supplier is a
``bench/order_one_<name>.py`` like those (``BENCH_PAIRS`` as the others), a line in
bench/smoke.sh's list and its figures in bench/README.md.
"""

import contextlib
import functools
import json
import time
from collections.abc import Callable

from _order_stand import CHROMIUM, ITEM, Stand, machine, median, percentile, verdict

from autoorder.extensions import db
from autoorder.jobs.ordering import place_order
from autoorder.models import Order, OrderBot
from autoorder.scrapers.browser import (
    CONTEXT_OPTIONS,
    DEFAULT_TIMEOUT_MS,
    NAVIGATION_TIMEOUT_MS,
    POOL,
)


@contextlib.contextmanager
def bare_context(state: dict):
    """A browser context on the pooled Chromium from the saved storage ``state``, closed after."""
    context = POOL.browser(CHROMIUM).new_context(storage_state=state, **CONTEXT_OPTIONS)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


class Pairs:
    """The job against ``bare(state, note, **kw) -> order number`` on one stand's team."""

    def __init__(self, stand: Stand, bare: Callable[..., str]):
        self.stand, self.bare = stand, bare
        self.baseline_orders = 0  # orders the bare script placed (notes BASE-1, BASE-2, …)
        self.subject_s: list[float] = []
        self.baseline_s: list[float] = []

    def subject(self, order_id: int) -> float:
        """Seconds for the job to buy one due order (asserted bought)."""
        started = time.perf_counter()
        with self.stand.app.app_context():
            result = place_order(order_id)
            db.session.remove()
        elapsed = time.perf_counter() - started
        assert result.startswith("succeeded"), f"order {order_id}: {result}"
        return elapsed

    def saved_state(self) -> dict:
        """The browser session the job saved last for the stand's bot."""
        with self.stand.app.app_context():
            state = json.loads(db.session.get(OrderBot, self.stand.bot_id).browser_state)
            db.session.remove()
        return state

    def baseline_order(self, state: dict, **kw) -> str:
        """One order by the bare script (untimed)."""
        self.baseline_orders += 1
        return self.bare(state, f"BASE-{self.baseline_orders}", **kw)

    def baseline(self, state: dict, **kw) -> float:
        """Seconds for one order by the bare script."""
        started = time.perf_counter()
        self.baseline_order(state, **kw)
        return time.perf_counter() - started

    def warm_up(self, order_id: int, what: str = "Chromium launch + sign-in") -> None:
        """One order each way, untimed but printed: browser launch, first sign-in, code paths."""
        first = self.subject(order_id)
        self.baseline(self.saved_state())
        print(f"  warm-up order ({what}): {first * 1000:.0f} ms")

    def interleave(self, order_ids, **baseline_kw) -> None:
        """One subject and one baseline order per id, in ABBA order, each from the saved state."""
        for n, order_id in enumerate(order_ids):
            state = self.saved_state()  # the session the job saved last (outside the timing)
            if n % 2 == 0:
                self.subject_s.append(self.subject(order_id))
                self.baseline_s.append(self.baseline(state, **baseline_kw))
            else:
                self.baseline_s.append(self.baseline(state, **baseline_kw))
                self.subject_s.append(self.subject(order_id))

    def report(self, target: float) -> float:
        """Print the medians and their ratio against ``target``; return the ratio."""
        sub, base = median(self.subject_s) * 1000, median(self.baseline_s) * 1000
        ratio = sub / base
        print(
            f"  one order ({len(self.subject_s)} interleaved pairs): subject median {sub:.0f} ms "
            f"(p90 {percentile(self.subject_s, 90) * 1000:.0f}), baseline median {base:.0f} ms "
            f"(p90 {percentile(self.baseline_s, 90) * 1000:.0f}), ratio {ratio:.2f}x  target ≤ "
            f"{target}x  {verdict(ratio <= target)}"
        )
        return ratio


class Breakdown:
    """Wall time spent in parts of the subject (wrappers on module or class attributes; µs of
    overhead). The wrappers stay for the rest of the run: make it after the warm-up."""

    def __init__(self):
        self.totals: dict[str, float] = {}

    def time(self, owner, name: str, part: str | None = None) -> None:
        """Add the time spent in ``owner.name`` to ``part`` (default: ``name``)."""
        setattr(owner, name, self.wrap(getattr(owner, name), part or name))

    def wrap(self, fn, part: str):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.totals[part] = self.totals.get(part, 0.0) + time.perf_counter() - started

        return timed


def per_order_ms(parts: dict, orders: int) -> str:
    """``part ms, part ms, …``: the mean milliseconds per order of each part."""
    return ", ".join(f"{k} {v / orders * 1000:.0f}" for k, v in parts.items())


def replica_order(
    supplier: str,
    start,
    replica: str,
    *,
    seed: int,
    setup: Callable[[Stand, object], None],
    bare: Callable[..., str],
    pairs: int,
    target: float,
    warm_up: str = "Chromium launch + sign-in",
    item: dict = ITEM,
    breakdown: Callable[[], Breakdown] | None = None,
) -> float:
    """One order on a supplier replica: the job against ``bare(url, state, note)``, interleaved
    ``pairs`` times after a warm-up; prints the medians, the ratio against ``target`` and (with
    ``breakdown``) the subject's time per step; checks that every sale was bought exactly once."""
    print(f"== {supplier}: one order, full job vs bare Playwright on the replica  ({machine()})")
    with Stand(f"order-one-{replica}") as stand:
        server = stand.start_replica(start, replica, seed=seed)
        setup(stand, server)
        ids = stand.sell(1 + pairs, item=item)
        stand.flush_redis()
        stand.make_due(ids)
        measured = Pairs(stand, functools.partial(bare, server.url))
        measured.warm_up(ids[0], warm_up)
        parts = breakdown() if breakdown else None
        measured.interleave(ids[1:])
        ratio = measured.report(target)
        if parts is not None:
            other = sum(measured.subject_s) - sum(parts.totals.values())
            print(
                "    subject ms/order by step (mean): "
                f"{per_order_ms(dict(parts.totals, other=other), pairs)}"
            )
        with stand.app.app_context():  # every subject order bought exactly once
            bought = db.session.query(Order).filter(Order.status == "succeeded").count()
            db.session.remove()
        placed = server.control("GET", "/sandbox/orders")["orders"]
        assert bought == len(ids), bought
        assert len(placed) == len(ids) + measured.baseline_orders, len(placed)
        print(f"  checked: {len(ids)} sales bought once each; {len(placed)} replica orders in all")
        return ratio
