"""AliexpressAdapter driving real Chromium against the AliExpress replica (sandbox/aliexpress):
the checkout skeleton end to end, and every fault the issue lists ending with its reason code and
never a second order. One replica and one browser thread for the module (as test_demo_shop_flows).
"""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from autoorder.scrapers import base as b
from autoorder.scrapers.aliexpress import AliexpressAdapter
from autoorder.scrapers.browser import BrowserPool, chromium_executable
from sandbox.aliexpress.testing import start_aliexpress

pytestmark = pytest.mark.browser

CASE, TEE, BAND = "1005007182736451", "1005006539912877", "1005004455667788"
CARD = b.Credentials(
    "buyer@ali.test", "ali-password", "card", "4242424242424242", "12/2030", "123", "Jane Buyer"
)
AUSTIN = b.Address(
    "Jane Buyer", "12 Oak St", "Apt 4", "Austin", "TX", "787011234", "US", "+1 512-555-0100"
)


@pytest.fixture(scope="module")
def ali_server(tmp_path_factory):
    server = start_aliexpress(seed=3, log_path=tmp_path_factory.mktemp("ali") / "ali.log")
    yield server
    server.stop()


@pytest.fixture
def ali(ali_server):
    ali_server.reset()
    return ali_server


@pytest.fixture(scope="module")
def browser_thread():
    thread, pool = ThreadPoolExecutor(max_workers=1), BrowserPool()
    yield thread, pool
    thread.submit(pool.close).result(timeout=30)
    thread.shutdown()


@pytest.fixture
def browse(browser_thread, ali):
    thread, pool = browser_thread

    def run(flow):
        def in_context():
            with pool.page(chromium_executable()) as (_context, page):
                return flow(page)

        return thread.submit(in_context).result(timeout=120)

    return run


@pytest.fixture
def adapter(ali):
    return AliexpressAdapter(ali.url)


def request(ali, item=CASE, variant="Color: Black, Ships From: United States", **kw):
    values = dict(quantity=1, ship_to=AUSTIN, reference="AO-7-1a2b3c4d", max_total=None)
    values |= kw
    return b.PurchaseRequest(
        f"{ali.url}/item/{item}.html",
        variant,
        values.pop("quantity"),
        values.pop("ship_to"),
        values.pop("reference"),
        values.pop("max_total"),
        **values,
    )


def outcome(fn):
    try:
        return fn()
    except b.SupplierError as exc:
        return exc


def orders(ali):
    return ali.control("GET", "/sandbox/orders")["orders"]


def test_a_sale_is_bought_once_through_popups_leftovers_and_the_shipping_rule(ali, adapter, browse):
    ali.control("POST", "/sandbox/faults", {"name": "popup"})  # a coupon modal over the buttons
    ali.control("POST", f"/sandbox/carts/{CARD.email}", {"item_id": BAND})  # another store's
    wanted = request(ali, quantity=2, shipping_rule="fastest under 5.00")
    guard_saw = []

    def flow(page):
        adapter.login(page, CARD)
        return adapter.place_order(page, wanted, CARD, before_place=guard_saw.append)

    placed = browse(flow)
    (order,) = orders(ali)
    assert placed.supplier_order_number == order["number"] and len(order["number"]) == 16
    assert placed.total == Decimal(order["total"]) == guard_saw[0].total
    (line,) = order["items"]
    assert (line["item_id"], line["quantity"]) == (CASE, 2)
    assert line["sku_label"] == "Color: Black, Ships From: United States"
    assert line["service"] == "CAINIAO_STANDARD"  # fastest under 5.00 (premium is 7.49)
    ship = order["ship_to"]
    assert (ship["full_name"], ship["state"], ship["postal_code"]) == (
        "Jane Buyer",
        "Texas",
        "78701-1234",
    )
    assert ship["phone"] == "+1 5125550100" and ship["line2"] == "Apt 4"
    assert order["payment_method"] == "card" and order["card_last4"] == "4242"
    assert order["note"] == "AO-7-1a2b3c4d"
    assert ali.control("GET", f"/sandbox/carts/{CARD.email}") == []  # the leftover was removed
    assert set(placed.screenshots) == {"review", "confirmation"}


