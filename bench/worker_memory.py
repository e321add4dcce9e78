"""Benchmark 4: peak memory of a real worker (with its work-horses, Chromium and the Playwright driver).

    .venv/bin/python bench/worker_memory.py      # BENCH_ORDERS=20, BENCH_VARIANT_ORDERS=3 (0 = no variants)

A real ``flask --app app worker`` buys BENCH_ORDERS due sales on the demo shop (pre-buy check against
the eBay emulator). Every 100 ms the bench reads /proc: the worker and all its descendants (work-horse,
RQ scheduler fork, Playwright's node driver, every Chromium process), plus any process once seen as a
descendant that is still alive after being re-parented (a leak would be counted, not lost).
Reported: peak of the summed RSS (target ≤ 450 MB, a 512 MB dyno) and peak of the summed PSS (shared
pages counted once: what the machine really holds), with the breakdown by process kind at the peak.
Then Chromium flag variants (same worker via bench/_chromium_args_worker.py, fewer orders each).
"""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_stand import Stand, machine, stop_process_group, verdict  # noqa: E402
from sqlalchemy import select  # noqa: E402

from autoorder.extensions import db  # noqa: E402
from autoorder.jobs.tick import enqueue_order  # noqa: E402
from autoorder.models import Order  # noqa: E402
from autoorder.scrapers.browser import CHROMIUM_ARGS  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", 20))
VARIANT_ORDERS = int(os.environ.get("BENCH_VARIANT_ORDERS", 3))
TARGET_MB = 450
COMBINED = ["--renderer-process-limit=1", "--disable-site-isolation-trials", "--in-process-gpu",
            "--disable-features=SpareRendererForSitePerProcess", "--no-zygote"]
VARIANTS = [
    ("--renderer-process-limit=1", ["--renderer-process-limit=1"]),
    ("--disable-site-isolation-trials", ["--disable-site-isolation-trials"]),
    ("--js-flags=--max-old-space-size=64", ["--js-flags=--max-old-space-size=64"]),
    ("--no-zygote", ["--no-zygote"]),
    ("combined: " + " ".join(COMBINED), COMBINED),
]


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _kb(text: str, field: str) -> int:
    for line in text.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def kind_of(pid: int, root: int) -> str:
    if pid == root:
        return "worker"
    cmd = _read(f"/proc/{pid}/cmdline").replace("\0", " ").split()  # Chromium rewrites its argv as one string
    exe = os.path.basename(cmd[0]) if cmd else _read(f"/proc/{pid}/comm").strip()
    if "chrom" in exe:
        kind = next((a.split("=", 1)[1] for a in cmd if a.startswith("--type=")), "browser")
        return f"chromium {kind}"
    if exe.startswith("node") or "playwright" in " ".join(cmd):
        return "playwright driver"
    if "python" in exe or "rq:" in " ".join(cmd) or "flask" in " ".join(cmd):
        return "python fork (horse/scheduler)"
    return exe or "?"


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
        self._halt = threading.Event()

    def tree(self) -> set[int]:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                stat = _read(f"/proc/{name}/stat")
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
            rollup = _read(f"/proc/{pid}/smaps_rollup")
            if not rollup:
                continue
            rss, pss, anon = _kb(rollup, "Rss:"), _kb(rollup, "Pss:"), _kb(rollup, "Pss_Anon:")
            kind = kind_of(pid, self.root)
            if kind == "?":  # exiting: its cmdline is already gone; use what it was
                kind = self.kinds.get(pid, kind)
            elif not kind.startswith("python"):  # a fork may still exec (python -> node)
                self.kinds[pid] = kind
            program = program_of(kind)
            shared_once[program] = max(shared_once.get(program, 0), rss - _kb(rollup, "Anonymous:"))
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
        return {pid for pid in self.seen if pid != self.root and os.path.exists(f"/proc/{pid}")
                and "chrom" in _read(f"/proc/{pid}/cmdline")}

    def mb(self, metric: str) -> float:
        return self.peak[metric] / 1024


