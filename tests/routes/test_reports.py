"""Reports: profit per sale, per day and per listing; bad dates are a clear 400; the CSV export is
streamed, quoted correctly, safe from formula injection and limited to the team and the range."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autoorder import reports
from autoorder.extensions import db
from tests.factories import make_listing, make_order, make_user
from tests.support import login

D = Decimal


def at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def shop(client, app):
    with app.app_context():
        user = make_user(role="member")
        team = user.team
        mug = make_listing(team, ebay_item_id="325400200001")
        cap = make_listing(team, ebay_item_id="325400200002")
        rows = [
            # (day, status, sale, fees, cost, listing)
            (1, "succeeded", "20.00", "2.60", "11.40", mug),
            (1, "succeeded", "20.00", None, "12.00", mug),  # eBay reported no fees
            (1, "failed", "20.00", "2.60", None, mug),
            (2, "succeeded", "15.00", "1.95", "16.05", cap),  # a loss
            (2, "needs_attention", "15.00", "1.95", None, cap),
            (2, "cancelled", "15.00", "1.95", None, cap),
            (5, "succeeded", "9.99", "1.30", "4.00", None),  # outside the range below
        ]
        for day, status, sale, fees, cost, listing in rows:
            make_order(
                team,
                status=status,
                sold_at=at(day),
                sale_price=D(sale),
                ebay_fees=fees and D(fees),
                supplier_cost=cost and D(cost),
                listing_id=listing.id if listing else None,
            )
        make_order(  # formula injection and quoting, on day 3
            team,
            status="succeeded",
            sold_at=at(3),
            title='=HYPERLINK("http://evil.example","click"), "quoted"\nline two',
            sku="+1-800",
            supplier_order_number="@SUM(A1:A2)",
            tracking_number="-1+1",
            sale_price=D("10.00"),
            ebay_fees=D("1.00"),
            supplier_cost=D("4.00"),
        )
        other = make_user(role="member")
        make_order(other.team, status="succeeded", sold_at=at(1), title="Other team's sale")
        db.session.commit()
        email, client.team_id = user.email, team.id
    login(client, email)
    return client


def test_report_totals_per_day_and_per_listing(shop, app):
    with app.app_context():
        data = reports.report(shop.team_id, at(1).date(), at(3).date())
    total = data["total"]
    assert (total.sales, total.bought, total.failed) == (6, 4, 2)
    assert total.sale == D("65.00") and total.fees == D("5.55") and total.cost == D("43.45")
    assert total.profit == D("16.00") and total.fees_missing == 1
    days = dict(data["days"])
    assert days[at(1).date()].profit == D("14.00")  # 6.00 + 8.00 (fees not reported: 0)
    assert days[at(2).date()].profit == D("-3.00")
    by_listing = {(lst.ebay_item_id if lst else None): t for lst, t in data["listings"]}
    assert by_listing["325400200001"].profit == D("14.00")
    assert by_listing["325400200002"].profit == D("-3.00")
    assert by_listing[None].profit == D("5.00")


def test_report_page_shows_the_range(shop):
    page = shop.get("/reports/?start=2026-03-01&end=2026-03-03").get_data(as_text=True)
    assert 'id="report-total"' in page and "16.00" in page and "-3.00" in page
    assert "not reported" in page
    assert "Other team" not in page
    assert 'href="/reports/orders.csv?start=2026-03-01&amp;end=2026-03-03"' in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("start=yesterday", "is not a date"),
        ("start=2026-02-30", "is not a date"),
        ("start=1899-01-01", "is not a date"),
        ("start=2026-03-05&end=2026-03-01", "starts (2026-03-05) after it ends"),
        ("start=2020-01-01&end=2026-03-01", "at most 366 days"),
        ("start=%00%ff&end=" + "9" * 5000, "is not a date"),
    ],
)
def test_bad_dates_are_a_clear_error_not_a_500(shop, query, message):
    response = shop.get(f"/reports/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_csv_export_is_streamed_quoted_and_formula_safe(shop):
    response = shop.get("/reports/orders.csv?start=2026-03-01&end=2026-03-03")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert "autoorder-sales-2026-03-01-to-2026-03-03.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 7  # the team's sales of days 1-3, cancelled included; not day 5
    assert "Other team's sale" not in {r["title"] for r in rows}
    odd = next(r for r in rows if r["title"].startswith("'="))
    assert odd["title"] == '\'=HYPERLINK("http://evil.example","click"), "quoted"\nline two'
    assert odd["SKU"] == "'+1-800" and odd["supplier order number"] == "'@SUM(A1:A2)"
    assert odd["tracking number"] == "'-1+1"
    assert odd["profit"] == "5.00"
    loss = next(r for r in rows if r["sale"] == "15.00" and r["status"] == "succeeded")
    assert loss["profit"] == "-3.00"  # a number we wrote stays a number
    no_fees = next(r for r in rows if r["supplier total"] == "12.00")
    assert no_fees["eBay fees"] == ""


def test_csv_export_of_a_long_range_pages_through_every_sale(shop, app, monkeypatch):
    monkeypatch.setattr(reports, "csv_lines", _small_batches(reports.csv_lines))
    response = shop.get("/reports/orders.csv?start=2000-01-01&end=2100-12-31")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1 + 8 and len({r[0] for r in rows[1:]}) == 8


def _small_batches(original):
    return lambda team_id, first, last: original(team_id, first, last, batch=2)


def test_csv_bad_dates_are_a_clear_error(shop):
    response = shop.get("/reports/orders.csv?start=2026-13-01")
    assert response.status_code == 400
    assert "is not a date" in response.get_data(as_text=True)
