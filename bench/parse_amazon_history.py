"""Benchmark: reading one real Amazon order-history page (recovery reads one per lost order).

    .venv/bin/python bench/parse_amazon_history.py        # BENCH_ROUNDS=15 by default

Subject: ``amazon_pages.read_order_history(html, selectors)`` — every order on the page with its
number, date, total, status, ASINs, ship-to name and ZIP and shipments (lxml + cssselect).
Baseline, measured in the same run on the same page: ``BeautifulSoup(html, "lxml")`` alone — only
building the tree the rest of the adapters parse with, nothing read from it.
Pages: the real saved order-history pages in tests/scrapers/fixtures/amazon/history/ (MIT).
Target: every page ≤ 30 ms (median); the ratio to the baseline is printed beside it.
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


def timed(fn, html) -> float:
    started = time.perf_counter()
    fn(html)
    return (time.perf_counter() - started) * 1000


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
        s, b = statistics.median(sub), statistics.median(base)
        worst = max(worst, s)
        orders = len(subject(html))
        print(
            f"  {page.stem:<18} {len(html) // 1024:>4} KiB {orders:>2} orders: read {s:6.1f} ms, "
            f"BeautifulSoup parse alone {b:6.1f} ms, ratio {s / b:.2f}x  "
            f"{'OK' if s <= TARGET_MS else 'OVER'}"
        )
    print(
        f"  slowest page {worst:.1f} ms, target ≤ {TARGET_MS:.0f} ms: {'OK' if worst <= TARGET_MS else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
