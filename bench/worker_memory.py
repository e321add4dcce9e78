"""Benchmark 4: peak memory of a real worker with its browser (Chromium and Playwright's node
driver).

    .venv/bin/python bench/worker_memory.py
    # BENCH_ORDERS=20 BENCH_CAPPED_ORDERS=110 BENCH_VARIANT_ORDERS=5 by default

The worker as the Procfile runs it (``flask --app app worker --no-scheduler``) buys BENCH_ORDERS due
sales on the demo shop (pre-buy check against the eBay emulator). Target: ≤ 450 MB of anonymous
memory, and every order bought at full speed inside a 512 MB cgroup with no swap (a 512 MB dyno).

- Where the machine lets us create a memory cgroup (v1 or v2, as root), the worker runs inside its
  own cgroup, which is how a container (a Heroku dyno) is charged, after the kernel's page cache is
  emptied (so the binaries' pages are charged to this worker, as in a fresh container, not to
  whoever read them before): the cgroup's peak usage (anonymous + page cache: every page the worker
  read, reclaimable; Heroku's ``memory_total``) and its peak anonymous memory (``memory_rss``, the
  figure held against the target). Then BENCH_CAPPED_ORDERS orders (past the browser's relaunch
  after 100) with the cgroup capped at 512 MB and no swap: the real test of "fits a 512 MB dyno"
  (every order bought, no OOM kill, and the time per order against the uncapped run: a working set
  larger than the cap shows as a much slower run, the binaries' pages read again and again).
- Every 100 ms the bench also reads /proc for the worker and all its descendants (plus any process
  once seen as a descendant that is still alive after being re-parented): peak of the summed RSS
  (shared pages counted in every process: an upper bound), PSS and anonymous memory, with the
  breakdown by process kind.
- Variants, BENCH_VARIANT_ORDERS orders each, each in a cgroup of its own: the worker with RQ's
  scheduler fork, the forking worker, the node driver with its default young generation, Debian's
  full chromium instead of its headless shell, and some Chromium flags (added via
  bench/_chromium_args_worker.py).
"""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cgroup import Cgroup, drop_page_cache, field_kb, kind_of, read_proc  # noqa: E402
from _order_stand import Stand, machine, stop_process_group, verdict  # noqa: E402
from sqlalchemy import select  # noqa: E402

from autoorder.extensions import db  # noqa: E402
from autoorder.jobs import enqueue_order  # noqa: E402
from autoorder.models import Order  # noqa: E402
from autoorder.scrapers.browser import CHROMIUM_ARGS  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", 20))
VARIANT_ORDERS = int(os.environ.get("BENCH_VARIANT_ORDERS", 5))
CAPPED_ORDERS = int(
    os.environ.get("BENCH_CAPPED_ORDERS", 110)
)  # past the browser's relaunch at 100
TARGET_MB = 450
PROCFILE_WORKER = [
    "--no-scheduler"
]  # as the Procfile runs it (the scheduler process promotes timed jobs)
COMBINED = [
    "--renderer-process-limit=1",
    "--disable-site-isolation-trials",
    "--in-process-gpu",
    "--disable-features=SpareRendererForSitePerProcess",
]
# (name, Chromium flags added or None, environment, worker arguments)
VARIANTS = [
    ("flask worker (with RQ's scheduler fork)", None, {}, []),
    (
        "flask worker --fork (a work-horse and a Chromium per job)",
        None,
        {},
        ["--fork", "--no-scheduler"],
    ),
    (
        "node driver with its default young generation",
        None,
        {"NODE_OPTIONS": "--max-semi-space-size=16"},
        PROCFILE_WORKER,
    ),
    ("Chromium + " + " ".join(COMBINED), COMBINED, {}, PROCFILE_WORKER),
]
if os.path.exists("/usr/bin/chromium"):
    VARIANTS.append(
        (
            "Debian's full chromium (/usr/bin/chromium) instead of chromium-headless-shell",
            None,
            {"AUTOORDER_CHROMIUM_PATH": "/usr/bin/chromium"},
            PROCFILE_WORKER,
        )
    )


def program_of(kind: str) -> str:
    return kind.split()[0] if kind.startswith("chromium") else kind


