"""DemoShopAdapter.parse_tracking on saved order pages, offline (the golden pairs of every adapter
are in test_golden_fixtures.py)."""

from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

from autoorder.scrapers import get_adapter
from autoorder.scrapers.base import PageChangedError, session_from_storage_state
from autoorder.scrapers.demo_shop import DemoShopAdapter

FIXTURES = Path(__file__).parent / "fixtures" / "demo_shop"


@pytest.fixture
def adapter():
    return DemoShopAdapter("http://shop.invalid/")


def _without(case: str, selector: str) -> str:
    soup = BeautifulSoup((FIXTURES / f"{case}.html").read_text(), "lxml")
    soup.select_one(selector).decompose()
    return str(soup)


@pytest.mark.parametrize(
    "html",
    [
        "<html><body data-page='login'><form id='login-form'></form></body></html>",
        _without("processing", "#order-status"),
        _without("shipped_usps", "#order-tracking-number"),
    ],
    ids=["login-page", "no-status", "shipped-without-number"],
)
def test_parse_tracking_page_changed(adapter, html):
    with pytest.raises(PageChangedError) as caught:
        adapter.parse_tracking(html)
    assert caught.value.code == "page_changed"
    assert "#order-" in caught.value.message


def test_registry_and_tracking_url():
    adapter = get_adapter("demo_shop", "http://shop.example:8765/")
    assert isinstance(adapter, DemoShopAdapter) and adapter.display_name == "Demo Shop"
    assert (
        adapter.tracking_url("DS-2026-000123") == "http://shop.example:8765/orders/DS-2026-000123"
    )


def test_session_from_storage_state_sends_cookies_to_their_host_only():
    state = {
        "cookies": [
            {
                "name": "shop_session",
                "value": "abc",
                "domain": "127.0.0.1",
                "path": "/",
                "expires": -1,
                "httpOnly": True,
                "secure": False,
                "sameSite": "Lax",
            },
            {
                "name": "other",
                "value": "x",
                "domain": ".example.com",
                "path": "/",
                "expires": 4102444800,
                "httpOnly": False,
                "secure": True,
                "sameSite": "Lax",
            },
        ],
        "origins": [],
    }
    session = session_from_storage_state(state)
    prepared = session.prepare_request(requests.Request("GET", "http://127.0.0.1:5000/orders/X"))
    assert prepared.headers["Cookie"] == "shop_session=abc"
    secure = session.prepare_request(requests.Request("GET", "https://shop.example.com/"))
    assert secure.headers["Cookie"] == "other=x"
    assert len(session_from_storage_state(None).cookies) == 0
