"""Issue 9, short chaos run: two in-process workers and one forking worker buying on ONE supplier
bot account, with a worker SIGKILL, a Redis restart and duplicate order jobs. Every live sale must
be bought exactly once with the right item, quantity and ship-to (checked against the shop's own
order records), none of the sales cancelled in the buffer, and none left waiting or in progress.

The long version with every fault (a forking worker's main process killed alone, two schedulers,
a warm SIGTERM, a SIGKILL every ~12 s, 50 sales) is ``bench/chaos.py``.
"""

import pytest

from bench.chaos import CATEGORIES, Chaos, Settings, Stand, print_report
from tests import support

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


@pytest.mark.browser
@pytest.mark.slow
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


def test_the_check_names_each_kind_of_violation():
    """The harness's own check, on made-up records (no processes): each defect is told apart."""
    from bench.chaos import Sale, check

    def sale(index, variant_catalog, quantity=1, cancel=False):
        return Sale(
            index=index,
            at=0,
            catalog=variant_catalog,
            quantity=quantity,
            name=f"Buyer {index}",
            postal_code=f"1000{index}",
            city="Austin",
            state="TX",
            line1="1 Oak St",
            cancel_at=1.0 if cancel else None,
            ebay_order_id=f"E{index}",
        )

    def row(index, status="succeeded", number=None):
        return {
            "id": index,
            "ebay_order_id": f"E{index}",
            "status": status,
            "failure_code": None,
            "failure_message": None,
            "supplier_order_number": number,
        }

    def shop(number, index, lines, name=None, postal=None):
        return {
            "number": number,
            "note": f"AO-{index}-abcdef12",
            "items": [{"variant_id": v, "quantity": q} for v, q in lines],
            "ship_to": {
                "full_name": name or f"Buyer {index}",
                "postal_code": postal or f"1000{index}",
            },
        }

    sales = [sale(i, 0) for i in range(1, 9)] + [sale(9, 0, cancel=True)]  # catalog 0: PC-BLK
    rows = [row(1, number="S1"), row(2, number="S2"), row(3, number="S3"), row(4, number="S4")]
    rows += [row(5, number="S5a"), row(6, "needs_attention"), row(7, "in_progress")]
    rows += [row(8, "needs_attention"), row(9, "cancelled")]
    orders = [
        shop("S1", 1, [("PC-BLK", 1)]),  # right
        shop("S2", 2, [("LAMP-STD", 1)]),  # wrong item, recorded succeeded
        shop("S3", 3, [("PC-BLK", 1), ("TS-BLK-M", 1)]),  # extra item
        shop("S4", 4, [("PC-BLK", 1)], name="Someone Else", postal="99999"),  # wrong address
        shop("S5a", 5, [("PC-BLK", 1)]),
        shop("S5b", 5, [("PC-BLK", 1)]),  # bought twice
        shop("S8", 8, [("PC-BLK", 1)]),  # bought, but needs attention in the product
        shop("S9", 9, [("PC-BLK", 1)]),  # cancelled in the buffer, bought anyway
        {"number": "S0", "note": "", "items": [], "ship_to": {}},  # no reference
    ]
    report = check(None, sales, rows, orders)
    problems = {r["sale"].index: sorted(set(r["problems"])) for r in report.rows}
    assert problems == {
        1: [],
        2: ["false_success", "wrong_item"],
        3: ["extra_item", "false_success"],
        4: ["false_success", "wrong_address"],
        5: ["double_buy"],
        6: ["not_bought"],
        7: ["not_bought", "stuck"],
        8: ["unrecorded_buy"],
        9: ["bought_cancelled"],
    }
    assert report.violations["orphan"] == 1 and not report.ok
