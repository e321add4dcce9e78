"""Amazon's page readers on REAL saved amazon.com pages (MIT,
tests/scrapers/fixtures/amazon/LICENSE): the sign-in state detector over every saved sign-in page
(auth/), the order-history reader (history/) and the order-details reader (details/), each a golden
pair <case>.html + <case>.json, discovered (drop a page and its JSON in to add a case). The
ship-track reader and the top-level tracking pairs run through test_golden_fixtures.py. Also:
product references, review totals and the recovery match, tested on real order-history pages.

These pages hold a real person's data: test ids are case names; assertion messages name fields,
never values.
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from autoorder.scrapers import amazon as amz
from autoorder.scrapers import amazon_pages as P
from autoorder.scrapers import get_adapter
from autoorder.scrapers.base import Address, PageChangedError, PurchaseRequest

FIXTURES = Path(__file__).parent / "fixtures" / "amazon"
ADAPTER = get_adapter("amazon", "https://www.amazon.com")


def cases(folder):
    return sorted(p.stem for p in (FIXTURES / folder).glob("*.json"))


def load(folder, case):
    html = (FIXTURES / folder / f"{case}.html").read_text(encoding="utf-8", errors="replace")
    return html, json.loads((FIXTURES / folder / f"{case}.json").read_text())


def order_dict(o, details: bool) -> dict:
    d = {
        "number": o.number,
        "placed": o.placed.isoformat() if o.placed else None,
        "total": str(o.total) if o.total is not None else None,
        "status": o.status,
        "asins": list(o.asins),
        "shipments": [
            {"status": s.status, "track_link": bool(s.track_url), "asins": list(s.asins)}
            for s in o.shipments
        ],
        "ship_to_read": {"name": bool(o.ship_name), "zip": bool(o.ship_postal)},
    }
    if details:
        d["quantities"] = [list(q) for q in o.quantities]
    return d


def same(got: dict, expected: dict) -> list[str]:
    """The names of the fields that differ (never their values: real data)."""
    return [k for k in set(got) | set(expected) if got.get(k) != expected.get(k)]


@pytest.mark.parametrize("folder", ["auth", "history", "details"])
def test_every_page_has_its_expectation_and_licence(folder):
    pages = {p.stem for p in (FIXTURES / folder).glob("*.html")}
    assert pages and pages == set(cases(folder))
    assert (FIXTURES / folder / "LICENSE").read_text().startswith("MIT")


@pytest.mark.parametrize("case", cases("auth"))
def test_auth_state(case):
    html, expected = load("auth", case)
    state, message = P.auth_state(html, ADAPTER.s)
    assert state == expected["state"]
    assert message == expected["message"]


def test_the_detector_knows_every_sign_in_state_of_the_issue():
    states = {load("auth", c)[1]["state"] for c in cases("auth")}
    wanted = {"signed_out", "email", "password", "intent", "device_choice", "code_entry"}
    wanted |= {"wrong_code", "captcha", "bot_check", "login_error", "email_code", "otp_limit"}
    assert wanted <= states


@pytest.mark.parametrize("case", cases("history"))
def test_order_history(case):
    html, expected = load("history", case)
    got = [order_dict(o, False) for o in P.read_order_history(html, ADAPTER.s)]
    assert len(got) == len(expected["orders"])
    for position, (g, e) in enumerate(zip(got, expected["orders"], strict=True)):
        assert not same(g, e), f"order {position}: {same(g, e)} differ"


@pytest.mark.parametrize("case", cases("details"))
def test_order_details(case):
    html, expected = load("details", case)
    got = order_dict(P.read_order_details(html, ADAPTER.s), True)
    assert not same(got, expected), f"{same(got, expected)} differ"


def test_history_parser_refuses_another_page():
    html, _ = load("auth", "signin")
    with pytest.raises(PageChangedError):
        P.read_order_history(html, ADAPTER.s)


def test_history_falls_back_to_beautifulsoup_for_an_override_only_soupsieve_reads():
    html, expected = load("history", "fresh")
    adapter = get_adapter(
        "amazon", "https://www.amazon.com", {"order_card": ["div:is(.order-card)"]}
    )
    numbers = [o.number for o in P.read_order_history(html, adapter.s)]
    same_numbers = numbers == [o["number"] for o in expected["orders"]]  # (not shown: real data)
    assert same_numbers, "the fallback read other orders"


# --- recovery: matching the order history (real pages) ------------------------------------------
def _request_for(order, quantity=1, **ship):
    address = Address(order.ship_name, "1 Main St", "", "Town", "ST", order.ship_postal, "US")
    address = Address(**{**address.__dict__, **ship})
    return PurchaseRequest(
        f"https://www.amazon.com/dp/{order.asins[0]}", None, quantity, address, "AO-1", None
    )


@pytest.mark.parametrize("case", ["fresh", "egift", "returned_2020"])
def test_recovery_matches_one_order_of_a_real_history_page(case):
    html, _ = load("history", case)
    orders = P.read_order_history(html, ADAPTER.s)
    target = next(o for o in orders if len(o.asins) == 1 and o.ship_name and o.ship_postal)
    placed_after = datetime(*target.placed.timetuple()[:3], 12, tzinfo=UTC)
    request = _request_for(target)
    fits = [o for o in orders if amz.history_candidate(o, request, target.asins[0], placed_after)]
    found = target in fits and all(o.asins == target.asins for o in fits)
    assert found, "the order was not matched (or another item matched)"
    # another ZIP, another name, or an attempt two days later: not ours
    for other in (
        _request_for(target, postal_code="00000"),
        _request_for(target, name="Someone Else"),
    ):
        assert not amz.history_candidate(target, other, target.asins[0], placed_after)
    later = placed_after + timedelta(days=2)
    assert not amz.history_candidate(target, request, target.asins[0], later)


def test_recovery_never_takes_a_cancelled_order_and_checks_quantity_on_details():
    html, _ = load("details", "gift_card_balance_paid")
    order = P.read_order_details(html, ADAPTER.s)
    asin = order.quantities[0][0]
    assert amz.details_match(order, _request_for(order, quantity=2), asin)
    assert not amz.details_match(order, _request_for(order, quantity=1), asin)
    cancelled = P.AmazonOrder("X", order.placed, None, "cancelled", (asin,), (), "a", "1")
    assert not amz.history_candidate(cancelled, _request_for(order), asin, None)


# --- product references (listing mapping) ---------------------------------------------------------
@pytest.mark.parametrize(
    "text,asin",
    [
        ("https://www.amazon.com/dp/B08N5WRWNW", "B08N5WRWNW"),
        ("https://www.amazon.com/Echo-Dot/dp/B08N5WRWNW/ref=sr_1_1?keywords=x&th=1", "B08N5WRWNW"),
        ("https://amazon.com/gp/product/B08N5WRWNW?psc=1", "B08N5WRWNW"),
        ("www.amazon.com/gp/aw/d/B08N5WRWNW", "B08N5WRWNW"),
        ("https://www.amazon.co.uk/dp/B08N5WRWNW", "B08N5WRWNW"),
        ("B08N5WRWNW", "B08N5WRWNW"),
        ("  b08n5wrwnw ", "B08N5WRWNW"),
        ("0142437336", "0142437336"),  # ISBN-10
        ("014243733X", "014243733X"),
        ("https://www.example.com/dp/B08N5WRWNW", None),
        ("B08N5", None),
        ("https://www.amazon.com/s?k=echo", None),
    ],
)
def test_product_ref(text, asin):
    got = ADAPTER.product_ref(text, "http://127.0.0.1:9/")
    assert got == (f"http://127.0.0.1:9/dp/{asin}" if asin else None)


@pytest.mark.parametrize("link", ["https://amzn.to/3xYz12", "a.co/d/abc123", "https://a.co/d/9"])
def test_a_short_link_is_refused_asking_for_the_full_url(link):
    with pytest.raises(ValueError, match="full amazon.com product URL"):
        ADAPTER.product_ref(link, "https://www.amazon.com")


# --- the review page's totals ---------------------------------------------------------------------
def test_review_totals_read_by_label():
    rows = [
        "Items:\t$39.98",
        "Shipping & handling:\t$5.99",
        "Total before tax:\t$45.97",
        "Estimated tax to be collected:\t$3.10",
        "Gift Card:\t-$10.00",
        "Order total:\t$39.07",
    ]
    assert amz.review_totals(rows) == amz.base.ReviewTotals(
        Decimal("39.98"), Decimal("5.99"), Decimal("3.10"), Decimal("39.07")
    )
    with pytest.raises(PageChangedError, match="tax"):
        amz.review_totals([r for r in rows if "tax to be" not in r])
