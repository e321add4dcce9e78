"""Issue 9, short chaos run: two in-process workers and one forking worker buying on ONE supplier bot
account, with a worker SIGKILL, a Redis restart and duplicate order jobs. Every live sale must be
bought exactly once with the right item, quantity and ship-to (checked against the shop's own order
records), none of the sales cancelled in the buffer, and none left waiting or in progress.

The long version with every fault (a forking worker's main process killed alone, two schedulers,
a warm SIGTERM, a SIGKILL every ~12 s, 50 sales) is ``bench/chaos.py``.
"""

import pytest

from bench.chaos import CATEGORIES, Chaos, Settings, Stand, print_report
from tests import support

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETTINGS = Settings(
    sales=12,
    seed=3,
    duration=45,
    buffer=6,
    cancel_fraction=0.17,  # 2 of 12
    qty2_fraction=0.25,
    workers=2,
    fork_workers=1,
    kill_every=20,
    max_kills=1,
    horse_kill_at=None,
    redis_restart_at=0.6,
    second_scheduler=None,
    sigterm_at=None,
    dup_every=4,
    lease=20,
    job_timeout=60,
    quiesce=75,
    verbose=False,
)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, so it can be killed and restarted empty."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = support.RedisServer(workdir)
    server.start()
    yield server
    server.stop()


@pytest.mark.timeout(420)
def test_several_workers_on_one_bot_account_buy_each_sale_once_and_right(
    loop, private_redis, tmp_path
):
    stand = Stand(loop.app, loop.shop, loop.ebay, private_redis, loop.db_url, tmp_path)
    report = Chaos(stand, SETTINGS).run()
    lines = []
    print_report(report, SETTINGS, out=lines.append)
    text = "\n".join(lines)
    print(text)
    assert report.counts["sales"] == SETTINGS.sales, text
    assert report.counts["SIGKILL worker"] == 1 and report.counts["Redis restart"] == 1, text
    assert sum(n for k, n in report.counts.items() if k.startswith("duplicate job")) >= 3, text
    expected = {key: 0 for key, _ in CATEGORIES} | {"process_crashes": 0, "process_problems": 0}
    assert report.summary() == expected, text
