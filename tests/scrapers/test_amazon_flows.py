"""AmazonAdapter driving real Chromium against the Amazon replica (sandbox/amazon, a subprocess):
sign-in over the real saved sign-in pages (TOTP, every challenge), the checkout skeleton with card
and gift-card balance, add-on offers, the address suggestion, faults, tracking per shipment and
recovery by order-history match. Playwright runs on a thread of its own (see test_demo_shop_flows).
"""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pyotp
import pytest

from autoorder.scrapers import base as b
from autoorder.scrapers.amazon import AmazonAdapter
from autoorder.scrapers.browser import BrowserPool, chromium_executable
from sandbox.amazon.testing import start_amazon

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "bot@replica.test", "s3cret-pass"
SECRET = pyotp.random_base32()
CARD = b.Credentials(EMAIL, PASSWORD, "card", "4111 1111 1111 1111", "11/2031", "321", "Ann Bot")
GIFT = b.Credentials(EMAIL, PASSWORD, "gift_card")
TO = b.Address("Dana Whitfield", "742 Evergreen Terrace", "", "Springfield", "OR", "97403", "US")
BOTTLE, EARBUDS = "B0CHX1W1XY", "B07XJ8C8F5"


def request_for(amazon, asin=EARBUDS, quantity=2, max_total=None, gift=False):
    return b.PurchaseRequest(
        f"{amazon.url}/dp/{asin}", None, quantity, TO, "AO-1", max_total, gift=gift
    )


@pytest.fixture(scope="module")
def amazon_server(tmp_path_factory):
    server = start_amazon(seed=5, log_path=tmp_path_factory.mktemp("amazon") / "amazon.log")
    yield server
    server.stop()


@pytest.fixture
def amazon(amazon_server):
    amazon_server.reset()
    amazon_server.control(
        "POST",
        "/sandbox/accounts",
        {"email": EMAIL, "password": PASSWORD, "gift_card_balance": "150.00"},
    )
    return amazon_server


@pytest.fixture(scope="module")
def browser_thread():
    thread, pool = ThreadPoolExecutor(1, thread_name_prefix="amazon-browser"), BrowserPool()
    yield thread, pool
    thread.submit(pool.close).result(timeout=30)
    thread.shutdown()


@pytest.fixture
def browse(browser_thread, amazon):
    thread, pool = browser_thread

    def run(flow, state=None):
        def in_context():
            with pool.page(chromium_executable(), state) as (context, page):
                return flow(context, page)

        return thread.submit(in_context).result(timeout=180)

    return run


def orders(amazon):
    return amazon.control("GET", "/sandbox/orders")["orders"]


def buy(browse, amazon, credentials, request, guard=None, before=None):
    adapter = AmazonAdapter(amazon.url)

    def flow(context, page):
        adapter.login(page, credentials)
        if before:
            before(adapter, page)
        placed = adapter.place_order(page, request, credentials, before_place=guard)
        return placed, context.storage_state()

    return adapter, browse(flow)


def test_card_order_declines_the_add_on_keeps_the_entered_address_and_empties_the_cart(
    browse, amazon
):
    amazon.control("POST", "/sandbox/faults", {"name": "address_suggestion"})
    seen = []

    def leftover(adapter, page):  # an earlier failed run left another item in the cart
        page.goto(f"{amazon.url}/dp/{BOTTLE}")
        page.click("#add-to-cart-button")
        page.wait_for_selector("#NATC_SMART_WAGON_CONF_MSG_SUCCESS")
        page.goto(f"{amazon.url}/your-orders/orders")

    adapter, (placed, _state) = buy(
        browse, amazon, CARD, request_for(amazon, gift=True), guard=seen.append, before=leftover
    )
    (order,) = orders(amazon)
    assert placed.supplier_order_number == order["number"]
    assert order["lines"] == [{"asin": EARBUDS, "quantity": 2, "protection": False}]
    assert order["address_choice"] == "original" and order["ship_to"]["line1"] == TO.line1
    assert order["payment_method"] == "card" and order["card_last4"] == "1111"
    assert order["gift"] is True
    items = Decimal("79.98")
    tax = (items * Decimal("0.0825")).quantize(Decimal("0.01"))
    assert seen == [b.ReviewTotals(items, Decimal("0.00"), tax, items + tax)]
    assert placed.total == items + tax and set(placed.screenshots) == {"review", "confirmation"}


def test_gift_card_balance_pays_and_a_low_balance_places_nothing(browse, amazon):
    adapter, (placed, _state) = buy(browse, amazon, GIFT, request_for(amazon, BOTTLE, 1))
    (order,) = orders(amazon)
    assert order["payment_method"] == "gift_card" and order["card_last4"] is None
    assert adapter.gift_card_balance == Decimal("150.00")
    guard = []
    with pytest.raises(b.GiftCardBalanceLowError, match="does not cover") as caught:
        buy(browse, amazon, GIFT, request_for(amazon, EARBUDS, 3), guard=guard.append)
    assert not caught.value.may_have_bought and guard == []
    assert len(orders(amazon)) == 1


@pytest.mark.parametrize(
    "fault,error,code",
    [
        ("out_of_stock", b.OutOfStockError, None),
        ("price_change", b.PriceAboveLimitError, None),
        ("declined_card", b.PaymentDeclinedError, None),
        ("sold_out_at_place", b.OutOfStockError, None),
    ],
)
def test_faults_place_nothing(browse, amazon, fault, error, code):
    amazon.control("POST", "/sandbox/faults", {"name": fault, "factor": "1.5"})

    def guard(totals):
        if totals.total > Decimal("90"):
            raise b.PriceAboveLimitError(f"total {totals.total} above 90")

    with pytest.raises(error) as caught:
        buy(browse, amazon, CARD, request_for(amazon), guard=guard)
    assert not caught.value.may_have_bought
    assert orders(amazon) == []


