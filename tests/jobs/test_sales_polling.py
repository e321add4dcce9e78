"""poll_ebay_account against the eBay emulator: new sales, no duplicates, a cursor, back-off,
tokens."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from autoorder import clock
from autoorder.ebay.client import EbayClient, EbayServerError, parse_ebay_timestamp
from autoorder.extensions import db
from autoorder.jobs.sales import OVERLAP, poll_ebay_account
from autoorder.models import EbayAccount, Order, Team
from tests.ebay.ebay_fixtures import advance_emulator, api_calls, last_request_id, sale, stats
from tests.factories import make_bot, make_listing


def sales():
    return db.session.scalars(select(Order).order_by(Order.id)).all()


def count_sales():
    return db.session.scalar(select(func.count()).select_from(Order))


def fresh(account):
    db.session.expire_all()
    return db.session.get(EbayAccount, account.id)


def newest_modified(emulator):
    """The cursor a poll now should leave: eBay's newest lastModifiedDate, never past now minus
    the overlap."""
    orders = emulator.control("GET", "/sandbox/orders")["orders"]
    newest = max(parse_ebay_timestamp(o["lastModifiedDate"]) for o in orders)
    return min(newest, clock.now() - OVERLAP)


def small_pages(monkeypatch, size):
    original = EbayClient.iter_orders_modified_since
    monkeypatch.setattr(
        EbayClient,
        "iter_orders_modified_since",
        lambda self, since, page_size=size: original(self, since, page_size=size),
    )


def test_new_sales_appear(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    listing = make_listing(team, make_bot(team), ebay_item_id="310000000123")
    db.session.commit()
    first = sale(ebay_sandbox, legacyItemId="310000000123", title="Mapped")
    second = sale(ebay_sandbox, legacyItemId="310000000456", title="Unmapped")
    clock.freeze(clock.now())
    assert poll_ebay_account(ebay_account.id) == "seen=2 created=2"
    mapped, unmapped = sales()
    assert (mapped.ebay_order_id, mapped.listing_id, mapped.status) == (
        first["orderId"],
        listing.id,
        "waiting",
    )
    assert (unmapped.ebay_order_id, unmapped.status, unmapped.failure_code) == (
        second["orderId"],
        "needs_attention",
        "no_mapping",
    )
    account = fresh(ebay_account)
    assert account.poll_cursor == newest_modified(ebay_sandbox)
    assert (account.poll_failures, account.last_error) == (0, None)
    assert (
        account.last_polled_at == clock.now()
        and account.next_poll_at == clock.now() + timedelta(seconds=60)
    )


def test_overlapping_polls_do_not_duplicate(ebay_sandbox, ebay_account):
    sale(ebay_sandbox)
    assert poll_ebay_account(ebay_account.id) == "seen=1 created=1"
    sale(ebay_sandbox)
    assert (
        poll_ebay_account(ebay_account.id) == "seen=2 created=1"
    )  # the first is re-read (overlap)
    assert poll_ebay_account(ebay_account.id) == "seen=2 created=0"
    assert count_sales() == 2
    assert len({(o.ebay_order_id, o.ebay_line_item_id) for o in sales()}) == 2


def test_get_orders_calls_do_not_grow_with_known_orders(ebay_sandbox, ebay_account, monkeypatch):
    small_pages(monkeypatch, 5)
    for n in range(30):
        sale(ebay_sandbox, price=f"{n + 1}.00")
    advance_emulator(ebay_sandbox, 600)
    sale(ebay_sandbox, title="last of the old ones")
    assert poll_ebay_account(ebay_account.id) == "seen=31 created=31"
    assert api_calls(ebay_sandbox, "getOrders") == 7  # 31 orders in pages of 5
    advance_emulator(ebay_sandbox, 600)
    sale(ebay_sandbox, title="new")
    before = stats(ebay_sandbox)["requests"]
    assert poll_ebay_account(ebay_account.id) == "seen=2 created=1"  # the new one + the overlap
    after = stats(ebay_sandbox)["requests"]
    assert after["getOrders"] - before["getOrders"] == 1
    assert sum(after.values()) - sum(before.values()) == 1  # no getOrder per known order either
    assert count_sales() == 32


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"fault": "rate_limit"}, "EbayRateLimitedError"),
        ({"fault": "server_error"}, "EbayServerError"),
        ({"fault": "malformed"}, "EbayMalformedResponseError"),
    ],
)
def test_fault_backs_off_and_loses_nothing(ebay_sandbox, ebay_account, fault, error):
    sale(ebay_sandbox)
    assert poll_ebay_account(ebay_account.id) == "seen=1 created=1"
    cursor = fresh(ebay_account).poll_cursor
    advance_emulator(ebay_sandbox, 300)
    sale(ebay_sandbox)
    sale(ebay_sandbox)
    ebay_sandbox.control(
        "POST", "/sandbox/faults", {**fault, "count": 2, "operations": ["getOrders"]}
    )
    clock.freeze(clock.now())

    assert poll_ebay_account(ebay_account.id) == "backoff"
    account = fresh(ebay_account)
    assert count_sales() == 1 and account.poll_cursor == cursor
    assert account.poll_failures == 1 and account.next_poll_at == clock.now() + timedelta(
        seconds=120
    )
    assert (
        error in account.last_error
        and last_request_id(ebay_sandbox, "getOrders") in account.last_error
    )
    assert account.status == "connected"

    clock.advance(120)
    assert poll_ebay_account(ebay_account.id) == "backoff"
    account = fresh(ebay_account)
    assert account.poll_failures == 2 and account.next_poll_at == clock.now() + timedelta(
        seconds=240
    )
    assert last_request_id(ebay_sandbox, "getOrders") in account.last_error

    clock.advance(240)
    assert poll_ebay_account(ebay_account.id) == "seen=3 created=2"
    account = fresh(ebay_account)
    assert count_sales() == 3 and account.poll_cursor == newest_modified(ebay_sandbox) > cursor
    assert (account.poll_failures, account.last_error) == (0, None)
    assert account.next_poll_at == clock.now() + timedelta(seconds=60)


def test_fault_on_a_later_page_keeps_earlier_pages_and_the_cursor(
    ebay_sandbox, ebay_account, monkeypatch
):
    small_pages(monkeypatch, 2)
    for _ in range(5):
        sale(ebay_sandbox)
    clock.freeze(clock.now())
    original, calls = EbayClient.get_orders, []

    def get_orders(self, **kwargs):
        page = original(self, **kwargs)
        calls.append(kwargs)
        if len(calls) == 1:  # the second page will fail
            ebay_sandbox.control("POST", "/sandbox/faults", {"fault": "server_error", "count": 1})
        return page

    monkeypatch.setattr(EbayClient, "get_orders", get_orders)
    assert poll_ebay_account(ebay_account.id) == "backoff"
    account = fresh(ebay_account)
    assert count_sales() == 2  # the first page was committed
    assert account.poll_cursor is None and account.poll_failures == 1
    assert last_request_id(ebay_sandbox, "getOrders") in account.last_error
    assert poll_ebay_account(ebay_account.id) == "seen=5 created=3"
    assert count_sales() == 5
    assert fresh(ebay_account).poll_cursor == newest_modified(ebay_sandbox)


def test_expired_access_token_refreshes_once(ebay_sandbox, ebay_account):
    old_token = ebay_account.access_token
    sale(ebay_sandbox)
    ebay_sandbox.control("POST", "/sandbox/tokens/expire")
    assert poll_ebay_account(ebay_account.id) == "seen=1 created=1"
    assert stats(ebay_sandbox)["tokenRefreshes"] == 1
    account = fresh(ebay_account)
    assert account.access_token != old_token and account.status == "connected"
    assert poll_ebay_account(ebay_account.id) == "seen=1 created=0"
    assert stats(ebay_sandbox)["tokenRefreshes"] == 1


def test_revoked_refresh_token_marks_reconnect_needed(ebay_sandbox, ebay_account):
    sale(ebay_sandbox)
    ebay_sandbox.control("POST", "/sandbox/tokens/revoke", {})
    assert poll_ebay_account(ebay_account.id) == "reconnect_needed"
    account = fresh(ebay_account)
    assert account.status == "reconnect_needed" and "invalid_grant" in account.last_error
    assert count_sales() == 0 and account.poll_cursor is None
    calls = sum(stats(ebay_sandbox)["requests"].values())
    assert poll_ebay_account(ebay_account.id) == "skipped"
    assert sum(stats(ebay_sandbox)["requests"].values()) == calls


def test_cancel_request_and_payment_seen_by_later_polls(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    make_listing(team, make_bot(team), ebay_item_id="310000000001")
    db.session.commit()
    to_cancel, unpaid = sale(ebay_sandbox), sale(ebay_sandbox, paymentStatus="PENDING")
    assert poll_ebay_account(ebay_account.id) == "seen=2 created=2"
    advance_emulator(
        ebay_sandbox, 600
    )  # both are now outside the overlap; only changes bring them back
    ebay_sandbox.control("POST", f"/sandbox/orders/{to_cancel['orderId']}/cancel-request", {})
    ebay_sandbox.control(
        "POST", f"/sandbox/orders/{unpaid['orderId']}/payment-status", {"status": "PAID"}
    )
    assert poll_ebay_account(ebay_account.id) == "seen=2 created=0"
    by_id = {o.ebay_order_id: o for o in sales()}
    assert by_id[to_cancel["orderId"]].status == "cancelled"
    assert (by_id[unpaid["orderId"]].status, by_id[unpaid["orderId"]].failure_code) == (
        "waiting",
        None,
    )


def _break_order(monkeypatch, broken: dict, times: int = 1):
    """Let getOrders hand back ``broken[orderId] -> changes`` applied to that order, ``times``
    times."""
    original, calls = EbayClient.get_orders, []

    def get_orders(self, **kwargs):
        page = original(self, **kwargs)
        calls.append(kwargs)
        if len(calls) <= times:
            for order in page.get("orders") or []:
                for key, value in broken.get(order["orderId"], {}).items():
                    if value is None:
                        order.pop(key, None)
                    else:
                        order[key] = value
        return page

    monkeypatch.setattr(EbayClient, "get_orders", get_orders)


def test_an_unreadable_order_is_recorded_and_read_again_without_holding_up_the_others(
    ebay_sandbox, ebay_account, monkeypatch
):
    from autoorder.models import EbayOrderProblem

    first, broken, third = (sale(ebay_sandbox) for _ in range(3))
    _break_order(
        monkeypatch, {broken["orderId"]: {"lineItems": None}}, times=99
    )  # the listing stays broken
    original_get_order, by_id = EbayClient.get_order, []

    def get_order(self, order_id):
        by_id.append(order_id)
        if len(by_id) == 1:
            raise EbayServerError("getOrder failed once", status=500, request_id="r-1")
        return original_get_order(self, order_id)

    monkeypatch.setattr(EbayClient, "get_order", get_order)
    clock.freeze(clock.now())
    assert (
        poll_ebay_account(ebay_account.id) == "backoff"
    )  # the retry by id hit a 500: try again later
    assert {o.ebay_order_id for o in sales()} == {
        first["orderId"],
        third["orderId"],
    }  # kept, not held up
    (problem,) = db.session.scalars(select(EbayOrderProblem)).all()
    assert problem.ebay_order_id == broken["orderId"] and "lineItems" in problem.error
    assert problem.resolved_at is None and problem.attempts == 1

    clock.advance(120)
    assert (
        poll_ebay_account(ebay_account.id) == "seen=3 created=1"
    )  # read again by id: that one is fine
    assert by_id == [broken["orderId"]] * 2
    assert count_sales() == 3 and broken["orderId"] in {o.ebay_order_id for o in sales()}
    account = fresh(ebay_account)
    assert (account.poll_failures, account.last_error) == (0, None)
    assert account.poll_cursor == newest_modified(ebay_sandbox)
    db.session.refresh(problem)
    assert problem.resolved_at == clock.now() and problem.attempts == 2


def test_an_order_that_stays_unreadable_is_shown_until_fixed(
    ebay_sandbox, ebay_account, monkeypatch, client
):
    from autoorder.models import EbayOrderProblem

    broken = sale(ebay_sandbox)
    _break_order(monkeypatch, {broken["orderId"]: {"creationDate": "yesterday"}}, times=99)
    monkeypatch.setattr(
        EbayClient, "get_order", lambda self, order_id: {"orderId": order_id, "lineItems": []}
    )
    clock.freeze(clock.now())
    assert poll_ebay_account(ebay_account.id) == "seen=1 created=0"
    clock.advance(60)
    assert poll_ebay_account(ebay_account.id) == "seen=1 created=0"
    (problem,) = db.session.scalars(select(EbayOrderProblem)).all()
    assert problem.attempts == 4 and problem.resolved_at is None  # in the listing and by id, twice
    assert "lineItems" in problem.error  # what getOrder answered last
    assert count_sales() == 0

    from tests.factories import make_user
    from tests.support import login

    admin = make_user(team=db.session.get(Team, ebay_account.team_id), role="admin")
    db.session.commit()
    login(client, admin.email)
    page = client.get("/settings/").get_data(as_text=True)
    assert f"eBay order {broken['orderId']} could not be read" in page and "creationDate" in page


def test_an_order_without_an_id_is_recorded_once_however_often_it_is_seen(
    ebay_sandbox, ebay_account, monkeypatch
):
    from autoorder.models import EbayOrderProblem

    good, broken = sale(ebay_sandbox), sale(ebay_sandbox)
    _break_order(monkeypatch, {broken["orderId"]: {"orderId": None}}, times=99)
    clock.freeze(clock.now())
    assert poll_ebay_account(ebay_account.id) == "seen=2 created=1"
    clock.advance(60)
    assert poll_ebay_account(ebay_account.id) == "seen=2 created=0"  # re-read in the overlap
    (problem,) = db.session.scalars(select(EbayOrderProblem)).all()  # one row, not one per poll
    assert problem.ebay_order_id is None and problem.attempts == 2 and "orderId" in problem.error
    assert [o.ebay_order_id for o in sales()] == [good["orderId"]]
