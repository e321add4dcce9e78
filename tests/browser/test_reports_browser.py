"""The report page in real Chromium: choose a date range, read the totals per day, listing and sale,
download the CSV, and see a bad date answered with a message (never a 500)."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autoorder.extensions import db
from tests.factories import make_listing, make_order, make_user
from tests.support import shot

pytestmark = pytest.mark.browser


def test_report_page_in_chromium(app, live_server, chromium, log_in):
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
    with chromium() as (_context, page):
        log_in(page, "seller@example.com")

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
        shot(page, "reports")

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
