"""DemoShopAdapter driving real Chromium against the subprocess demo shop (one shop, one browser per
session).

Playwright runs on a thread of its own: the test thread may already host a sync Playwright (the
tests/sandbox/shop fixtures keep one for the whole session) and two cannot share a thread. Each test
hands a ``flow(context, page)`` to ``browse``, which runs it in a fresh context and returns its
result.
"""

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from autoorder.scrapers.base import (
    Address,
    AddressRejectedError,
    BlockedError,
    Credentials,
    FoundOrder,
    LoginFailedError,
    OutOfStockError,
    PageChangedError,
    PaymentDeclinedError,
    PriceAboveLimitError,
    PurchaseRequest,
    SupplierError,
    session_from_storage_state,
)
from autoorder.scrapers.browser import BrowserPool, chromium_executable
from autoorder.scrapers.demo_shop import DemoShopAdapter, _choose_variant
from sandbox.shop.testing import start_shop

pytestmark = pytest.mark.browser

EXPIRY = f"12/{dt.date.today().year + 3}"  # MM/YYYY on purpose: the adapter writes MM/YY
CARD = Credentials(
    "buyer@demo.test", "demo-password", "card", "4242 4242 4242 4242", EXPIRY, "123", "Jane Buyer"
)
GIFT = Credentials("buyer@demo.test", "demo-password", "gift_card")
MIAMI = Address(
    "Maria Lopez", "55 Ocean Ave", "Apt 4", "Miami", "FL", "33139", "US", "305-555-0199"
)
LONDON = Address(
    "Tom Baker", "10 Downing St", "", "London", "", "SW1A 2AA", "gb", "+44 20 7946 0000"
)
PNG = b"\x89PNG"


@pytest.fixture(scope="session")
def shop_server(tmp_path_factory):
    server = start_shop(
        seed=7, log_path=tmp_path_factory.mktemp("demo-shop") / "shop.log", extra_args=("--quiet",)
    )
    yield server
    server.stop()


@pytest.fixture
def shop(shop_server):
    shop_server.reset()
    return shop_server


@pytest.fixture(scope="session")
def browser_thread():
    """One thread that owns the session's Chromium (a BrowserPool); every Playwright call runs on
    it."""
    thread, pool = (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-shop-browser"),
        BrowserPool(),
    )
    yield thread, pool
    thread.submit(pool.close).result(timeout=30)
    thread.shutdown()


@pytest.fixture
def browse(browser_thread, shop):
    """Run ``flow(context, page)`` in a fresh context (optionally with a storage state); return its
    result."""
    thread, pool = browser_thread

    def run(flow, state=None):
        def in_context():
            with pool.page(chromium_executable(), state) as (context, page):
                page.seen = []  # every response as "METHOD /path STATUS"
                page.on(
                    "response",
                    lambda r: page.seen.append(
                        f"{r.request.method} {r.url.removeprefix(shop.url)} {r.status}"
                    ),
                )
                return flow(context, page)

        return thread.submit(in_context).result(timeout=120)

    return run


@pytest.fixture
def adapter(shop):
    return DemoShopAdapter(shop.url)


def _count(page, prefix: str) -> int:
    return sum(1 for line in page.seen if line.startswith(prefix))


def _before_adding(page, prefix: str) -> int:
    """Like _count, over the requests before the first add to cart (which lands on /cart)."""
    seen = page.seen[
        : next(
            (i for i, line in enumerate(page.seen) if line.startswith("POST /cart/add")),
            len(page.seen),
        )
    ]
    return sum(1 for line in seen if line.startswith(prefix))


class Guard:
    """A before_place callback that records the totals and optionally raises."""

    def __init__(self, raises: Exception | None = None):
        self.calls, self.raises = [], raises

    def __call__(self, totals):
        self.calls.append(totals)
        if self.raises is not None:
            raise self.raises


