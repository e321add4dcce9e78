"""Listings for a Walmart bot: a pasted walmart.com URL (slug, tracking parameters) or a bare item
id is stored as the item page on the supplier's base URL, the variant text keeps its
"Sold by: Walmart" rule, a short link asks for the full URL, and a Walmart URL is refused for
another supplier's bot. (CSV imports by id and SKU rules read ids through the same
``product_ref``: tests/scrapers/test_walmart_pages.py.)"""

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import Listing, Team
from tests.factories import make_bot, make_supplier
from tests.routes.test_listings_mapping import _form, _post, world  # noqa: F401 - the fixture

REPLICA = "http://127.0.0.1:8805"


def _walmart_bot(app, world):  # noqa: F811
    with app.app_context():
        supplier = make_supplier(key="walmart", name="Walmart", base_url=REPLICA)
        bot = make_bot(db.session.get(Team, world.team), supplier, name="walmart bot")
        db.session.commit()
        return bot.id


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.walmart.com/ip/Men-s-Crew-T-Shirt/700000101?athbdg=L1600&from=/search",
        "https://www.walmart.com/ip/700000101/",
        "700000101",
    ],
)
def test_a_walmart_url_or_item_id_is_stored_as_the_item_page(
    app,
    client,
    world,  # noqa: F811
    pasted,
):
    bot_id = _walmart_bot(app, world)
    form = _form(
        world,
        bot_id=str(bot_id),
        supplier_product_url=pasted,
        supplier_variant="Color: Navy, Size: M, Sold by: Walmart",
        shipping_rule="fastest",
    )
    assert _post(client, "/listings/new", form).status_code == 302
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.bot_id == bot_id))
        assert listing.supplier_product_url == f"{REPLICA}/ip/700000101"
        assert listing.supplier_variant == "Color: Navy, Size: M, Sold by: Walmart"


def test_a_short_link_and_a_walmart_url_on_another_bot_are_refused(
    app,
    client,
    world,  # noqa: F811
):
    bot_id = _walmart_bot(app, world)
    short = _form(world, bot_id=str(bot_id), supplier_product_url="https://walmrt.us/3xYz12")
    response = _post(client, "/listings/new", short)
    assert response.status_code == 422
    assert "full walmart.com" in response.get_data(as_text=True)
    search = _form(
        world, bot_id=str(bot_id), supplier_product_url="https://www.walmart.com/search?q=x"
    )
    response = _post(client, "/listings/new", search)
    assert response.status_code == 422 and "not a Walmart item page" in response.get_data(
        as_text=True
    )
    on_demo = _form(world, supplier_product_url="https://www.walmart.com/ip/x/700000101")
    response = _post(client, "/listings/new", on_demo)  # the demo-shop bot
    assert response.status_code == 422 and "Walmart product URL" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Listing).where(Listing.team_id == world.team)) is None
