"""Fixtures and helpers for tests that talk to the eBay emulator (``sandbox.ebay``) over HTTP.

Imported by ``tests/ebay/conftest.py`` and ``tests/jobs/conftest.py``. pytest makes one fixture
definition per importing conftest, so the emulator process itself is shared through a module-level
handle: one subprocess per test session whichever directories run.
"""

from datetime import timedelta

import pytest

from autoorder import clock
from autoorder.ebay.client import SCOPES, parse_ebay_timestamp
from autoorder.extensions import db
from autoorder.models import EbayAccount
from sandbox.ebay.testing import start_ebay_sandbox
from tests.factories import make_team

CLIENT_ID, CLIENT_SECRET, RU_NAME = "autoorder-demo", "demo-secret", "autoorder-demo-RuName"
_SHARED = {"process": None, "users": 0}


@pytest.fixture(scope="session")
def ebay_emulator(tmp_path_factory):
    """The emulator subprocess, started once per session."""
    process = _SHARED["process"]
    if process is None or not process.alive():
        log = tmp_path_factory.getbasetemp() / "ebay-sandbox.log"
        _SHARED["process"] = process = start_ebay_sandbox(seed=0, log_path=log)
    _SHARED["users"] += 1
    yield process
    _SHARED["users"] -= 1
    if _SHARED["users"] == 0:
        process.stop()
        _SHARED["process"] = None


@pytest.fixture
def ebay_sandbox(ebay_emulator, app):
    """A reset emulator with the app pointed at it; config and our clock are restored afterwards."""
    ebay_emulator.control("POST", "/sandbox/reset", {})
    align_clock(ebay_emulator)
    settings = {
        "EBAY_API_BASE_URL": ebay_emulator.url,
        "EBAY_AUTH_BASE_URL": ebay_emulator.url,
        "EBAY_CLIENT_ID": CLIENT_ID,
        "EBAY_CLIENT_SECRET": CLIENT_SECRET,
        "EBAY_REDIRECT_URI": RU_NAME,
    }
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield ebay_emulator
    app.config.update(saved)
    clock.reset()


@pytest.fixture
def ebay_account(ebay_sandbox, ctx):
    """A connected EbayAccount holding a token pair minted by the emulator."""
    return make_ebay_account(ebay_sandbox)


def make_ebay_account(emulator, team=None, **kw) -> EbayAccount:
    tokens = emulator.control("POST", "/sandbox/tokens", {"scopes": list(SCOPES)})
    now = clock.now()
    account = EbayAccount(
        team_id=(team or make_team()).id,
        name=kw.pop("name", "autoorder_demo_seller"),
        status="connected",
        access_token=tokens["access_token"],
        access_token_expires_at=now + timedelta(seconds=tokens["expires_in"]),
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=now + timedelta(seconds=tokens["refresh_token_expires_in"]),
        **kw,
    )
    db.session.add(account)
    db.session.commit()
    return account


def sale(emulator, **fields) -> dict:
    """Create a sale on the emulator; return the eBay Order JSON."""
    fields.setdefault("legacyItemId", "310000000001")
    fields.setdefault("price", "19.99")
    return emulator.control("POST", "/sandbox/orders", fields)


def stats(emulator) -> dict:
    return emulator.control("GET", "/sandbox/stats")


def api_calls(emulator, operation: str) -> int:
    return stats(emulator)["requests"].get(operation, 0)


def last_request_id(emulator, operation: str) -> str:
    """eBay's X-EBAY-C-REQUEST-ID of the latest call of ``operation``."""
    recent = emulator.control("GET", "/sandbox/requests")["requests"]
    return [r for r in recent if r["endpoint"] == operation][-1]["requestId"]


def emulator_now(emulator):
    return parse_ebay_timestamp(emulator.control("GET", "/sandbox/clock")["now"])


def align_clock(emulator) -> None:
    """Run our clock at the emulator's time (its clock only moves forward, across tests), as
    eBay's clock and the product's agree in production."""
    clock.reset()
    clock.advance((emulator_now(emulator) - clock.now()).total_seconds())


def advance_emulator(emulator, seconds: float) -> None:
    """Move eBay's clock and ours forward together."""
    emulator.control("POST", "/sandbox/clock", {"advance": seconds})
    clock.advance(seconds)