def purchase(
    shop,
    slug="cotton-tshirt",
    variant="Black / L",
    quantity=2,
    ship_to=MIAMI,
    reference="AO-42-1a2b3c4d",
):
    return PurchaseRequest(
        f"{shop.url}/products/{slug}", variant, quantity, ship_to, reference, None
    )


def orders(shop) -> list[dict]:
    return shop.control("GET", "/sandbox/orders")


def buy(adapter, page, request, credentials=CARD, guard=None):
    adapter.login(page, credentials)
    return adapter.place_order(page, request, credentials, before_place=guard or Guard())


def refused(adapter, request, error, credentials=CARD, guard=None, match=None):
    """A flow: buying ``request`` raises ``error``; returns the page (for its recorded
    responses)."""

    def flow(_context, page):
        with pytest.raises(error, match=match):
            buy(adapter, page, request, credentials, guard)
        return page

    return flow


# --- buying -------------------------------------------------------------------------------------
def test_card_purchase_places_exactly_the_request(adapter, browse, shop):
    guard = Guard()
    placed, page = browse(lambda _c, page: (buy(adapter, page, purchase(shop), guard=guard), page))
    (order,) = orders(shop)
    assert placed.supplier_order_number == order["number"] and placed.total == Decimal(
        order["total"]
    )
    assert [(i["variant_id"], i["variant_label"], i["quantity"]) for i in order["items"]] == [
        ("TS-BLK-L", "Black / L", 2)
    ]
    assert (
        order["ship_to"]["full_name"],
        order["ship_to"]["postal_code"],
        order["ship_to"]["state"],
    ) == ("Maria Lopez", "33139", "FL")
    assert (order["note"], order["payment_method"], order["card_last4"]) == (
        "AO-42-1a2b3c4d",
        "card",
        "4242",
    )
    (totals,) = guard.calls
    assert (
        (totals.item, totals.shipping, totals.tax, totals.total)
        == tuple(Decimal(order[k]) for k in ("subtotal", "shipping", "tax", "total"))
        == (Decimal("25.98"), Decimal("4.99"), Decimal("1.56"), Decimal("32.53"))
    )
    assert set(placed.screenshots) == {"review", "confirmation"}
    assert all(png.startswith(PNG) for png in placed.screenshots.values())
    assert _count(page, "POST /checkout/place") == 1


def test_gift_card_purchase_abroad(adapter, browse, shop):
    request = purchase(shop, "led-desk-lamp", None, 1, ship_to=LONDON)
    placed = browse(lambda _c, page: buy(adapter, page, request, credentials=GIFT))
    (order,) = orders(shop)
    assert (order["variant_id"], order["payment_method"], order["card_last4"]) == (
        "LAMP-STD",
        "gift_card",
        None,
    )
    assert (order["ship_to"]["country"], order["shipping"], order["tax"]) == ("GB", "12.99", "0.00")
    assert placed.total == Decimal("37.89") == Decimal(order["total"])
    assert shop.control("GET", "/sandbox/accounts/buyer@demo.test")["gift_card_balance"] == "462.11"


@pytest.mark.parametrize(
    ("slug", "variant", "variant_id"),
    [
        ("phone-case", "Navy Blue", "PC-NVY"),
        ("watch-band", "Olive / 45mm", "WB-OLI-45"),
        ("led-desk-lamp", "Standard", "LAMP-STD"),
        ("led-desk-lamp", None, "LAMP-STD"),
        ("cotton-tshirt?variant=TS-GRY-S", None, "TS-GRY-S"),  # preselected by the URL
    ],
)
def test_variant_label_clicks_the_option_buttons(browse, shop, slug, variant, variant_id):
    def flow(_context, page):
        page.goto(f"{shop.url}/products/{slug}")
        _choose_variant(page, variant)
        selected = page.eval_on_selector_all(
            "button.variant-option.selected", "bs => bs.map(b => b.dataset.value)"
        )
        return page.input_value("#variant-id"), selected

    chosen, selected = browse(flow)
    assert chosen == variant_id
    if "?" not in slug:
        assert selected == ([] if variant in (None, "Standard") else variant.split(" / "))


