"""Listings for an AliExpress bot: a pasted AliExpress URL or item id is stored as the item page on
the supplier's base URL; an AliExpress URL is refused for another supplier's bot (naming both); the
shipping rule is validated and kept."""

from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import Listing, Team
from tests.factories import make_bot, make_supplier
from tests.routes.test_listings_mapping import _form, _post, world  # noqa: F401 - the fixture

ITEM = "1005007182736451"


def _ali_bot(app, world):  # noqa: F811
    with app.app_context():
        supplier = make_supplier(
            key="aliexpress", name="AliExpress", base_url="http://127.0.0.1:8803"
        )
        bot = make_bot(db.session.get(Team, world.team), supplier, name="ali bot")
        db.session.commit()
        return bot.id


def test_a_pasted_aliexpress_url_is_stored_as_the_item_page_with_its_rule(
    app,
    client,
    world,  # noqa: F811
):
    bot_id = _ali_bot(app, world)
    form = _form(
        world,
        bot_id=str(bot_id),
        supplier_product_url=f"https://es.aliexpress.com/item/{ITEM}.html?spm=a2g0o.1&gps-id=x",
        supplier_variant="Color: Black, Ships From: United States",
        shipping_rule="Fastest <= $5",
    )
    assert _post(client, "/listings/new", form).status_code == 302
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.bot_id == bot_id))
        assert listing.supplier_product_url == f"http://127.0.0.1:8803/item/{ITEM}.html"
        assert listing.shipping_rule == "fastest under 5"


def test_a_bare_item_id_and_a_bad_rule(app, client, world):  # noqa: F811
    bot_id = _ali_bot(app, world)
    bad = _post(
        client,
        "/listings/new",
        _form(world, bot_id=str(bot_id), supplier_product_url=ITEM, shipping_rule="the nice one"),
    )
    assert bad.status_code == 422 and "fastest under 5.00" in bad.get_data(as_text=True)
    ok = _post(client, "/listings/new", _form(world, bot_id=str(bot_id), supplier_product_url=ITEM))
    assert ok.status_code == 302
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.bot_id == bot_id))
        assert listing.supplier_product_url.endswith(f"/item/{ITEM}.html")
        assert listing.shipping_rule == "cheapest"


def test_an_aliexpress_url_is_refused_for_the_demo_shop_bot(app, client, world):  # noqa: F811
    response = _post(
        client,
        "/listings/new",
        _form(world, supplier_product_url=f"https://www.aliexpress.com/item/{ITEM}.html"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "AliExpress product URL" in body and "Demo Shop" in body
