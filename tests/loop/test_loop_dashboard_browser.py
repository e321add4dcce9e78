"""The Sales & Orders page in real Chromium against the stand-ins: a sale's cart goes waiting → in
progress → green and its envelope goes green through the page's one HTMX poll, without a reload; a
sale is cancelled from the browser inside the buffer and nothing is bought."""

import os
import signal
import threading

import pytest
from sqlalchemy import select

from autoorder import clock
from autoorder.extensions import db
from autoorder.jobs import enqueue_order
from autoorder.models import Order, User
from autoorder.queues import enqueue_once
from tests.factories import PASSWORD
from tests.support import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
RECORD = """([rowId]) => {
  window.__seen = {cart: [], envelope: []};
  const record = () => {
    for (const kind of ["cart", "envelope"]) {
      const el = document.querySelector(`#${rowId} .icon.${kind}`);
      const seen = window.__seen[kind];
      if (el && seen[seen.length - 1] !== el.dataset.status) seen.push(el.dataset.status);
    }
  };
  new MutationObserver(record).observe(
    document.getElementById("sales-rows"), {childList: true, subtree: true}
  );
  record();
}"""


@pytest.fixture
def web(loop):
    """The app under a real HTTP server (a thread), polling every second instead of five."""
    from werkzeug.serving import make_server

    saved = loop.app.config.get("SALES_POLL_SECONDS")
    loop.app.config["SALES_POLL_SECONDS"] = 1
    server = make_server("127.0.0.1", free_port(), loop.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    loop.app.config["SALES_POLL_SECONDS"] = saved if saved is not None else 5


class Browser:
    """Contexts on the process's shared Chromium (scrapers.browser is the only place one
    launches)."""

    def __init__(self, instance):
        self.instance, self.contexts = instance, []

    def new_context(self, **options):
        context = self.instance.new_context(**options)
        self.contexts.append(context)
        return context


@pytest.fixture
def browser():
    from autoorder.scrapers.browser import POOL, chromium_executable

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    shared = Browser(POOL.browser(chromium_executable(CHROMIUM)))
    yield shared
    for context in shared.contexts:
        context.close()


def _log_in(browser, web, loop, **context_options):
    with loop.app.app_context():
        email = db.session.scalar(select(User.email).where(User.team_id == loop.team_id))
    page = browser.new_context(**context_options).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{web}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{web}/")
    return page


def _sale(loop) -> int:
    ebay_order = loop.sell()
    loop.poll()
    (order,) = [o for o in loop.orders() if o.ebay_order_id == ebay_order["orderId"]]
    return order.id


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _stop(worker):
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(20)
        except Exception:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


def test_cart_and_envelope_turn_green_without_a_reload(loop, web, browser):
    loop.setup()
    order_id = _sale(loop)
    row = f"order-{order_id}"
    page = _log_in(browser, web, loop, viewport={"width": 1360, "height": 900})
    cart = page.locator(f"#{row} .icon.cart")
    assert cart.get_attribute("data-status") == "waiting"
    page.wait_for_function(
        f"() => /^\\d+:\\d\\d$/.test(document.querySelector('#{row} .countdown').textContent)"
    )
    first = page.locator(f"#{row} .countdown").text_content()
    page.wait_for_function(
        f"() => document.querySelector('#{row} .countdown').textContent !== {first!r}",
        timeout=5_000,
    )  # counts down in the browser, no request needed
    assert "Waiting" in cart.get_attribute("aria-label") and cart.get_attribute("title")
    _shot(page, "sales-waiting")
    page.evaluate("window.__marker = 1")
    page.evaluate(RECORD, [row])

    loop.shop.control(
        "POST", "/sandbox/faults", {"name": "slow", "delay": 0.7}
    )  # a visible "in progress"
    loop.make_due(order_id)
    with loop.app.app_context():
        assert enqueue_order(order_id) is not None
    worker = loop.start_worker()
    try:
        page.wait_for_function("() => window.__seen.cart.includes('succeeded')", timeout=150_000)
        assert page.evaluate("window.__seen.cart") == ["waiting", "in_progress", "succeeded"]
        assert page.evaluate("window.__marker") == 1  # the same document: no reload
        loop.shop.control("DELETE", "/sandbox/faults")
        bought = loop.order(order_id)
        assert (
            page.locator(f"#{row} td[data-label=Cost]").text_content().strip()
            == f"${bought.supplier_cost}"
        )
        assert bought.status == "succeeded" and len(loop.shop_orders()) == 1

        loop.shop.control(
            "POST", f"/sandbox/orders/{bought.supplier_order_number}/ship", {"format": "usps"}
        )
        with loop.app.app_context():
            order = db.session.get(Order, order_id)
            order.next_tracking_check_at = clock.now()
            db.session.commit()
            enqueue_once(
                "tracking",
                "autoorder.jobs.tracking.refresh_tracking",
                order_id,
                job_id=f"tracking-{order_id}",
                timeout=180,
            )
        page.wait_for_function("() => window.__seen.envelope.includes('uploaded')", timeout=90_000)
    finally:
        _stop(worker)
    envelope = page.locator(f"#{row} .icon.envelope")
    shipped = loop.order(order_id)
    assert (
        shipped.tracking_status == "uploaded"
        and shipped.tracking_number in envelope.get_attribute("title")
    )
    assert page.evaluate("window.__seen.envelope")[0] == "not_due"
    assert page.evaluate("window.__marker") == 1
    page.wait_for_function(
        "() => document.getElementById('sales-poll').dataset.mode === 'slow'", timeout=15_000
    )
    assert (
        page.locator("[data-count=succeeded]").text_content() == "1"
    )  # the counts followed the rows
    assert page.locator("[data-count=waiting]").text_content() == "0"
    _shot(page, "sales-green")

    page.goto(f"{web}/orders/{order_id}")
    assert page.locator("#order-detail .icon.cart").get_attribute("data-status") == "succeeded"
    assert (
        page.locator(".evidence img").count() == 2
    )  # review + confirmation screenshots, served to the team
    page.locator(".evidence").scroll_into_view_if_needed()  # the screenshots load lazily
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.evidence img'))"
        ".every(i => i.complete && i.naturalWidth > 0)",
        timeout=15_000,
    )
    _shot(page, "order-detail")
    phone = _log_in(browser, web, loop, viewport={"width": 390, "height": 844}, is_mobile=True)
    _shot(phone, "sales-phone")
    phone.goto(f"{web}/orders/{order_id}")
    _shot(phone, "order-detail-phone")