def test_totp_sign_in_and_a_wrong_key(browse, amazon):
    amazon.control(
        "POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD, "totp_secret": SECRET}
    )
    adapter = AmazonAdapter(amazon.url)
    with_key = b.Credentials(EMAIL, PASSWORD, totp_secret=SECRET)
    browse(lambda _c, page: adapter.login(page, with_key))
    assert adapter.login_notes == {"totp": "accepted"}
    wrong = b.Credentials(EMAIL, PASSWORD, totp_secret=pyotp.random_base32())
    with pytest.raises(b.LoginFailedError, match="authenticator code"):
        browse(lambda _c, page: adapter.login(page, wrong))
    assert adapter.login_notes == {"totp": "refused"}
    with pytest.raises(b.BlockedError) as caught:  # no key: a person must type the code
        browse(lambda _c, page: adapter.login(page, b.Credentials(EMAIL, PASSWORD)))
    assert caught.value.challenge == "code"


@pytest.mark.parametrize(
    "setup,kind",
    [
        ({"name": "captcha"}, "captcha"),
        ({"name": "code"}, "code"),
        ({"name": "waf"}, "bot_check"),
        ({"two_factor": "sms"}, "code"),
        ({"password": "other"}, None),  # wrong password: LoginFailedError
        ({"name": "intent"}, "ok"),  # the intent confirmation is answered
    ],
)
def test_each_sign_in_challenge(browse, amazon, setup, kind):
    if "name" in setup:
        amazon.control("POST", "/sandbox/faults", setup)
    else:
        account = {"email": EMAIL, "password": PASSWORD, **setup}
        amazon.control("POST", "/sandbox/accounts", account)
    adapter = AmazonAdapter(amazon.url)
    login = lambda _c, page: adapter.login(page, CARD)  # noqa: E731
    if kind == "ok":
        browse(login)
    elif kind is None:
        with pytest.raises(b.LoginFailedError, match="password is incorrect"):
            browse(login)
    else:
        with pytest.raises(b.BlockedError) as caught:
            browse(login)
        assert caught.value.challenge == kind


def test_split_shipments_tracked_per_package_and_the_order_found_again(browse, amazon):
    amazon.control("POST", "/sandbox/faults", {"name": "split_shipments"})
    started = dt.datetime.now(dt.UTC)
    adapter, (placed, state) = buy(browse, amazon, CARD, request_for(amazon, BOTTLE, 2))
    number = placed.supplier_order_number
    session = b.session_from_storage_state(state)
    assert adapter.parse_tracking(adapter.fetch_tracking_html(session, number)) == b.TrackingInfo(
        "processing"
    )
    amazon.control(
        "POST",
        f"/sandbox/orders/{number}/ship",
        {
            "packages": [
                {"carrier": "amazon", "tracking_number": "TBA123456789012", "status": "delivered"},
                {"carrier": "ups", "tracking_number": "1Z999AA10123456784"},
            ]
        },
    )
    info = adapter.parse_tracking(adapter.fetch_tracking_html(session, number))
    assert info.tracking_number == "TBA123456789012" and info.carrier == "Amazon Logistics"
    assert [(p.tracking_number, p.carrier, p.status, p.items) for p in info.packages] == [
        ("TBA123456789012", "Amazon Logistics", "delivered", (BOTTLE,)),
        ("1Z999AA10123456784", "UPS", "shipped", (BOTTLE,)),
    ]
    in_browser = browse(
        lambda _c, page: adapter.fetch_tracking_html_in_browser(page, number), state
    )
    assert adapter.parse_tracking(in_browser) == info  # the same read, in the browser
    find = lambda req: lambda _c, page: adapter.find_order(page, CARD, req, started)  # noqa: E731
    found = browse(find(request_for(amazon, BOTTLE, 2)), state)
    assert found == b.FoundOrder(number, placed.total)
    assert browse(find(request_for(amazon, BOTTLE, 1)), state) is None  # another quantity
    amazon.control("POST", f"/sandbox/orders/{number}/cancel")
    assert (
        adapter.parse_tracking(adapter.fetch_tracking_html(session, number)).status == "cancelled"
    )


def test_two_matching_orders_are_ambiguous(browse, amazon):
    started = dt.datetime.now(dt.UTC)
    for _ in range(2):
        adapter, (_placed, state) = buy(browse, amazon, GIFT, request_for(amazon, BOTTLE, 1))
    with pytest.raises(b.AmbiguousMatchError):
        browse(
            lambda _c, page: adapter.find_order(
                page, GIFT, request_for(amazon, BOTTLE, 1), started
            ),
            state,
        )


@pytest.mark.parametrize("change", [{"postal_code": "ABC"}, {"country": "GB"}])
def test_an_address_amazon_refuses_places_nothing(browse, amazon, change):
    address = b.Address(**{**TO.__dict__, **change})
    request = b.PurchaseRequest(f"{amazon.url}/dp/{BOTTLE}", None, 1, address, "AO-1", None)
    with pytest.raises(b.AddressRejectedError, match="rejected the ship-to address") as caught:
        buy(browse, amazon, CARD, request)
    assert not caught.value.may_have_bought and orders(amazon) == []