@pytest.mark.parametrize(
    ("slug", "variant", "words"),
    [
        ("cotton-tshirt", "Purple / L", "not offered"),
        ("cotton-tshirt", None, "needs a choice of color, size"),
        ("led-desk-lamp", "Black", "no options"),
    ],
)
def test_unmatched_variant_is_refused(adapter, browse, shop, slug, variant, words):
    page = browse(refused(adapter, purchase(shop, slug, variant, 1), PageChangedError, match=words))
    assert _count(page, "POST /cart/add") == 0 and orders(shop) == []


@pytest.mark.parametrize(
    ("variant", "quantity", "fault"),
    [
        ("White / XL", 1, None),  # seeded stock 0
        ("Black / L", 1, {"name": "out_of_stock", "products": ["cotton-tshirt"]}),
        ("Black / L", 99, None),  # fewer in stock than wanted
    ],
)
def test_out_of_stock(adapter, browse, shop, variant, quantity, fault):
    if fault:
        shop.control("POST", "/sandbox/faults", fault)
    guard = Guard()
    browse(
        refused(
            adapter,
            purchase(shop, variant=variant, quantity=quantity),
            OutOfStockError,
            guard=guard,
        )
    )
    assert guard.calls == [] and orders(shop) == []


def test_declined_card(adapter, browse, shop):
    declined = Credentials(
        "buyer@demo.test", "demo-password", "card", "4000000000000002", "01/39", "999", "J B"
    )
    guard = Guard()
    page = browse(
        refused(adapter, purchase(shop), PaymentDeclinedError, declined, guard, match="declined")
    )
    assert len(guard.calls) == 1 and orders(shop) == []  # the decline comes after the click
    assert _count(page, "POST /checkout/place") == 1


def test_address_rejected(adapter, browse, shop):
    guard = Guard()
    bad_zip = Address(
        "Maria Lopez", "55 Ocean Ave", "", "Miami", "FL", "MIAMI", "US", "305-555-0199"
    )
    browse(
        refused(
            adapter, purchase(shop, ship_to=bad_zip), AddressRejectedError, guard=guard, match="ZIP"
        )
    )
    assert guard.calls == [] and orders(shop) == []


def test_upsell_is_declined(adapter, browse, shop):
    shop.control("POST", "/sandbox/faults", {"name": "upsell"})
    request = purchase(shop, variant="l / BLACK")  # a label in any order and case
    placed, page = browse(lambda _c, page: (buy(adapter, page, request), page))
    (order,) = orders(shop)
    assert order["variant_id"] == "TS-BLK-L"
    assert _count(page, "POST /checkout/upsell 302") == 1
    assert order["protection_plan"] == "0.00" and placed.total == Decimal(
        order["total"]
    ) == Decimal("32.53")


def test_price_raise_reaches_the_guard_and_nothing_is_placed(adapter, browse, shop):
    shop.control("POST", "/sandbox/faults", {"name": "price_raise", "factor": 1.25})
    guard = Guard(raises=PriceAboveLimitError("above the limit"))
    request = purchase(shop, "led-desk-lamp", None, 1)
    page = browse(
        refused(adapter, request, PriceAboveLimitError, guard=guard, match="above the limit")
    )
    (totals,) = guard.calls
    assert totals.item == Decimal("31.13")  # 24.90 x 1.25, listed as 24.90 on the product page
    assert totals.total == totals.item + totals.shipping + totals.tax == Decimal("37.99")
    assert _count(page, "POST /checkout/place") == 0 and orders(shop) == []


def test_alternate_layout_fails_fast(adapter, browse, shop):
    shop.control("POST", "/sandbox/faults", {"name": "alternate_layout"})

    def flow(_context, page):
        adapter.login(page, CARD)
        started = time.monotonic()
        with pytest.raises(PageChangedError, match="#product-title"):
            adapter.place_order(page, purchase(shop), CARD, before_place=Guard())
        return time.monotonic() - started

    assert browse(flow) < 8
    assert orders(shop) == []


