"""The worker's browser pool: one Chromium reused across contexts, relaunched when it should be.

Each test runs on a thread of its own: the test thread may already host a sync Playwright (see
test_demo_shop_flows.py) and two cannot share a thread.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def _use(pool, key, *, keep=True, fail=False, cookie=None):
    """One job's use of the pool under the warm ``key``: the context's cookie names, and the
    context."""
    with pool.page(chromium_executable(), warm_key=key) as (context, page):
        if cookie:
            page.set_content("<p>x</p>")
            context.add_cookies([{"name": cookie, "value": "1", "url": "http://shop.test/"}])
        names = sorted(c["name"] for c in context.cookies())
        if keep:
            pool.keep(context, key)
        if fail:
            raise RuntimeError("the supplier page changed")
    return names, context


def test_a_warm_context_serves_the_same_bot_and_session_only(on_thread):
    """The next job of the same bot with the same saved session goes on in the kept context;
    another key (another bot, or a session saved since elsewhere) gets a fresh one, and the kept
    one is closed."""

    def flow(pool):
        pool.recycle_after = 100
        _, first = _use(pool, ("bot-1", "s1"), cookie="a")
        same, second = _use(pool, ("bot-1", "s1"))
        other, third = _use(pool, ("bot-1", "s2"))  # the session changed: start from it
        return same, second is first, other, third is first, first.pages, pool.reuses

    same, reused, other, reused_again, first_pages, reuses = on_thread(flow)
    assert (same, reused) == (["a"], True)
    assert (other, reused_again, first_pages, reuses) == ([], False, [], 1)


def test_a_failed_job_or_one_not_kept_leaves_no_warm_context(on_thread):
    def flow(pool):
        pool.recycle_after = 100
        with pytest.raises(RuntimeError):
            _use(pool, ("bot-1", "s1"), fail=True, cookie="a")
        after_failure = _use(pool, ("bot-1", "s1"), keep=False)[0]
        not_kept = _use(pool, ("bot-1", "s1"))[0]
        return after_failure, not_kept, pool.reuses

    assert on_thread(flow) == ([], [], 0)


def test_a_kept_page_lets_go_of_the_documents_it_showed(on_thread):
    """V8 collects old documents late: a page reused for order after order grew its renderer
    ≈ 10 MB an order. The pool collects the kept page's garbage after each job."""

    def documents(page):
        session = page.context.new_cdp_session(page)
        session.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
        session.detach()
        return metrics["Documents"]

    def flow(pool):
        pool.recycle_after = 100
        for _ in range(6):  # six jobs of five pages each, as a checkout is
            with pool.page(chromium_executable(), warm_key=("bot-1", "s1")) as (context, page):
                for i in range(5):
                    page.goto(f"{site}/?page={i}")
                pool.keep(context, ("bot-1", "s1"))
        return documents(pool._warm[2]), pool.reuses

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = (  # a page whose script holds on to its own DOM, as shop scripts do
                f"<div id=d>{'<p>item</p>' * 500}</div><script>window.keep = "
                "[document.getElementById('d'), new Array(100000).fill(1)]</script>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_port}"
    try:
        kept_documents, reuses = on_thread(flow)
    finally:
        server.shutdown()
    assert reuses == 5 and kept_documents <= 3, kept_documents


def test_a_warm_context_goes_with_the_browser_at_the_recycle_count(on_thread):
    def flow(pool):  # recycle_after=3: the fourth use relaunches the browser
        contexts = [_use(pool, ("bot-1", "s1"), cookie="a" if i == 0 else None) for i in range(4)]
        return [names for names, _ in contexts], pool.launches, pool.reuses

    assert on_thread(flow) == ([["a"], ["a"], ["a"], []], 2, 2)


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