def test_cancel_in_the_buffer_from_the_browser(loop, web, browser):
    loop.setup()
    order_id = _sale(loop)
    row = f"order-{order_id}"
    page = _log_in(browser, web, loop, viewport={"width": 1360, "height": 900})
    page.evaluate("window.__marker = 1")
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.locator(f"#{row} button", has_text="Cancel").click()
    page.wait_for_selector(f"#{row} .icon.cart[data-status=cancelled]")
    assert dialogs and "Nothing will be bought" in dialogs[0]
    assert page.evaluate("window.__marker") == 1
    assert loop.order(order_id).status == "cancelled"
    page.wait_for_selector("[data-count=cancelled]:text-is('1')")  # refreshed after the action

    # A stale button (another tab still shows "Order now"): the refusal is shown, not swallowed.
    page.evaluate(
        f"htmx.ajax('POST', '/orders/{order_id}/order-now', {{target: '#{row}', swap: "
        "'outerHTML'})"
    )
    page.wait_for_selector("#order-messages .flash-error")
    assert "Only a waiting sale" in page.locator("#order-messages").text_content()
    assert page.locator(f"#{row} .icon.cart").get_attribute("data-status") == "cancelled"
    _shot(page, "sales-cancelled")

    with loop.app.app_context():  # even a leftover job buys nothing
        enqueue_order(order_id)
    result = loop.run_worker_burst()
    assert result.returncode == 0, result.stderr[-3000:]
    assert loop.order(order_id).status == "cancelled" and loop.shop_orders() == []