def test_flaky_checkout_pages_are_retried_before_the_click(adapter, browse, shop):
    shop.control("POST", "/sandbox/faults", {"name": "flaky", "every": 3})
    guard = Guard()
    placed, page = browse(lambda _c, page: (buy(adapter, page, purchase(shop), guard=guard), page))
    (order,) = orders(shop)
    assert placed.supplier_order_number == order["number"] and placed.total == Decimal(
        order["total"]
    )
    assert (
        _count(page, "GET /checkout/payment 500") == _count(page, "GET /checkout/review 500") == 1
    )  # retried
    assert (
        _count(page, "POST /checkout/place") == 1 and len(guard.calls) == 1
    )  # never clicked twice
    # the confirmation page after the click failed too: the number came from the redirect, the page
    # is not reloaded
    assert _count(page, f"GET /checkout/confirmation/{order['number']} 500") == 1
    assert (
        _count(page, "GET /checkout/confirmation/") == 1
        and _count(page, f"GET /orders/{order['number']} 200") == 1
    )


def test_failed_place_order_request_is_not_retried(adapter, browse, shop):
    shop.control(
        "POST", "/sandbox/faults", {"name": "flaky", "every": 6}
    )  # the 6th checkout request is the click
    guard = Guard()
    page = browse(
        refused(
            adapter, purchase(shop), SupplierError, guard=guard, match="place-order click led to"
        )
    )
    assert len(guard.calls) == 1 and _count(page, "POST /checkout/place") == 1
    assert "POST /checkout/place 500" in page.seen and orders(shop) == []


def test_checkout_that_always_fails_gives_up_cleanly(adapter, browse, shop):
    shop.control("POST", "/sandbox/faults", {"name": "flaky", "probability": 1})
    guard = Guard()

    def flow(_context, page):
        with pytest.raises(SupplierError, match="kept failing") as caught:
            buy(adapter, page, purchase(shop), guard=guard)
        return caught.value

    error = browse(flow)
    assert error.retryable and not error.may_have_bought  # nothing can have been bought
    assert guard.calls == [] and orders(shop) == []


def _leave_a_line(adapter, shop, page):
    """Sign in and put one phone case in the cart, as a failed earlier run would have."""
    adapter.login(page, CARD)
    page.goto(f"{shop.url}/products/phone-case?variant=PC-BLK")
    page.click("#add-to-cart")
    page.wait_for_url("**/cart")


def test_leftover_cart_lines_are_removed(adapter, browse, shop):
    def flow(_context, page):
        _leave_a_line(adapter, shop, page)
        assert page.locator("tr.cart-line").count() == 1
        adapter.place_order(
            page, purchase(shop, variant="Heather Grey / S", quantity=1), CARD, before_place=Guard()
        )

    browse(flow)
    (order,) = orders(shop)
    assert [(i["variant_id"], i["quantity"]) for i in order["items"]] == [("TS-GRY-S", 1)]


def test_leftovers_from_an_earlier_session_are_seen_in_the_header_and_removed(
    adapter, browse, shop
):
    def buy_fresh(_context, page):
        adapter.login(page, CARD)
        adapter.place_order(
            page, purchase(shop, variant="Heather Grey / S", quantity=1), CARD, before_place=Guard()
        )
        return _before_adding(page, "GET /cart "), _count(page, "POST /cart/clear")

    browse(lambda _context, page: _leave_a_line(adapter, shop, page))
    cart_views, clears = browse(buy_fresh)
    assert cart_views >= 1 and clears == 1
    (order,) = orders(shop)
    assert [(i["variant_id"], i["quantity"]) for i in order["items"]] == [("TS-GRY-S", 1)]


