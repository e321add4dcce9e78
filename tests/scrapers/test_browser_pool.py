"""The worker's browser pool: one Chromium reused across contexts, relaunched when it should be.

Each test runs on a thread of its own: the test thread may already host a sync Playwright (see
test_demo_shop_flows.py) and two cannot share a thread.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

from autoorder.scrapers.browser import BrowserPool, chromium_executable

pytestmark = pytest.mark.browser


@pytest.fixture
def on_thread():
    """Run a function with a fresh pool (recycling after 3 contexts) on a thread of its own."""
    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser-pool-test")
    pool = BrowserPool(recycle_after=3)

    def run(fn):
        return thread.submit(fn, pool).result(timeout=120)

    yield run
    thread.submit(pool.close).result(timeout=30)
    thread.shutdown()


def _visit(pool, text="ok"):
    with pool.page(chromium_executable()) as (_context, page):
        page.set_content(f"<p>{text}</p>")
        return page.inner_text("p")


def test_contexts_share_one_browser_until_the_recycle_count(on_thread):
    def flow(pool):
        texts = [_visit(pool, str(i)) for i in range(3)]
        launches = pool.launches
        return texts, launches, _visit(pool), pool.launches, pool.contexts

    texts, launches, fourth, launches_after, contexts = on_thread(flow)
    assert texts == ["0", "1", "2"] and launches == 1
    assert (fourth, launches_after, contexts) == (
        "ok",
        2,
        1,
    )  # the fourth context got a fresh browser


def test_each_context_starts_without_the_previous_ones_cookies(on_thread):
    def flow(pool):
        with pool.page(chromium_executable()) as (context, page):
            page.set_content("<p>x</p>")
            context.add_cookies([{"name": "session", "value": "abc", "url": "http://shop.test/"}])
            before = context.cookies()
        with pool.page(chromium_executable()) as (context, _page):
            return before, context.cookies(), pool.launches

    before, after, launches = on_thread(flow)
    assert [c["name"] for c in before] == ["session"]
    assert (after, launches) == ([], 1)


def test_a_crashed_browser_is_relaunched(on_thread):
    def flow(pool):
        _visit(pool)
        pool._browser.close()  # what a Chromium crash looks like to the pool: no longer connected
        return _visit(pool), pool.launches

    assert on_thread(flow) == ("ok", 2)


def test_an_error_inside_the_page_closes_its_context_and_keeps_the_browser(on_thread):
    def flow(pool):
        with pytest.raises(RuntimeError), pool.page(chromium_executable()) as (context, _page):
            raise RuntimeError("the supplier page changed")
        return context.pages, _visit(pool), pool.launches

    assert on_thread(flow) == ([], "ok", 1)


def test_the_driver_gets_a_small_young_generation_and_the_environment_is_left_as_it_was(
    on_thread, monkeypatch
):
    import os
    from pathlib import Path

    from autoorder.scrapers.browser import DRIVER_NODE_OPTIONS

    monkeypatch.setenv("NODE_OPTIONS", "--trace-warnings")

    def drivers():
        return {
            child
            for task in Path(f"/proc/{os.getpid()}/task").glob("*")
            for child in (task / "children").read_text().split()
            if b"run-driver" in Path(f"/proc/{child}/cmdline").read_bytes()
        }

    def flow(pool):
        before = drivers()  # other tests' Playwright may be running in this process
        _visit(pool)
        return [
            Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in drivers() - before
        ]

    (environ,) = on_thread(flow)
    assert f"NODE_OPTIONS={DRIVER_NODE_OPTIONS} --trace-warnings".encode() in environ
    assert os.environ["NODE_OPTIONS"] == "--trace-warnings"
