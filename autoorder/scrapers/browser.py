"""The only place a browser is launched.

One headless Chromium per worker process, started on first use and reused across orders; each
order gets a context of its own bot (own cookies), seeded with the bot's saved storage state.
The browser is relaunched after ``RECYCLE_AFTER`` uses (a long-lived Chromium slowly grows), when
it has died, or when closing a context failed (it is then in an unknown state).

A warm context: the last context a bot's job ended well in is kept open (one per process) and the
same bot's next job reuses it when the bot's saved session is still the one that context saved —
no new context and page (≈ 0.2 s of a 2 s order on the demo shop) and the supplier's scripts,
styles and images still in its HTTP cache. Anything else gets a fresh context from the saved
session: another bot, a session saved since by another process (a sign-in, a hand-off, another
worker's order), a failure (the context is closed with it), a relaunch.
"""

import atexit
import glob
import logging
import os
import threading
from contextlib import contextmanager

log = logging.getLogger(__name__)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
]
DEFAULT_TIMEOUT_MS = 15_000
# Playwright's node driver with a 1 MB young generation: ≈ 30 MB less memory and no measurable
# slowdown for what it does (relaying CDP messages); see bench/worker_memory.py. NODE_OPTIONS set by
# the user come after it, so they win.
DRIVER_NODE_OPTIONS = "--max-semi-space-size=1"
RECYCLE_AFTER = 100  # uses (≈ orders) per browser launch: ≈ 0.3 s of relaunch per 100 orders
NAVIGATION_TIMEOUT_MS = 30_000
# every job's context (and the benchmarks' bare scripts, to compare like with like)
CONTEXT_OPTIONS = {
    "viewport": {"width": 1280, "height": 900},
    "locale": "en-US",
    "timezone_id": "UTC",
}


class BrowserNotFoundError(RuntimeError):
    """No Chromium to drive: say what to install."""


# Debian's builds, lightest first. chromium-headless-shell is Chromium's headless-only build (what
# Playwright itself launches for headless runs): the same engine and version without the desktop
# browser around it — one renderer instead of three, no spare renderer, lighter browser process.
# A worker with it needs ≈ 275 MB of anonymous memory and runs well inside a 512 MB container; with
# the full chromium ≈ 365 MB and its working set (≈ 670 MB with the binary's pages) thrashes inside
# 512 MB (bench/workers.py, bench/README.md).
DEBIAN_CHROMIUMS = (
    "/usr/lib/chromium/chromium-headless-shell",  # the binary itself: /usr/bin's is a shell wrapper
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
)


def chromium_executable(configured: str | None = None) -> str | None:
    """Return the Chromium to launch: the configured path, Debian's (its headless shell first), or
    None (Playwright's own)."""
    if configured:
        if not os.path.exists(configured):
            raise BrowserNotFoundError(f"AUTOORDER_CHROMIUM_PATH={configured} does not exist")
        return configured
    for candidate in DEBIAN_CHROMIUMS:
        if os.path.exists(candidate):
            return candidate
    cache = os.environ.get("PLAYWRIGHT_BROWSERS_PATH", os.path.expanduser("~/.cache/ms-playwright"))
    if glob.glob(os.path.join(cache, "chromium*")):
        return None
    raise BrowserNotFoundError(
        "no Chromium found: install Debian's (sudo apt-get install chromium-headless-shell) or set "
        "AUTOORDER_CHROMIUM_PATH"
    )