def test_an_empty_cart_is_not_opened_before_adding(adapter, browse, shop):
    def flow(_context, page):
        adapter.login(page, CARD)
        adapter.place_order(page, purchase(shop), CARD, before_place=Guard())
        return _before_adding(page, "GET /cart "), _count(page, "POST /cart/add")

    assert browse(flow) == (0, 1)  # the order history's header already said 0
    assert len(orders(shop)) == 1


# --- signing in -----------------------------------------------------------------------------------
def test_saved_session_is_reused_without_the_form(adapter, browse, shop):
    def flow(context, page):
        adapter.login(page, CARD)
        return _count(page, "POST /login"), page.url, context.storage_state()

    posts, url, state = browse(flow)
    assert (posts, url) == (1, f"{shop.url}/orders")
    posts, url, _ = browse(flow, state)
    assert (posts, url) == (0, f"{shop.url}/orders")
    shop.control("PATCH", "/sandbox/accounts/buyer@demo.test", {"expire_sessions": True})
    posts, url, _ = browse(flow, state)
    assert (posts, url) == (1, f"{shop.url}/orders")


@pytest.mark.parametrize(
    ("email", "password", "error", "words"),
    [
        ("buyer@demo.test", "wrong-password", LoginFailedError, "Incorrect email or password"),
        ("2fa@demo.test", "demo-password", BlockedError, "one-time code"),
        ("captcha@demo.test", "demo-password", BlockedError, "slide to verify"),
    ],
)
def test_login_refused(adapter, browse, email, password, error, words):
    def flow(_context, page):
        with pytest.raises(error, match=words) as caught:
            adapter.login(page, Credentials(email, password))
        return caught.value.code

    assert (
        browse(flow)
        == {"LoginFailedError": "login_failed", "BlockedError": "challenge"}[error.__name__]
    )


# --- recovery and tracking ------------------------------------------------------------------------
def _find(adapter, request, placed_after):
    def flow(_context, page):  # a fresh context: signs in first, as BotSession.find does
        adapter.login(page, CARD)
        return adapter.find_order(page, CARD, request, placed_after)

    return flow


def test_find_order_by_note_and_contents(adapter, browse, shop):
    began = dt.datetime.now(dt.UTC)
    first = browse(lambda _c, page: buy(adapter, page, purchase(shop, reference="AO-7-aaaa1111")))
    case = purchase(shop, "phone-case", "Clear", 1, reference="AO-8-bbbb2222")
    second = browse(lambda _c, page: buy(adapter, page, case))
    found = [
        browse(_find(adapter, request, began))
        for request in (
            purchase(shop, reference="AO-7-aaaa1111"),
            case,
            purchase(shop, reference="AO-9-unknown0"),  # same contents, another note: not ours
            purchase(shop, "phone-case", "Clear", 2, reference="AO-8-bbbb2222"),  # quantity
        )
    ]
    assert found == [
        FoundOrder(first.supplier_order_number, first.total),
        FoundOrder(second.supplier_order_number, second.total),
        None,
        None,
    ]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)  # placed before the attempt began
    assert browse(_find(adapter, purchase(shop, reference="AO-7-aaaa1111"), later)) is None


def test_find_order_without_notes_matches_item_quantity_and_ship_to(adapter, browse, shop):
    """A supplier without order notes (Amazon, Walmart): the shop's note switched off."""
    shop.control("POST", "/sandbox/faults", {"name": "no_order_note"})
    began = dt.datetime.now(dt.UTC)
    placed = browse(lambda _c, page: buy(adapter, page, purchase(shop, reference="AO-1-x")))
    assert orders(shop)[0]["note"] == ""  # nothing of ours on the supplier's side
    browse(lambda _c, page: buy(adapter, page, purchase(shop, quantity=1, reference="AO-2-y")))
    browse(lambda _c, page: buy(adapter, page, purchase(shop, ship_to=LONDON, reference="AO-3")))
    browse(lambda _c, page: buy(adapter, page, purchase(shop, variant="White / M", reference="4")))
    assert browse(_find(adapter, purchase(shop, reference="AO-1-x"), began)) == FoundOrder(
        placed.supplier_order_number, placed.total
    )
    other = purchase(shop, "phone-case", "Clear", 2, reference="AO-5-z")
    assert browse(_find(adapter, other, began)) is None


