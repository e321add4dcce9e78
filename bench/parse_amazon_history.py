"""Benchmark: reading one real Amazon order-history page (recovery reads one per lost order).

    .venv/bin/python bench/parse_amazon_history.py        # BENCH_ROUNDS=15 by default

Subject: ``amazon_pages.read_order_history(html, selectors)`` — every order on the page with its
number, date, total, status, ASINs, ship-to name and ZIP and shipments (lxml + cssselect).
Baseline, measured in the same run on the same page: ``BeautifulSoup(html, "lxml")`` alone — only
building the tree the rest of the adapters parse with, nothing read from it.
Pages: the real saved order-history pages in tests/scrapers/fixtures/amazon/history/ (MIT).
Target: every page ≤ 30 ms (median CPU time of the process; the wall time is printed beside it,
and on a shared machine it adds the waits for a core); the ratio to the baseline is printed too.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bs4 import BeautifulSoup  # noqa: E402

from autoorder.scrapers import amazon_pages, get_adapter  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 15))
TARGET_MS = 30.0
PAGES = ROOT / "tests" / "scrapers" / "fixtures" / "amazon" / "history"


def timed(fn, html) -> tuple[float, float]:
    """(wall ms, CPU ms of this process): on a shared machine the CPU time is what the read
    itself costs, the wall time adds the waits for a core."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(html)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> int:
    selectors = get_adapter("amazon", "https://www.amazon.com").s
    subject = lambda html: amazon_pages.read_order_history(html, selectors)  # noqa: E731
    baseline = lambda html: BeautifulSoup(html, "lxml")  # noqa: E731
    print(f"== Amazon order-history page read, {ROUNDS} rounds each (interleaved), median ms")
    worst = 0.0
    for page in sorted(PAGES.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        subject(html), baseline(html)  # warm caches (compiled selectors)
        sub, base = [], []
        for n in range(ROUNDS):
            pair = (subject, baseline) if n % 2 == 0 else (baseline, subject)
            for fn in pair:
                (sub if fn is subject else base).append(timed(fn, html))
        s_wall, s_cpu = (statistics.median(x) for x in zip(*sub, strict=True))
        b_wall, b_cpu = (statistics.median(x) for x in zip(*base, strict=True))
        worst = max(worst, s_cpu)
        orders = len(subject(html))
        print(
            f"  {page.stem:<16} {len(html) // 1024:>4} KiB {orders:>2} orders: read {s_wall:6.1f} "
            "ms "
            f"wall / {s_cpu:5.1f} ms CPU; BeautifulSoup parse alone {b_wall:6.1f} / {b_cpu:5.1f}; "
            f"ratio {s_cpu / b_cpu:.2f}x  {'OK' if s_cpu <= TARGET_MS else 'OVER'}"
        )
    print(
        f"  slowest page {worst:.1f} ms CPU, target ≤ {TARGET_MS:.0f} ms: "
        f"{'OK' if worst <= TARGET_MS else 'MISSED'}  (load {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
