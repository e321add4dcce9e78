"""The dashboard in real Chromium against a real local server: log in, create a bot (inline
validation first refuses a bad card), map a listing from a stuck sale, record a credits purchase.
Screenshots go to artifacts/screenshots/."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from autoorder import credits
from autoorder.extensions import db
from autoorder.models import CreditPackage, Listing, Order, OrderBot
from tests.factories import make_order, make_supplier, make_user
from tests.support import shot

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app):
    with app.app_context():
        admin = make_user(email="owner@example.com", role="admin", is_operator=True)
        make_supplier(key="demo_shop", name="Demo Shop", base_url="http://127.0.0.1:1")
        stuck = make_order(
            admin.team,
            status="needs_attention",
            failure_code="no_mapping",
            failure_message="No supplier mapping for this eBay listing",
            legacy_item_id="325400200001",
            sku="CASE-BLK",
            title="iPhone case - Black",
        )
        db.session.add(CreditPackage(name="Starter 100", credits=100, price=Decimal("29.00")))
        db.session.commit()
        return {"team": admin.team_id, "order": stuck.id}


def test_console_flows_in_chromium(app, live_server, world, redis, chromium, log_in):
    with chromium() as (context, page):
        log_in(page)

        # an order bot: the bad card is refused inline, before any submit
        page.goto(live_server + "/bots/new")
        page.select_option("#supplier_id", label="Demo Shop")
        page.fill("#name", "main")
        page.fill("#account_email", "buyer@demo.test")
        page.fill("#password", "demo-password")
        page.fill("#card_holder", "Pat Seller")
        page.fill("#card_number", "4111 1111 1111 1112")
        page.press("#card_number", "Tab")
        page.locator("#feedback-card_number .error").wait_for()
        assert page.inner_text("#feedback-card_number") == "Enter a valid card number."
        page.fill("#card_expiry", "01/20")
        page.press("#card_expiry", "Tab")
        page.locator("#feedback-card_expiry .error").wait_for()
        shot(page, "bot-form-invalid-card")
        page.fill("#card_number", "4111 1111 1111 1111")
        page.press("#card_number", "Tab")
        page.locator("#feedback-card_number .ok").wait_for()
        page.fill("#card_expiry", "12/39")
        page.fill("#card_cvc", "123")
        page.press("#card_cvc", "Tab")
        # the expiry is checked by its own request when it changes: wait for its answer
        page.locator("#feedback-card_expiry .error").wait_for(state="detached")
        page.click("#bot-form button[type=submit]")
        page.wait_for_url(live_server + "/bots/")
        assert "Bot main created" in page.inner_text("main")
        assert "•••• 1111" in page.inner_text("#bots")
        assert "4111" not in page.content()
        shot(page, "bots")

        # a listing, mapped straight from the sale waiting for it
        page.goto(live_server + "/listings/")
        page.click(f"a[href='/listings/new?from_order={world['order']}']")
        assert page.input_value("#ebay_item_id") == "325400200001"
        assert page.input_value("#ebay_variation_key") == "CASE-BLK"
        page.fill("#supplier_product_url", "http://127.0.0.1:1/products/phone-case")
        page.fill("#supplier_variant", "Black")
        page.fill("#max_buy_price", "12.50")
        shot(page, "listing-form")
        page.click("#listing-form button[type=submit]")
        page.wait_for_url(live_server + "/listings/")
        assert "back in line: 1" in page.inner_text("main")
        shot(page, "listings")

        # credits: an admin records a package purchase
        page.goto(live_server + "/console/")
        assert "Auto Order is off" in page.inner_text("#addon-status")
        row = page.locator("#packages tr", has_text="Starter 100")
        row.locator("input[name=confirmed]").check()
        row.get_by_role("button", name="Record purchase").click()
        page.wait_for_url(live_server + "/console/")
        assert "100 credits added" in page.inner_text("main")
        assert (
            page.inner_text("#credit-balance") == "100" and page.inner_text("#nav-credits") == "100"
        )
        shot(page, "console")

        for path, name in (
            ("/settings/", "settings"),
            ("/team/", "team"),
            ("/bots/", "bots-after"),
        ):
            page.goto(live_server + path)
            assert page.locator("h1").count() == 1
            shot(page, name)

        phone = context.browser.new_context(  # the same pooled Chromium
            viewport={"width": 390, "height": 844}, storage_state=context.storage_state()
        )
        try:
            mobile = phone.new_page()
            mobile.goto(live_server + "/console/")
            assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            shot(mobile, "console-phone")
        finally:
            phone.close()

    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.team_id == world["team"]))
        assert (bot.card_number, bot.card_expiry, bot.password) == (
            "4111111111111111",
            "12/39",
            "demo-password",
        )
        listing = db.session.scalar(select(Listing).where(Listing.team_id == world["team"]))
        assert (listing.bot_id, listing.supplier_variant, listing.max_buy_price) == (
            bot.id,
            "Black",
            Decimal("12.50"),
        )
        order = db.session.get(Order, world["order"])
        assert (order.status, order.listing_id) == ("waiting", listing.id)
        assert credits.balance(world["team"]) == 100
