"""The CSV import of listings (#17.4) in real Chromium against a real local server: choosing a file
shows the HTMX preview with an error per row, a bad file imports nothing, a fixed file imports
every row. Also the bot page's limits and gift-card top-up. Screenshots go to
artifacts/screenshots/."""

import pytest
from sqlalchemy import func, select

from autoorder.extensions import db
from autoorder.listings_csv import COLUMNS
from autoorder.models import GiftCardEntry, Listing
from tests.factories import make_bot, make_supplier, make_user
from tests.support import shot

pytestmark = pytest.mark.browser

SHOP = "http://127.0.0.1:8802"


@pytest.fixture
def world(app):
    with app.app_context():
        admin = make_user(email="owner@example.com", role="admin")
        supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url=SHOP)
        make_bot(admin.team, supplier, name="main")
        gift = make_bot(admin.team, supplier, name="gift", payment_method="gift_card")
        db.session.commit()
        return {"team": admin.team_id, "gift": gift.id}


def _count(app, team_id):
    with app.app_context():
        return db.session.scalar(select(func.count(Listing.id)).where(Listing.team_id == team_id))


def test_import_preview_errors_then_import_in_chromium(
    app, live_server, world, tmp_path, chromium, log_in
):
    header = ",".join(COLUMNS)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{header}\n325400200001,,phone-case,Black,main,15,1\n42,,phone-case,,nobody,abc,1\n"
    )
    good = tmp_path / "good.csv"
    good.write_text(
        f"{header}\n325400200001,,phone-case,Black,main,15,1\n"
        f"325400200002,CASE-RED,{SHOP}/products/phone-case,Red,main,,2\n"
    )
    with chromium() as (context, page):
        log_in(page)

        page.goto(live_server + "/listings/")
        page.click("text=Import CSV")
        page.wait_for_url(live_server + "/listings/import")
        page.set_input_files("#import-file", str(bad))  # the preview comes by itself (HTMX)
        page.locator("#import-errors").wait_for()
        assert "nothing will be imported" in page.inner_text("#import-summary")
        errors = page.locator("#import-errors tr.import-error").all_inner_texts()
        assert any("ebay_item_id" in e for e in errors) and any("no bot" in e for e in errors)
        assert any("max_price" in e for e in errors)
        assert page.url == live_server + "/listings/import"  # a fragment swap, no page load
        shot(page, "listings-import-preview-errors")
        page.click("#import-button")  # importing the bad file anyway: nothing is saved
        page.locator("#import-errors").wait_for()
        assert _count(app, world["team"]) == 0

        page.set_input_files("#import-file", str(good))
        page.locator("#import-summary.ok").wait_for()
        assert "2 rows are fine: 2 new listings" in page.inner_text("#import-summary")
        assert page.locator("#import-rows tbody tr").count() == 2
        shot(page, "listings-import-preview-ok")
        page.click("#import-button")
        page.wait_for_url(live_server + "/listings/")
        assert "Imported 2 listings: 2 new, 0 updated." in page.inner_text("body")
        assert _count(app, world["team"]) == 2

        # the bot page: limits on the form (validated), the gift card's top-up and ledger
        page.goto(live_server + f"/bots/{world['gift']}")
        page.fill("#quiet_start", "25:00")
        page.click("text=Save bot")
        assert "Enter the time as HH:MM" in page.inner_text("#field-quiet_start")
        page.goto(live_server + f"/bots/{world['gift']}")
        page.fill("#top-up-amount", "25.50")
        page.click("#top-up-form button")
        page.locator("#gift-card-ledger").wait_for()
        assert "Top-up of 25.50 recorded" in page.inner_text("body")
        assert "top-up" in page.inner_text("#gift-card-ledger")
        shot(page, "bot-gift-card-ledger")
    with app.app_context():
        assert db.session.scalar(select(func.count(GiftCardEntry.id))) == 1
