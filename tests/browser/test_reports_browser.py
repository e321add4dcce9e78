"""The report page in real Chromium: choose a date range, read the totals per day, listing and sale,
download the CSV, and see a bad date answered with a message (never a 500)."""

import csv
import io
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from werkzeug.serving import make_server

from autoorder.extensions import db
from autoorder.scrapers import browser
from tests.factories import PASSWORD, make_listing, make_order, make_user
from tests.support import ROOT

pytestmark = pytest.mark.browser

SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def test_report_page_in_chromium(app, live_server):
    with app.app_context():
        user = make_user(email="seller@example.com")
        listing = make_listing(user.team, ebay_item_id="325400200001")
        for day, sale, fees, cost in ((3, "20.00", "2.60", "11.40"), (4, "15.00", "1.95", "8.05")):
            make_order(
                user.team,
                status="succeeded",
                sold_at=datetime(2026, 5, day, 10, tzinfo=UTC),
                sale_price=Decimal(sale),
                ebay_fees=Decimal(fees),
                supplier_cost=Decimal(cost),
                listing_id=listing.id,
                title=f"=cmd|' /C calc'!A0 sale {day}",
            )
        make_order(user.team, status="succeeded", sold_at=datetime(2026, 4, 1, tzinfo=UTC))
        db.session.commit()
    executable = browser.chromium_executable(app.config.get("CHROMIUM_PATH"))
    with browser.POOL.page(executable) as (_context, page):
        page.goto(live_server + "/login")
        page.fill("#email", "seller@example.com")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(live_server + "/")

        page.click("nav >> text=Reports")
        page.wait_for_url(live_server + "/reports/")
        page.fill("#start", "2026-05-01")
        page.fill("#end", "2026-05-31")
        page.click("#report-range button[type=submit]")
        page.wait_for_url("**/reports/?start=2026-05-01&end=2026-05-31")
        total = page.inner_text("#report-total")
        assert "35.00" in total and "4.55" in total and "19.45" in total and "11.00" in total
        assert page.locator("#report-days tbody tr").count() == 2
        assert "6.00" in page.inner_text("#day-2026-05-03")
        assert "325400200001" in page.inner_text("#report-listings")
        assert page.locator("#report-sales tbody tr").count() == 2
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "reports.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("#csv-export")
        download = download_info.value
        assert download.suggested_filename == "autoorder-sales-2026-05-01-to-2026-05-31.csv"
        rows = list(csv.DictReader(io.StringIO(open(download.path()).read())))
        assert [r["profit"] for r in rows] == ["6.00", "5.00"]
        assert all(r["title"].startswith("'=cmd") for r in rows)

        page.goto(live_server + "/reports/?start=2026-05-40&end=2026-05-31")
        assert "is not a date" in page.inner_text("#report-error")
        assert page.locator("h1").inner_text() == "Reports"
        page.fill("#start", "2026-06-01")
        page.fill("#end", "2026-05-01")
        page.click("#report-range button[type=submit]")
        assert "after it ends" in page.inner_text("#report-error")