def test_the_cheapest_rule_and_the_balance_pay(ali, adapter, browse):
    balance = b.Credentials("buyer@ali.test", "ali-password", "gift_card")
    wanted = request(ali, item=TEE, variant="Black / L")  # values by position

    def flow(page):
        adapter.login(page, balance)
        return adapter.place_order(page, wanted, balance)

    placed = browse(flow)
    (order,) = orders(ali)
    assert order["payment_method"] == "balance" and order["items"][0]["service"] == (
        "CAINIAO_ECONOMY"
    )
    assert order["items"][0]["sku_label"] == "Color: Black, Size: L"
    assert placed.total == Decimal(order["total"])


def test_sign_in_states_end_as_their_challenge(ali, adapter, browse):
    def sign_in(email, password="ali-password"):
        return browse(
            lambda page: outcome(lambda: adapter.login(page, b.Credentials(email, password)))
        )

    slider, code, blocked = (sign_in(f"{k}@ali.test") for k in ("slider", "code", "blocked"))
    assert isinstance(slider, b.BlockedError) and slider.challenge == "slider"
    assert isinstance(code, b.BlockedError) and code.challenge == "code"
    assert isinstance(blocked, b.BlockedError) and blocked.challenge == "blocked"
    wrong = sign_in("buyer@ali.test", "nope")
    assert isinstance(wrong, b.LoginFailedError) and "incorrect" in wrong.message
    assert sign_in("buyer@ali.test") is None
    ali.control("POST", "/sandbox/faults", {"name": "login_hang", "delay": 4})
    adapter.LOGIN_WAIT_MS = 1500  # (the class waits 30 s)
    hung = sign_in("buyer@ali.test")
    assert hung.code == "supplier_unavailable" and hung.retryable and not hung.may_have_bought


def test_refusals_before_the_click_buy_nothing(ali, adapter, browse):
    """One signed-in page for every attempt: what a refused attempt left in the cart is emptied
    by the next one."""
    toronto = b.Address("Al Bo", "1 King St W", "", "Toronto", "ON", "12345", "CA", "4165550100")

    def guard(totals):
        raise b.PriceAboveLimitError(f"{totals.total} is above 1.00")

    attempts = [
        (request(ali, variant="Color: Purple, Ships From: China"), None),
        (request(ali, variant="Color: Navy Blue, Ships From: United States"), None),
        (request(ali, quantity=41), None),  # 40 available
        (request(ali, ship_to=toronto), None),
        (request(ali, shipping_rule="method: DHL Express"), None),
        (request(ali), guard),
    ]

    def flow(page):
        adapter.login(page, CARD)
        return [
            outcome(lambda w=w, g=g: adapter.place_order(page, w, CARD, g)) for w, g in attempts
        ]

    unknown, sold_out, too_many, refused, no_method, above = browse(flow)
    assert unknown.code == "variant_not_offered" and "Black, Clear, Navy Blue" in unknown.message
    assert sold_out.code == "out_of_stock"
    assert too_many.code == "out_of_stock" and "40 available" in too_many.message
    assert refused.code == "address_rejected" and "K1A 0B1" in refused.message
    assert no_method.code == "no_shipping_method"
    assert above.code == "price_above_limit"
    assert orders(ali) == []


def test_a_declined_card_and_a_short_balance_place_nothing(ali, adapter, browse):
    declined = b.Credentials(
        "buyer@ali.test", "ali-password", "card", "4000000000000002", "12/30", "1"
    )
    poor = b.Credentials("poor@ali.test", "ali-password", "gift_card")
    for credentials in (declined, poor):

        def flow(page, credentials=credentials):
            adapter.login(page, credentials)
            return outcome(lambda: adapter.place_order(page, request(ali), credentials))

        refused = browse(flow)
        assert refused.code == "payment_declined" and not refused.may_have_bought
    assert orders(ali) == []


