"""Jobs used only by tests to prove the worker process runs jobs in the app context."""

from autoorder import orders
from autoorder.extensions import db
from autoorder.models import Order


def add_note(order_id: int, text: str) -> str:
    order = db.session.get(Order, order_id)
    orders.note(order, text, actor="worker-test")
    db.session.commit()
    return f"noted {order_id}"


def open_page(wait_ms: int = 0) -> dict:
    """Open a page in the worker's browser pool (optionally wait in it); report the process and
    launches."""
    import os

    from flask import current_app

    from autoorder.scrapers import browser

    executable = browser.chromium_executable(current_app.config.get("CHROMIUM_PATH"))
    with browser.POOL.page(executable) as (_context, page):
        page.set_content("<p>ok</p>")
        if wait_ms:
            page.wait_for_timeout(wait_ms)
        return {"pid": os.getpid(), "launches": browser.POOL.launches, "text": page.inner_text("p")}