class BrowserPool:
    """A lazily started Chromium shared by the jobs of one process (one thread at a time)."""

    def __init__(self, recycle_after: int = RECYCLE_AFTER):
        self._lock = threading.Lock()
        self._holder: int | None = None  # the thread inside page(), to refuse re-entry
        self._playwright = None
        self._browser = None
        self._pid = None
        self.recycle_after = recycle_after
        self.contexts = 0  # uses of the current browser (a warm context's reuse counts)
        self.launches = 0  # by this process
        self.reuses = 0  # of a warm context, by this process
        self._warm = None  # (key, context, page) kept for the same bot's next job
        self._keep = None  # (context, key): keep this context when its use ends well

    def browser(self, executable: str | None):
        if (
            self._browser is not None
            and self._pid == os.getpid()
            and self._browser.is_connected()
            and self.contexts < self.recycle_after
        ):
            return self._browser
        from playwright.sync_api import sync_playwright

        self.close()  # the warm context goes with the old browser
        user_options = os.environ.get("NODE_OPTIONS")
        os.environ["NODE_OPTIONS"] = " ".join(filter(None, [DRIVER_NODE_OPTIONS, user_options]))
        try:
            self._playwright = sync_playwright().start()  # the driver copies the environment now
        finally:
            if user_options is None:
                os.environ.pop("NODE_OPTIONS", None)
            else:
                os.environ["NODE_OPTIONS"] = user_options
        self._browser = self._playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        self._pid = os.getpid()
        self.contexts = 0
        self.launches += 1
        log.info("launched chromium (launch %d of process %s)", self.launches, self._pid)
        return self._browser

    def close(self):
        self._warm = self._keep = None
        if self._pid == os.getpid():
            for thing in (self._browser, self._playwright):
                try:
                    if thing is not None:
                        thing.close() if thing is self._browser else thing.stop()
                except Exception:  # noqa: BLE001
                    pass  # closing a dead browser must not mask the real error
        self._browser = self._playwright = self._pid = None

    @contextmanager
    def page(
        self,
        executable: str | None = None,
        storage_state: dict | None = None,
        guard=None,
        warm_key=None,
    ):
        """Yield ``(context, page)`` in a fresh context, closed after — or the warm context kept
        under ``warm_key`` (a bot and the fingerprint of its saved session). A context is kept
        warm only if ``keep`` was called for it and its use ended without an exception.
        ``guard``: a route handler every request of the context passes
        (SupplierAdapter.request_guard).

        One page at a time per process: a caller that asks again while holding a page would
        wait for itself forever, so that is refused at once instead.
        """
        if self._holder == threading.get_ident():
            raise RuntimeError("the browser pool is already in use by this thread (re-entry)")
        with self._lock:
            self._holder = threading.get_ident()
            try:
                with self._context(executable, storage_state, guard, warm_key) as context_page:
                    yield context_page
            finally:
                self._holder = None

    def keep(self, context, key) -> None:
        """Keep ``context`` warm under ``key`` once its use ends well (see the module's note)."""
        self._keep = (context, key)

    def _take_warm(self, browser, key):
        """The warm context and page if kept under ``key`` in ``browser``; else close it."""
        warm, self._warm = self._warm, None
        if warm is None:
            return None
        kept_key, context, page = warm
        if key is not None and kept_key == key and context.browser is browser:
            if not page.is_closed():
                return context, page
        self._close(context)
        return None

    def _close(self, context) -> None:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - a browser that cannot close a context is not reused
            log.warning("closing a browser context failed; the browser will be relaunched")
            self.close()

    @contextmanager
    def _context(self, executable, storage_state, guard=None, warm_key=None):
        browser = self.browser(executable)
        self.contexts += 1
        self._keep = None
        context, page = self._take_warm(browser, warm_key) or (None, None)
        if context is not None:
            self.reuses += 1
        else:
            context = browser.new_context(
                storage_state=storage_state,
                **CONTEXT_OPTIONS,
            )
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        ended_well = False
        try:
            if page is None:
                if guard is not None:
                    # the guard's own pattern leaves the supplier's requests out (netguard.Guard)
                    context.route(getattr(guard, "pattern", "**/*"), guard)
                page = context.new_page()
            yield context, page
            ended_well = True
        finally:
            keep, self._keep = self._keep, None
            if ended_well and keep is not None and keep[0] is context and _collected(page):
                self._warm = (keep[1], context, page)
            else:
                self._close(context)


def _collected(page) -> bool:
    """Run the page's garbage collector; False if the page is gone. A page kept for the next job
    holds on to every document it showed until V8 collects them, which it does late: measured on
    the demo shop, its renderer grew ≈ 10 MB an order (500 MB after 30) and the worker outgrew a
    512 MB dyno; collected after each job (≈ 40 ms) it stays at ≈ 80 MB (bench/README.md)."""
    if page.is_closed():
        return False
    try:
        session = page.context.new_cdp_session(page)
        try:
            session.send("HeapProfiler.collectGarbage")
        finally:
            session.detach()
    except Exception:  # noqa: BLE001 - a page that cannot collect is not kept
        log.warning("could not collect a kept page's garbage; its context is closed")
        return False
    return True


POOL = BrowserPool()
atexit.register(POOL.close)


def screenshot(page) -> bytes | None:
    """Return a PNG of the page, or None if the page is gone."""
    try:
        return page.screenshot(full_page=True)
    except Exception:  # noqa: BLE001 - evidence is best effort; the failure itself is recorded
        return None


def browser_gone(exc: BaseException) -> bool:
    """Whether ``exc`` means the browser or its driver went away (a crash or a shutdown signal),
    as opposed to something the supplier page did. Nothing can be learnt from retrying a page
    problem; a lost browser is worth another try."""
    from playwright.sync_api import Error, TimeoutError

    if type(exc).__name__ == "ShutDownImminentException":
        return True
    if isinstance(exc, TimeoutError):
        return False
    text = str(exc)
    return (
        isinstance(exc, Error)
        or "Connection closed while reading from the driver" in text
        or ("Target" in text and "closed" in text)
    )