class Sampler(threading.Thread):
    """Sums the memory of a process tree every ``interval`` seconds; keeps the peaks.

    Per sample: RSS sum (file-backed and shared pages counted in every process: an upper bound);
    anonymous sum (Pss_Anon: heap/stack pages, copy-on-write pages of the forks split between them;
    anonymous pages are shared only by forks, so unrelated programs on this machine do not move it);
    the dyno estimate = anonymous sum + for each program (chromium, node, python) the largest
    file-backed/shared part (RSS - Anonymous) of one of its processes, i.e. binaries, libraries and
    shared-memory files once, as a container's accounting would roughly count them; and PSS sum for
    reference (it splits file pages with unrelated processes too, so it moves with other browsers
    running on the machine).
    """

    METRICS = ("rss", "pss", "anon", "dyno")

    def __init__(self, root: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.seen: set[int] = set()
        self.kinds: dict[int, str] = {}
        self.peak = dict.fromkeys(self.METRICS, 0)
        self.peak_parts: dict[str, dict] = {m: {} for m in self.METRICS}
        self.max_procs = self.samples = 0
        self.leaked = 0
        self.started, self.elapsed = time.monotonic(), 0.0
        self._halt = threading.Event()

    def tree(self) -> set[int]:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                stat = read_proc(f"/proc/{name}/stat")
                if stat:
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                    children.setdefault(ppid, []).append(int(name))
        found, todo = set(), [self.root]
        while todo:
            pid = todo.pop()
            if pid not in found:
                found.add(pid)
                todo += children.get(pid, [])
        self.seen |= found
        return found | {pid for pid in self.seen if os.path.exists(f"/proc/{pid}")}

    def sample(self):
        parts = {m: {} for m in self.METRICS}
        shared_once: dict[str, int] = {}
        procs = self.tree()
        for pid in procs:
            rollup = read_proc(f"/proc/{pid}/smaps_rollup")
            if not rollup:
                continue
            rss, pss = field_kb(rollup, "Rss:"), field_kb(rollup, "Pss:")
            anon = field_kb(rollup, "Pss_Anon:")
            kind = kind_of(pid, self.root)
            if kind == "?":  # exiting: its cmdline is already gone; use what it was
                kind = self.kinds.get(pid, kind)
            elif not kind.startswith("python"):  # a fork may still exec (python -> node)
                self.kinds[pid] = kind
            program = program_of(kind)
            shared = rss - field_kb(rollup, "Anonymous:")
            shared_once[program] = max(shared_once.get(program, 0), shared)
            for metric, value in (("rss", rss), ("pss", pss), ("anon", anon), ("dyno", anon)):
                parts[metric][kind] = parts[metric].get(kind, 0) + value
        for program, shared in shared_once.items():
            parts["dyno"][f"{program} files+shmem (once)"] = shared
        self.samples += 1
        self.max_procs = max(self.max_procs, len(procs))
        for metric in self.METRICS:
            total = sum(parts[metric].values())
            if total > self.peak[metric]:
                self.peak[metric], self.peak_parts[metric] = total, parts[metric]

    def run(self):
        while not self._halt.is_set():
            started = time.monotonic()
            self.sample()
            self._halt.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self):
        self._halt.set()
        self.join(5)

    def leftovers(self) -> set[int]:
        return {
            pid
            for pid in self.seen
            if pid != self.root
            and os.path.exists(f"/proc/{pid}")
            and "chrom" in read_proc(f"/proc/{pid}/cmdline")
        }

    def mb(self, metric: str) -> float:
        return self.peak[metric] / 1024


