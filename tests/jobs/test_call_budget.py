"""The eBay call budget (issue 11): every call counted per application, eBay day (midnight
America/Los_Angeles) and operation, matching the emulator's own request counts; polling stretched
fairly when the day's budget would be exceeded."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from autoorder import clock
from autoorder.ebay import budget
from autoorder.extensions import db
from autoorder.jobs.sales import poll_ebay_account
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import EbayAccount, EbayApiUsage, Order
from tests.ebay.ebay_fixtures import make_ebay_account, sale, stats


def test_the_counter_matches_the_emulators_request_counts(ebay_sandbox, ebay_account, monkeypatch):
    from autoorder.ebay.client import EbayClient

    for _ in range(3):
        sale(ebay_sandbox)
    two = sale(
        ebay_sandbox,
        lineItems=[{"legacyItemId": "1", "price": "1.00"}, {"legacyItemId": "2", "price": "2.00"}],
    )
    ebay_sandbox.control("POST", "/sandbox/tokens/expire")  # a 401, a refresh, a retry
    original = EbayClient.iter_orders_modified_since
    monkeypatch.setattr(  # pages of 2: several getOrders calls
        EbayClient,
        "iter_orders_modified_since",
        lambda self, since, page_size=2: original(self, since, page_size=2),
    )
    assert poll_ebay_account(ebay_account.id) == "seen=4 created=5"
    shipped = db.session.scalar(
        select(Order).where(Order.ebay_line_item_id == two["lineItems"][0]["lineItemId"])
    )
    shipped.status, shipped.tracking_status = "succeeded", "searching"  # bought (test set-up)
    shipped.tracking_number, shipped.ebay_carrier_code = "9400111201080805483016", "USPS"
    shipped.next_tracking_check_at = clock.now()
    db.session.commit()
    assert refresh_tracking(shipped.id) == "uploaded"
    assert poll_ebay_account(ebay_account.id) == "seen=4 created=0"

    emulator = stats(ebay_sandbox)["requests"]
    assert emulator["getOrders"] >= 4 and emulator["token"] == 1
    assert budget.usage() == emulator


def test_the_ebay_day_turns_at_midnight_pacific(app, ctx):
    # 2026-03-08 07:59:59 UTC is 23:59:59 PST on the 7th; daylight saving starts that night.
    clock.freeze(datetime(2026, 3, 8, 7, 59, 59, tzinfo=UTC))
    budget.record_call("getOrders")
    clock.advance(1)
    budget.record_call("getOrders")
    budget.record_call("getOrder")
    rows = db.session.execute(
        select(EbayApiUsage.day, EbayApiUsage.operation, EbayApiUsage.calls).order_by(
            EbayApiUsage.day, EbayApiUsage.operation
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        (date(2026, 3, 7), "getOrders", 1),
        (date(2026, 3, 8), "getOrder", 1),
        (date(2026, 3, 8), "getOrders", 1),
    ]
    # The next eBay day starts at midnight PDT (07:00 UTC) now that the clocks went forward.
    assert budget.next_day_start() == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    clock.reset()


def test_polling_is_stretched_fairly_when_over_budget(ebay_sandbox, ebay_account, app):
    others = [make_ebay_account(ebay_sandbox, name=f"seller{n}") for n in range(3)]
    # 20 hours before eBay's midnight: 4 accounts every 60 s would need 4,800 calls. (Within
    # 3.3 h of midnight the stretched interval would fall under the 60 s floor.)
    clock.freeze(budget.next_day_start(clock.now()) - timedelta(hours=20))
    assert budget.poll_interval() == timedelta(seconds=60)  # no budget configured
    app.config["EBAY_DAILY_CALL_BUDGET"] = 1000
    try:
        # 4 accounts polled every 60 s until eBay's midnight would need far more than 800 calls.
        stretched = budget.poll_interval()
        seconds_left = (budget.next_day_start() - clock.now()).total_seconds()
        assert stretched == timedelta(seconds=seconds_left * 4 / 800) > timedelta(seconds=60)
        for account in [ebay_account, *others]:  # the same interval for every account: fair
            assert poll_ebay_account(account.id).startswith("seen=")
        db.session.expire_all()
        nexts = [a.next_poll_at - a.last_polled_at for a in db.session.scalars(select(EbayAccount))]
        # The same rule for every account; each poll's own calls shrink what is left a little.
        assert min(nexts) >= timedelta(seconds=60) and max(nexts) / min(nexts) < 1.05

        # The budget spent (past the 20 % reserve): no more polls until eBay's day turns.
        budget.flush(budget.Counter({"getOrders": 800}))
        assert budget.poll_interval() == budget.next_day_start() - clock.now() + timedelta(
            seconds=1
        )
    finally:
        app.config["EBAY_DAILY_CALL_BUDGET"] = None
        clock.reset()
