"""The dashboard served for a real browser, and what its tests share: a page in the pooled
Chromium and the sign-in (screenshots: ``tests.support.shot``)."""

import pytest

from autoorder.scrapers import browser
from tests.factories import PASSWORD
from tests.support import served_over_http


@pytest.fixture
def live_server(app):
    """The test app on a real local HTTP server (threaded); its base URL."""
    with served_over_http(app) as url:
        yield url


@pytest.fixture
def chromium(app):
    """``chromium()``: a context manager giving ``(context, page)`` in the pooled real Chromium."""
    executable = browser.chromium_executable(app.config.get("CHROMIUM_PATH"))
    return lambda: browser.POOL.page(executable)


@pytest.fixture
def log_in(live_server):
    """``log_in(page, email)``: sign in on the login form (the factories' password) and land on
    the dashboard."""

    def log_in(page, email="owner@example.com"):
        page.goto(live_server + "/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(live_server + "/")

    return log_in
