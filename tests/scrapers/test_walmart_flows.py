"""WalmartAdapter driving real Chromium against the Walmart replica (sandbox/walmart, a
subprocess): sign-in states (password, e-mailed code typed through ``enter_code``, press and hold,
a stale session's 403), the checkout skeleton with a variant, a new and then a saved card (its
security code asked again), the gift-card balance, the delivery rule, the seller rule, faults,
tracking per shipment and recovery by order-history match. Playwright runs on a thread of its own
(see test_demo_shop_flows)."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from autoorder.scrapers import base as b
from autoorder.scrapers.browser import BrowserPool, chromium_executable
from autoorder.scrapers.walmart import SellerNotAllowedError, WalmartAdapter
from sandbox.walmart.testing import start_walmart

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "bot@replica.test", "s3cret-pass"
CARD = b.Credentials(EMAIL, PASSWORD, "card", "4111 1111 1111 1111", "11/2031", "321", "Ann Bot")
GIFT = b.Credentials(EMAIL, PASSWORD, "gift_card")
TO = b.Address(
    "Dana Whitfield", "742 Evergreen Terrace", "", "Springfield", "OR", "97403", "US", "5415550100"
)
BOTTLE, TEE, CASE = "123456789", "700000101", "880000001"


def request_for(walmart, item=BOTTLE, quantity=1, variant=None, max_total=None, rule=None):
    return b.PurchaseRequest(
        f"{walmart.url}/ip/some-slug/{item}", variant, quantity, TO, "AO-1", max_total, rule
    )


@pytest.fixture(scope="module")
def walmart_server(tmp_path_factory):
    server = start_walmart(seed=5, log_path=tmp_path_factory.mktemp("walmart") / "walmart.log")
    yield server
    server.stop()


@pytest.fixture
def walmart(walmart_server):
    walmart_server.reset()
    walmart_server.control(
        "POST",
        "/sandbox/accounts",
        {"email": EMAIL, "password": PASSWORD, "gift_card_balance": "60.00"},
    )
    return walmart_server


@pytest.fixture(scope="module")
def browser_thread():
    thread, pool = ThreadPoolExecutor(1, thread_name_prefix="walmart-browser"), BrowserPool()
    yield thread, pool
    thread.submit(pool.close).result(timeout=30)
    thread.shutdown()


@pytest.fixture
def browse(browser_thread, walmart):
    thread, pool = browser_thread

    def run(flow, state=None):
        def in_context():
            with pool.page(chromium_executable(), state) as (context, page):
                return flow(context, page)

        return thread.submit(in_context).result(timeout=180)

    return run


def orders(walmart):
    return walmart.control("GET", "/sandbox/orders")["orders"]


def buy(browse, walmart, credentials, request, guard=None, state=None):
    adapter = WalmartAdapter(walmart.url)

    def flow(context, page):
        adapter.login(page, credentials)
        placed = adapter.place_order(page, request, credentials, before_place=guard)
        return placed, context.storage_state()

    return adapter, browse(flow, state)


def test_a_variant_bought_with_a_new_card_then_the_saved_card_asks_its_code_again(browse, walmart):
    seen = []
    request = request_for(walmart, TEE, 2, "Color: Navy, Size: M", rule="fastest under 10")
    adapter, (placed, state) = buy(browse, walmart, CARD, request, guard=seen.append)
    (order,) = orders(walmart)
    assert placed.supplier_order_number == order["display_id"]
    assert order["lines"] == [{"item_id": "700000103", "quantity": 2}]  # the Navy/M item
    assert order["shipping"] == "two_day"  # the fastest at most $10
    assert order["payment_method"] == "card" and order["card_last4"] == "1111"
    to = order["ship_to"]
    assert (to["firstName"], to["lastName"], to["postalCode"], to["state"]) == (
        "Dana",
        "Whitfield",
        "97403",
        "OR",
    )
    items, ship = Decimal("17.96"), Decimal("8.99")
    tax = ((items + ship) * Decimal("0.07")).quantize(Decimal("0.01"))
    assert seen == [b.ReviewTotals(items, ship, tax, items + ship + tax)]
    assert placed.total == items + ship + tax and set(placed.screenshots) == {
        "review",
        "confirmation",
    }
    # the second order: the saved address from the book, the saved card with its code again
    _adapter, (again, _state) = buy(browse, walmart, CARD, request_for(walmart), state=state)
    assert len(orders(walmart)) == 2
    account = walmart.control("GET", f"/sandbox/accounts/{EMAIL}")
    assert account["cards"] == ["1111"] and account["addresses"] == 1


def test_gift_card_balance_pays_and_a_low_balance_places_nothing(browse, walmart):
    adapter, (placed, _state) = buy(browse, walmart, GIFT, request_for(walmart))
    (order,) = orders(walmart)
    assert order["payment_method"] == "gift_card" and order["card_last4"] is None
    assert adapter.gift_card_balance == Decimal("60.00")
    guard = []
    with pytest.raises(b.GiftCardBalanceLowError, match="does not cover") as caught:
        buy(browse, walmart, GIFT, request_for(walmart, "5577001", 3), guard=guard.append)
    assert not caught.value.may_have_bought and guard == []
    assert len(orders(walmart)) == 1


@pytest.mark.parametrize(
    "fault,request_args,error",
    [
        ({"name": "out_of_stock"}, {}, b.OutOfStockError),
        ({"name": "price_change", "factor": "3"}, {}, b.PriceAboveLimitError),
        ({"name": "declined_card"}, {}, b.PaymentDeclinedError),
        ({"name": "marketplace"}, {"variant": "Sold by: Walmart"}, SellerNotAllowedError),
        (None, {"item": "700000104", "variant": "Navy / L"}, b.OutOfStockError),
        (None, {"item": TEE, "variant": "Color: Red"}, b.VariantNotOfferedError),
        (None, {"quantity": 13}, b.OutOfStockError),  # above the order limit
        (None, {"rule": "method: Drone"}, b.ShippingMethodError),
    ],
)
def test_refusals_place_nothing(browse, walmart, fault, request_args, error):
    if fault:
        walmart.control("POST", "/sandbox/faults", fault)

    def guard(totals):
        if totals.total > Decimal("30"):
            raise b.PriceAboveLimitError(f"total {totals.total} above 30")

    with pytest.raises(error) as caught:
        buy(browse, walmart, CARD, request_for(walmart, **request_args), guard=guard)
    assert not caught.value.may_have_bought
    assert orders(walmart) == []


def test_a_marketplace_seller_is_fine_without_the_rule(browse, walmart):
    buy(browse, walmart, CARD, request_for(walmart, CASE))
    assert [o["lines"] for o in orders(walmart)] == [[{"item_id": CASE, "quantity": 1}]]


@pytest.mark.parametrize(
    "setup,kind",
    [
        ({"name": "press_hold"}, "press_hold"),
        ({"name": "code"}, "code"),
        ({"sign_in": "code"}, "code"),
        ({"password": "other"}, None),  # a wrong password: LoginFailedError
    ],
)
def test_each_sign_in_challenge(browse, walmart, setup, kind):
    if "name" in setup:
        walmart.control("POST", "/sandbox/faults", setup)
    else:
        walmart.control(
            "POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD, **setup}
        )
    adapter = WalmartAdapter(walmart.url)
    login = lambda _c, page: adapter.login(page, CARD)  # noqa: E731
    if kind is None:
        with pytest.raises(b.LoginFailedError, match="don't match"):
            browse(login)
        return
    with pytest.raises(b.BlockedError) as caught:
        browse(login)
    assert caught.value.challenge == kind


def test_the_hand_off_types_the_e_mailed_code_and_sees_each_challenge(browse, walmart):
    walmart.control(
        "POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD, "sign_in": "code"}
    )
    adapter = WalmartAdapter(walmart.url)

    def flow(context, page):
        with pytest.raises(b.BlockedError):
            adapter.login(page, CARD)
        shown = adapter.challenge_on(page)
        code = walmart.control("GET", f"/sandbox/accounts/{EMAIL}")["last_code"]
        adapter.enter_code(page, code)  # what a person reads from the mailbox
        after = adapter.challenge_on(page)
        adapter.login(page, CARD)  # the session is signed in now
        return shown, after

    assert browse(flow) == ("code", None)
    walmart.control("POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD})
    walmart.control("POST", "/sandbox/faults", {"name": "press_hold"})

    def held(context, page):
        with pytest.raises(b.BlockedError):
            adapter.login(page, CARD)
        shown = adapter.challenge_on(page)
        box = page.locator("#px-captcha iframe").bounding_box()  # a person presses and holds
        page.mouse.move(box["x"] + 100, box["y"] + 40)
        with page.expect_navigation(timeout=15_000):
            page.mouse.down()
            page.wait_for_timeout(3_500)
        page.mouse.up()
        return shown, adapter.challenge_on(page)

    assert browse(held) == ("press_hold", None)


def test_a_stale_session_403_signs_in_again(browse, walmart):
    adapter = WalmartAdapter(walmart.url)
    state = browse(lambda context, page: (adapter.login(page, CARD), context.storage_state())[1])
    walmart.control("POST", "/sandbox/sessions/expire")
    browse(lambda _c, page: adapter.login(page, CARD), state)
    assert adapter.login_notes == {"session": "expired"}
    with pytest.raises(b.LoginFailedError):  # the tracking by HTTP with the stale cookies
        adapter.fetch_tracking_html(b.session_from_storage_state(state), "2000000-00000001")


def test_split_shipments_tracked_per_package_and_the_order_found_again(browse, walmart):
    walmart.control("POST", "/sandbox/faults", {"name": "split_shipments"})
    started = dt.datetime.now(dt.UTC)
    adapter, (placed, state) = buy(browse, walmart, CARD, request_for(walmart, BOTTLE, 2))
    number = placed.supplier_order_number
    read = lambda: adapter.parse_tracking(  # noqa: E731
        browse(lambda _c, page: adapter.fetch_tracking_html_in_browser(page, number), state)
    )
    assert read() == b.TrackingInfo("processing")
    (order,) = orders(walmart)
    walmart.control(
        "POST",
        f"/sandbox/orders/{order['id']}/ship",
        {
            "packages": [
                {"carrier": "fedex", "tracking_number": "775512345678", "status": "delivered"},
                {"carrier": "usps", "tracking_number": "9400111899223197428490"},
            ]
        },
    )
    info = read()
    assert info.tracking_number == "775512345678" and info.carrier == "FedEx"
    assert [
        (p.tracking_number, p.carrier, p.status, p.items, p.quantity) for p in info.packages
    ] == [
        ("775512345678", "FedEx", "delivered", (BOTTLE,), 1),
        ("9400111899223197428490", "USPS", "shipped", (BOTTLE,), 1),
    ]
    by_http = adapter.fetch_tracking_html(b.session_from_storage_state(state), number)
    assert adapter.parse_tracking(by_http) == info  # the same read over HTTP
    find = lambda req: lambda _c, page: adapter.find_order(page, CARD, req, started)  # noqa: E731
    assert browse(find(request_for(walmart, BOTTLE, 2)), state) == b.FoundOrder(
        number, placed.total
    )
    assert browse(find(request_for(walmart, BOTTLE, 1)), state) is None  # another quantity
    walmart.control("POST", f"/sandbox/orders/{order['id']}/cancel")
    assert read().status == "cancelled"
    assert browse(find(request_for(walmart, BOTTLE, 2)), state) is None


def test_two_matching_orders_are_ambiguous(browse, walmart):
    started = dt.datetime.now(dt.UTC)
    for _ in range(2):
        adapter, (_placed, state) = buy(browse, walmart, GIFT, request_for(walmart))
    with pytest.raises(b.AmbiguousMatchError):
        browse(
            lambda _c, page: adapter.find_order(page, GIFT, request_for(walmart), started), state
        )


@pytest.mark.parametrize(
    "change,words",
    [
        ({"postal_code": "ABC"}, "ZIP"),
        ({"country": "GB"}, "US addresses"),
        ({"state": "ZZ"}, "state"),
    ],
)
def test_an_address_walmart_refuses_places_nothing(browse, walmart, change, words):
    address = b.Address(**{**TO.__dict__, **change})
    request = b.PurchaseRequest(f"{walmart.url}/ip/{BOTTLE}", None, 1, address, "AO-1", None)
    with pytest.raises(b.AddressRejectedError, match=words) as caught:
        buy(browse, walmart, CARD, request)
    assert not caught.value.may_have_bought and orders(walmart) == []