def parts(d: dict) -> str:
    return ", ".join(f"{k} {v / 1024:.0f}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]))


def run_worker(
    stand: Stand,
    order_ids,
    extra_args=None,
    cgroup: Cgroup | None = None,
    worker_args=PROCFILE_WORKER,
    env=None,
) -> Sampler:
    stand.make_due(order_ids)
    argv = [sys.executable, "-m", "flask", "--app", "app", "worker", *worker_args]
    env = dict(env or {})
    if extra_args is not None:
        argv = [
            sys.executable,
            str(Path(__file__).resolve().parent / "_chromium_args_worker.py"),
            *worker_args,
        ]
        env["BENCH_CHROMIUM_EXTRA_ARGS"] = json.dumps(extra_args)
    worker = stand.start_worker(cgroup.wrap(argv) if cgroup else argv, **env)
    sampler = Sampler(worker.pid)
    sampler.start()
    if cgroup:
        cgroup.start_sampling()
    with stand.app.app_context():
        for order_id in order_ids:
            enqueue_order(order_id)  # due now: straight onto the orders queue, as the tick does
        db.session.remove()
    # a Chromium launch alone took 19 s at load 10 (CI's smoke, 13 benchmarks at once): the bound is
    # for a hang, not a speed target (this benchmark measures memory)
    deadline = time.monotonic() + 150 + 15 * len(order_ids)
    while True:
        with stand.app.app_context():
            statuses = list(db.session.scalars(select(Order.status).where(Order.id.in_(order_ids))))
            db.session.remove()
        if all(s not in ("waiting", "in_progress") for s in statuses):
            break
        if worker.poll() is not None or time.monotonic() > deadline:
            sampler.stop()
            if cgroup:
                cgroup.stop_sampling()
            raise RuntimeError(
                f"worker stopped or timed out; statuses {statuses}\n{stand.worker_log()}"
            )
        time.sleep(0.5)
    sampler.elapsed = time.monotonic() - sampler.started
    time.sleep(0.5)
    sampler.stop()
    if cgroup:
        cgroup.stop_sampling()
    stop_process_group(worker)
    time.sleep(1)
    leaked = sampler.leftovers()  # Chromium outliving the worker: report and clean up (by pid)
    for pid in leaked:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    sampler.leaked = len(leaked)
    bad = [s for s in statuses if s != "succeeded"]
    assert not bad, f"not bought: {bad}\n{stand.worker_log()}"
    return sampler


def measured(stand, ids, limit_mb=None, **options):
    """Run the worker on ``ids`` inside a fresh cgroup (if allowed); return (sampler, cgroup figures
    or None)."""
    group = Cgroup.create("autoorder-bench", limit_mb=limit_mb)
    if group is not None:
        drop_page_cache()  # the binaries' pages are charged to this worker, as in a fresh container
    try:
        sampler = run_worker(stand, ids, cgroup=group, **options)
        figures = (
            None
            if group is None
            else {
                "peak": group.peak() / 2**20,
                "anon": group.peak_anon / 2**20,
                "oom": group.oom_kills(),
                "version": group.version,
            }
        )
        return sampler, figures
    finally:
        if group is not None:
            group.remove()


def main():
    print(f"== Benchmark 4: worker peak memory with its browser  ({machine()})")
    print(f"  CHROMIUM_ARGS as shipped: {' '.join(CHROMIUM_ARGS)}")
    with Stand("worker-memory") as stand:
        stand.setup_team()
        probe = Cgroup.create("autoorder-bench", limit_mb=512)
        capped_orders = CAPPED_ORDERS if probe else 0
        if probe:
            probe.remove()
        else:
            print(
                "  (no memory cgroup can be created here: run as root on cgroup v1, or v2 with the "
                "memory "
                "controller delegated, for the dyno figures)"
            )
        ids = stand.sell(ORDERS + capped_orders + VARIANT_ORDERS * len(VARIANTS))
        stand.flush_redis()  # bought only when this benchmark enqueues them
        s, cg = measured(stand, ids[:ORDERS])
        print(
            f"  as shipped (Procfile: flask worker --no-scheduler): {ORDERS} orders in "
            f"{s.elapsed:.0f} s, "
            f"{s.samples} samples, up to {s.max_procs} processes; Chromium processes left behind: "
            f"{s.leaked}"
        )
        if cg:
            print(
                f"    cgroup v{cg['version']} (how a dyno is charged): peak usage {cg['peak']:.0f} "
                "MB (anonymous + every page read, reclaimable: Heroku's memory_total); "
                f"peak anonymous {cg['anon']:.0f} MB (memory_rss)  target ≤ {TARGET_MB} MB  "
                f"{verdict(cg['anon'] <= TARGET_MB)}"
            )
        print(
            f"    process-tree sums: peak RSS {s.mb('rss'):.0f} MB (shared pages counted once per "
            "process: an "
            f"upper bound), dyno estimate {s.mb('dyno'):.0f} MB (anonymous + files once per "
            "program), anonymous "
            f"{s.mb('anon'):.0f} MB, PSS {s.mb('pss'):.0f} MB"
        )
        print(f"    at the RSS peak (MB): {parts(s.peak_parts['rss'])}")
        print(f"    at the anonymous peak (MB): {parts(s.peak_parts['anon'])}")
        rest = ids[ORDERS:]
        if capped_orders:
            batch, rest = rest[:capped_orders], rest[capped_orders:]
            try:
                c, capped = measured(stand, batch, limit_mb=512)
                per_order = (c.elapsed / len(batch)) / (s.elapsed / ORDERS)
                print(
                    f"  inside a 512 MB cgroup with no swap: {len(batch)} orders bought in "
                    f"{c.elapsed:.0f} s "
                    f"({per_order:.2f}x the uncapped run's time per order), OOM kills "
                    f"{capped['oom']}, peak usage "
                    f"{capped['peak']:.0f} MB, peak anonymous {capped['anon']:.0f} MB  "
                    f"{verdict(capped['oom'] == 0 and per_order <= 1.15)}"
                )
            except (RuntimeError, AssertionError) as exc:
                print(f"  inside a 512 MB cgroup with no swap: FAILED: {str(exc)[:300]}")
        for n, (name, chromium, env, worker_args) in enumerate(VARIANTS if VARIANT_ORDERS else []):
            batch = rest[n * VARIANT_ORDERS : (n + 1) * VARIANT_ORDERS]
            v, vg = measured(stand, batch, extra_args=chromium, env=env, worker_args=worker_args)
            line = (
                f"  variant: {name} ({len(batch)} orders in {v.elapsed:.0f} s, up to "
                f"{v.max_procs} processes): "
            )
            if vg and cg:
                line += (
                    f"cgroup peak usage {vg['peak']:.0f} MB ({vg['peak'] / cg['peak'] - 1:+.0%}), "
                    "anonymous "
                    f"{vg['anon']:.0f} MB ({vg['anon'] / cg['anon'] - 1:+.0%}); "
                )
            line += f"RSS sum {v.mb('rss'):.0f} MB, anonymous sum {v.mb('anon'):.0f} MB"
            print(line)
            print(f"    at the anonymous peak (MB): {parts(v.peak_parts['anon'])}")


if __name__ == "__main__":
    main()
