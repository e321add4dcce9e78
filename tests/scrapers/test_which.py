"""``base.which``: the page-state look every adapter's steps use, in real Chromium.

One round trip when the page is already in one of the expected states; a wait when it is not yet;
Playwright-only selectors; a page still navigating; and a clear PageChangedError when none comes."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from autoorder.scrapers import base
from autoorder.scrapers.base import PageChangedError
from autoorder.scrapers.browser import BrowserPool, chromium_executable

PAGES = {
    "http://which.test/first": "<a id=go href=/second>go</a><p id=here>first</p>",
    "http://which.test/second": "<p id=there>second</p>",
}


@pytest.fixture(scope="module")
def browse():
    thread, pool = ThreadPoolExecutor(max_workers=1), BrowserPool()

    def run(flow):
        def in_context():
            with pool.page(chromium_executable()) as (_context, page):
                page.route(
                    "http://which.test/**",
                    lambda route: route.fulfill(
                        body=PAGES.get(route.request.url, "<p>none</p>"), content_type="text/html"
                    ),
                )
                return flow(page)

        return thread.submit(in_context).result(timeout=120)

    yield run
    thread.submit(pool.close).result(timeout=30)
    thread.shutdown()


class Counting:
    """The page, counting the calls that cost a round trip to the browser."""

    def __init__(self, page):
        self.page, self.calls = page, []

    def __getattr__(self, name):
        if name in {"evaluate", "locator", "wait_for_function", "wait_for_selector"}:
            self.calls.append(name)
        return getattr(self.page, name)


def test_a_page_already_there_costs_one_look(browse):
    def flow(page):
        page.goto("http://which.test/first")
        counted = Counting(page)
        key = base.which(counted, {"done": "#there", "start": "#here"})
        return key, counted.calls

    key, calls = browse(flow)
    assert key == "start"
    assert calls == ["evaluate"]


def test_the_first_listed_state_wins_when_several_are_there(browse):
    def flow(page):
        page.goto("http://which.test/first")
        return base.which(page, {"link": "#go", "start": "#here"})

    assert browse(flow) == "link"


def test_a_state_that_comes_later_is_waited_for(browse):
    def flow(page):
        page.goto("http://which.test/first")
        page.evaluate(
            "setTimeout(() => document.body.insertAdjacentHTML('beforeend', '<b id=late>'), 300)"
        )
        return base.which(page, {"late": "#late", "never": "#nothing"}, timeout=5000)

    assert browse(flow) == "late"


def test_a_page_still_navigating_is_waited_for(browse):
    def flow(page):
        page.goto("http://which.test/first")
        page.evaluate("setTimeout(() => document.getElementById('go').click(), 0)")
        return base.which(page, {"second": "#there"}, timeout=5000)

    assert browse(flow) == "second"


def test_a_playwright_only_selector_is_asked_through_playwright(browse):
    def flow(page):
        page.goto("http://which.test/first")
        return base.which(
            page, {"by_text": 'p:has-text("first")', "other": "#nothing"}, timeout=5000
        )

    assert browse(flow) == "by_text"


def test_no_expected_state_is_a_page_change_naming_the_selectors(browse):
    def flow(page):
        page.goto("http://which.test/first")
        with pytest.raises(PageChangedError) as raised:
            base.which(page, {"a": "#nothing", "b": "#neither"}, timeout=300)
        return str(raised.value)

    message = browse(flow)
    assert "#nothing" in message and "#neither" in message
