"""Fixtures for the eBay emulator tests. Every response that goes through ``ebay`` is checked
against eBay's official contract (see ebay_contract_check.py).

The fixture names start with ``ebay`` (or are specific) so they do not shadow the product's ``app``
and ``client`` fixtures.
"""

from __future__ import annotations

import pytest

from sandbox.ebay.app import create_app
from sandbox.ebay.clock import Clock
from tests.sandbox.ebay.ebay_helpers import (
    ACCEPT_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    RU_NAME,
    SALE,
    START,
    ContractClient,
    consent,
    exchange,
)


@pytest.fixture
def ebay_clock():
    return Clock(START)


@pytest.fixture
def ebay_app(ebay_clock):
    app = create_app(
        seed=42,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=ACCEPT_URL,
        ru_name=RU_NAME,
        clock=ebay_clock,
    )
    app.test_client_class = ContractClient
    yield app
    app.extensions["ebay_sandbox"].generator.stop()


@pytest.fixture
def ebay(ebay_app):
    """The contract-checking test client."""
    return ebay_app.test_client()


@pytest.fixture
def ebay_tokens(ebay):
    """A user token pair obtained through the real consent + code exchange flow."""
    params = consent(ebay)
    resp = exchange(ebay, params["code"])
    assert resp.status_code == 200
    return resp.get_json()


@pytest.fixture
def auth(ebay_tokens):
    return {"Authorization": f"Bearer {ebay_tokens['access_token']}"}


@pytest.fixture
def make_order(ebay):
    """Create a sale through the control endpoint. Returns the Order JSON."""

    def make(**overrides):
        sale = {**SALE, **overrides}
        resp = ebay.post("/sandbox/orders", json=sale)
        assert resp.status_code == 201, resp.data
        return resp.get_json()

    return make


@pytest.fixture
def advance(ebay):
    def move(seconds: float):
        resp = ebay.post("/sandbox/clock", json={"advance": seconds})
        assert resp.status_code == 200
        return resp.get_json()["now"]

    return move