def test_a_store_that_splits_the_order_is_recorded_not_bought_again(ali, adapter, browse):
    ali.control("POST", "/sandbox/faults", {"name": "split_order"})

    def flow(page):
        adapter.login(page, CARD)
        return outcome(lambda: adapter.place_order(page, request(ali, quantity=2), CARD))

    split = browse(flow)
    numbers = [o["number"] for o in orders(ali)]
    assert len(numbers) == 2 and isinstance(split, b.WrongContentsError)
    assert split.supplier_order_number in numbers and "split" in split.message


def test_the_review_refuses_anything_but_our_item(ali, adapter, browse):
    wanted = request(ali)

    def flow(page):
        adapter.login(page, CARD)
        adapter.empty_cart(page)
        item = adapter.add_to_cart(page, wanted)
        ali.control("POST", f"/sandbox/carts/{CARD.email}", {"item_id": BAND})  # meanwhile
        adapter.checkout(page, wanted, CARD)
        return outcome(lambda: adapter.read_review(page, wanted, item))

    refused = browse(flow)
    assert "2 store(s)" in refused.message and orders(ali) == []


def test_history_match_and_tracking_per_package(ali, adapter, browse):
    import datetime as dt

    wanted = request(ali, quantity=2)
    other = request(ali, variant="Color: Black, Ships From: China", quantity=2)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)

    def buy_then_find(page):
        adapter.login(page, CARD)
        placed = adapter.place_order(page, wanted, CARD)
        page.goto(ali.url + "/")  # find_order opens the order list itself
        return placed, [
            adapter.find_order(page, CARD, w, t)
            for w, t in ((wanted, since), (other, since), (wanted, later))
        ]

    placed, (found, other_sku, too_late) = browse(buy_then_find)
    assert found.supplier_order_number == placed.supplier_order_number
    assert found.total == placed.total
    assert other_sku is None and too_late is None
    number = placed.supplier_order_number

    def tracking(page):
        adapter.login(page, CARD)
        return adapter.parse_tracking(adapter.fetch_tracking_html_in_browser(page, number))

    assert browse(tracking) == b.TrackingInfo("processing")
    shipped = ali.control(
        "POST",
        f"/sandbox/orders/{number}/packages",
        {"packages": [{"format": "cainiao"}, {"format": "usps", "status": "delivered"}]},
    )
    info = browse(tracking)
    assert info.status == "shipped" and [p.tracking_number for p in info.packages] == [
        p["tracking_number"] for p in shipped["packages"]
    ]
    assert [p.carrier for p in info.packages] == ["Cainiao", "USPS"]
    assert info.packages[1].status == "delivered"


PAGES = __import__("pathlib").Path(__file__).parent / "aliexpress_pages"


def test_review_totals_from_saved_confirm_pages(adapter, browse):
    """The confirm page's reader on the golden pages saved from the replica (no server needed)."""
    ship_to = b.Address("Jane Buyer", "12 Oak St", "Apt 4", "Austin", "TX", "78701", "US")
    wanted = b.PurchaseRequest(f"{adapter.base_url}/item/{CASE}.html", None, 2, ship_to, "r", None)
    item = f"{CASE} Color: Black, Ships From: United States"

    def read(name):
        def flow(page):
            page.set_content((PAGES / name).read_text())
            return outcome(lambda: adapter.read_review(page, wanted, item))

        return browse(flow)

    assert read("confirm_one_line.html") == b.ReviewTotals(
        Decimal("9.18"), Decimal("3.98"), Decimal("1.09"), Decimal("14.25")
    )
    assert "2 store(s)" in read("confirm_two_stores.html").message
