"""``flask --app app worker`` with extra Chromium flags (for bench/worker_memory.py; not a
benchmark).

BENCH_CHROMIUM_EXTRA_ARGS (a JSON list) is appended to autoorder.scrapers.browser.CHROMIUM_ARGS in
this process before the worker starts; its work-horses are forks, so they launch Chromium with the
same flags.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autoorder.scrapers import browser  # noqa: E402

browser.CHROMIUM_ARGS.extend(json.loads(os.environ.get("BENCH_CHROMIUM_EXTRA_ARGS", "[]")))

if __name__ == "__main__":
    from flask.cli import main

    sys.argv = ["flask", "--app", "app", "worker", *sys.argv[1:]]
    main()
