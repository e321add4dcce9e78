"""The hand-off's view of a challenge (autoorder.handoff): each adapter recognises the challenge
pages it raises BlockedError for (so the live view knows when a person has passed it), and none on
an ordinary page. Amazon on its real saved sign-in pages; the demo shop and AliExpress on their
replicas' saved pages."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autoorder.scrapers import ADAPTERS
from autoorder.scrapers.browser import BrowserPool, chromium_executable

FIXTURES = Path(__file__).parent / "fixtures"
ALI_PAGES = Path(__file__).parent / "aliexpress_pages"

CASES = [
    ("amazon", FIXTURES / "amazon/auth/post_signin_captcha_1.html", "captcha"),
    ("amazon", FIXTURES / "amazon/auth/waf_challenge.html", "bot_check"),
    ("amazon", FIXTURES / "amazon/auth/post_signin_mfa.html", "code"),
    ("amazon", FIXTURES / "amazon/auth/post_signin_captcha_otp.html", "code"),
    ("amazon", FIXTURES / "amazon/auth/signin.html", None),
    ("amazon", FIXTURES / "amazon/auth/post_signin_invalid_password.html", None),
]
CASES += [  # Walmart on its replica's saved sign-in pages
    ("walmart", FIXTURES / "walmart/auth/blocked.html", "press_hold"),
    ("walmart", FIXTURES / "walmart/auth/code.html", "code"),
    ("walmart", FIXTURES / "walmart/auth/password.html", None),
    ("walmart", FIXTURES / "walmart/auth/email.html", None),
]


@pytest.fixture(scope="module")
def browse():
    thread, pool = ThreadPoolExecutor(max_workers=1), BrowserPool()

    def run(flow):
        def in_context():
            with pool.page(chromium_executable()) as (_context, page):
                return flow(page)

        return thread.submit(in_context).result(timeout=120)

    yield run
    thread.submit(pool.close).result(timeout=30)
    thread.shutdown()


@pytest.mark.parametrize("key, path, kind", CASES, ids=[f"{k}-{p.stem}-{w}" for k, p, w in CASES])
def test_the_adapter_sees_the_challenge_a_person_must_pass(browse, key, path, kind):
    if not path.exists():
        pytest.skip(f"no saved page {path.name}")
    adapter = ADAPTERS[key]("http://127.0.0.1:9")

    def flow(page):
        page.route("**/*", lambda route: route.abort())  # a saved page fetches nothing
        page.set_content(path.read_text(errors="replace"), wait_until="domcontentloaded")
        return adapter.challenge_on(page)

    assert browse(flow) == kind


@pytest.mark.parametrize("key", sorted(ADAPTERS))
def test_every_adapter_names_a_selector_for_each_challenge_a_person_can_pass(key):
    """A hand-off on an adapter without challenge selectors would take every page for "passed"."""
    adapter = ADAPTERS[key]("http://127.0.0.1:9")
    kinds = set(adapter.CHALLENGE_SELECTORS)
    assert kinds, f"{key} has no CHALLENGE_SELECTORS"
    assert all(isinstance(v, str) and v for v in adapter.CHALLENGE_SELECTORS.values())
