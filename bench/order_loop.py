"""The order-loop benchmarks, one after the other (each also runs on its own):

    .venv/bin/python bench/order_loop.py            # all four, ~15-18 minutes on 2 cores
    .venv/bin/python bench/order_loop.py 1 3        # only benchmarks 1 and 3

  1  bench/order_one.py        one order: full job vs bare Playwright (≤ 1.15x); ≥ 30 orders/min
                               per worker
  2  bench/tracking_sweep.py   5,000 due tracking checks vs requests+BeautifulSoup (≤ 1.2x); index
                               check
  3  bench/order_schedule.py   lateness of the job start after the buffer ends, real worker
                               (p99 ≤ 2 s)
  4  bench/worker_memory.py    peak memory of a real worker with Chromium (≤ 450 MB)

Each starts its own demo shop, eBay emulator, redis-server and throwaway migrated SQLite, and cleans
up. Settings are environment variables documented at the top of each script.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "1": "order_one.py",
    "2": "tracking_sweep.py",
    "3": "order_schedule.py",
    "4": "worker_memory.py",
}


def main(argv):
    chosen = argv or list(SCRIPTS)
    unknown = [a for a in chosen if a not in SCRIPTS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; choose from {', '.join(SCRIPTS)}")
    failed = []
    for key in chosen:
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(HERE / SCRIPTS[key])], cwd=HERE.parent)
        print(f"  ({SCRIPTS[key]}: {time.monotonic() - started:.0f} s, exit {code})\n", flush=True)
        if code:
            failed.append(SCRIPTS[key])
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