def test_find_order_with_two_candidates_needs_a_person(adapter, browse, shop):
    from autoorder.scrapers.base import AmbiguousMatchError

    shop.control("POST", "/sandbox/faults", {"name": "no_order_note"})
    began = dt.datetime.now(dt.UTC)
    for ref in ("AO-1-a", "AO-1-b"):
        browse(lambda _c, page, ref=ref: buy(adapter, page, purchase(shop, reference=ref)))

    def flow(context, page):
        with pytest.raises(AmbiguousMatchError) as caught:
            _find(adapter, purchase(shop, reference="AO-1-a"), began)(context, page)
        return caught.value

    assert "all match" in browse(flow).message and len(orders(shop)) == 2


def test_find_order_without_orders(adapter, browse, shop):
    assert browse(_find(adapter, purchase(shop), dt.datetime.now(dt.UTC))) is None


def test_tracking_with_requests_after_shipping(adapter, browse, shop):
    placed, state = browse(
        lambda context, page: (buy(adapter, page, purchase(shop)), context.storage_state())
    )
    number = placed.supplier_order_number
    session = session_from_storage_state(state)
    assert (
        adapter.parse_tracking(adapter.fetch_tracking_html(session, number)).status == "processing"
    )
    shipped = shop.control("POST", f"/sandbox/orders/{number}/ship", {"format": "chinapost"})
    info = adapter.parse_tracking(adapter.fetch_tracking_html(session, number))
    assert (info.status, info.carrier, info.tracking_number) == (
        "shipped",
        "China Post",
        shipped["tracking_number"],
    )
    assert info.tracking_number.endswith("CN")
    with pytest.raises(LoginFailedError):
        adapter.fetch_tracking_html(session_from_storage_state({"cookies": []}), number)


# --- verified after the click (issue #9): what was placed must be exactly the request -----------
class SecondTab(Guard):
    """Another session on the same account acts between our review and our click."""

    def __init__(self, shop, action):
        super().__init__()
        self.shop, self.action = shop, action

    def __call__(self, totals):
        super().__call__(totals)
        page = self.page.context.new_page()
        try:
            self.action(self.shop, page)
        finally:
            page.close()


def _add_lamp(shop, page):
    page.goto(f"{shop.url}/products/led-desk-lamp")
    page.click("#add-to-cart")
    page.wait_for_url("**/cart")


def _move_to_london(shop, page):
    """Another buyer's address replaces ours in the account's one checkout (payment is kept)."""
    page.goto(f"{shop.url}/checkout/address")
    for field, value in (
        ("full-name", LONDON.name),
        ("address1", LONDON.line1),
        ("address2", ""),
        ("city", LONDON.city),
        ("state", ""),
        ("postal-code", LONDON.postal_code),
        ("phone", LONDON.phone),
    ):
        page.fill(f"#ship-{field}", value)
    page.select_option("#ship-country", "GB")
    page.click("#address-continue")
    page.wait_for_url("**/checkout/payment")


@pytest.mark.parametrize(
    ("action", "words"),
    [(_add_lamp, "items"), (_move_to_london, "ship-to name")],
)
def test_a_placed_order_with_other_contents_is_reported_not_bought(
    adapter, browse, shop, action, words
):
    from autoorder.scrapers.base import WrongContentsError

    guard = SecondTab(shop, action)

    def flow(_context, page):
        guard.page = page
        with pytest.raises(WrongContentsError, match=words) as caught:
            buy(adapter, page, purchase(shop, quantity=1), guard=guard)
        return caught.value

    error = browse(flow)
    (order,) = orders(shop)  # placed once, with the other session's contents
    assert error.supplier_order_number == order["number"] and error.code == "wrong_contents"
    assert set(error.screenshots) == {"review", "confirmation"}