def parts(d: dict) -> str:
    return ", ".join(f"{k} {v / 1024:.0f}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]))


def run_worker(stand: Stand, order_ids, extra_args=None) -> Sampler:
    stand.make_due(order_ids)
    argv = None
    env = {}
    if extra_args is not None:
        argv = [sys.executable, str(Path(__file__).resolve().parent / "_chromium_args_worker.py")]
        env["BENCH_CHROMIUM_EXTRA_ARGS"] = json.dumps(extra_args)
    worker = stand.start_worker(argv, **env)
    sampler = Sampler(worker.pid)
    sampler.start()
    with stand.app.app_context():
        for order_id in order_ids:
            enqueue_order(order_id)  # due now: straight onto the orders queue, as the tick does
        db.session.remove()
    deadline = time.monotonic() + 60 + 15 * len(order_ids)
    while True:
        with stand.app.app_context():
            statuses = list(db.session.scalars(select(Order.status).where(Order.id.in_(order_ids))))
            db.session.remove()
        if all(s not in ("waiting", "in_progress") for s in statuses):
            break
        if worker.poll() is not None or time.monotonic() > deadline:
            sampler.stop()
            raise RuntimeError(f"worker stopped or timed out; statuses {statuses}\n{stand.worker_log()}")
        time.sleep(0.5)
    time.sleep(0.5)
    sampler.stop()
    leaked = sampler.leftovers()
    stop_process_group(worker)
    for pid in leaked:  # Chromium outliving its work-horse: report and clean up (by pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    sampler.leaked = len(leaked)
    bad = [s for s in statuses if s != "succeeded"]
    assert not bad, f"not bought: {bad}\n{stand.worker_log()}"
    return sampler


def main():
    print(f"== Benchmark 4: worker peak memory with its browser  ({machine()})")
    print(f"  CHROMIUM_ARGS as shipped: {' '.join(CHROMIUM_ARGS)}")
    with Stand("worker-memory") as stand:
        stand.setup_team()
        ids = stand.sell(ORDERS + VARIANT_ORDERS * len(VARIANTS))
        stand.flush_redis()  # bought only when this benchmark enqueues them
        started = time.monotonic()
        s = run_worker(stand, ids[:ORDERS])
        print(f"  as shipped: {ORDERS} orders in {time.monotonic() - started:.0f} s, {s.samples} samples, up to "
              f"{s.max_procs} processes; Chromium processes left behind: {s.leaked}")
        print(f"    peak RSS sum {s.mb('rss'):.0f} MB  target ≤ {TARGET_MB} MB  {verdict(s.mb('rss') <= TARGET_MB)}  "
              f"(counts shared pages once per process)")
        print(f"    peak dyno estimate {s.mb('dyno'):.0f} MB  {verdict(s.mb('dyno') <= TARGET_MB)}  "
              f"(anonymous + files once per program);  peak anonymous sum {s.mb('anon'):.0f} MB;  "
              f"peak PSS sum {s.mb('pss'):.0f} MB")
        print(f"    at the RSS peak (MB): {parts(s.peak_parts['rss'])}")
        print(f"    at the dyno-estimate peak (MB): {parts(s.peak_parts['dyno'])}")
        print(f"    at the anonymous peak (MB): {parts(s.peak_parts['anon'])}")
        rest = ids[ORDERS:]
        for n, (name, extra) in enumerate(VARIANTS if VARIANT_ORDERS else []):
            group = rest[n * VARIANT_ORDERS:(n + 1) * VARIANT_ORDERS]
            v = run_worker(stand, group, extra)
            print(f"  + {name} ({len(group)} orders, up to {v.max_procs} processes): RSS {v.mb('rss'):.0f} MB "
                  f"({v.mb('rss') / s.mb('rss') - 1:+.0%}), dyno est. {v.mb('dyno'):.0f} MB "
                  f"({v.mb('dyno') / s.mb('dyno') - 1:+.0%}), anonymous {v.mb('anon'):.0f} MB "
                  f"({v.mb('anon') / s.mb('anon') - 1:+.0%});  at that peak: {parts(v.peak_parts['anon'])}")


if __name__ == "__main__":
    main()
