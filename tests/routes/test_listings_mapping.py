"""Listings: map eBay listings to supplier products; a mapping made from a stuck sale puts it back
in line."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from rq.job import Job
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import Listing, Order, Team
from tests.factories import make_bot, make_listing, make_order, make_supplier, make_user
from tests.support import csrf_token, login

URL = "http://shop.example/products/phone-case"


@pytest.fixture
def world(app, client):
    with app.app_context():
        user = make_user(email="member@example.com")
        stranger = make_user(email="stranger@example.com")
        supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url="http://shop.example")
        bot = make_bot(user.team, supplier, name="main")
        their_bot = make_bot(stranger.team, supplier, name="their bot")
        their_listing = make_listing(
            stranger.team, their_bot, ebay_item_id="999999999", title="Their listing"
        )
        their_order = make_order(
            stranger.team,
            status="needs_attention",
            failure_code="no_mapping",
            legacy_item_id="325400200001",
            title="Their stuck sale",
        )
        db.session.commit()
        ids = SimpleNamespace(
            team=user.team_id,
            bot=bot.id,
            their_bot=their_bot.id,
            their_listing=their_listing.id,
            their_order=their_order.id,
        )
    login(client, "member@example.com")
    return ids


def _stuck(app, team_id, **kw):
    with app.app_context():
        order = make_order(
            db.session.get(Team, team_id),
            status="needs_attention",
            failure_code="no_mapping",
            failure_message="No supplier mapping for this eBay listing",
            **kw,
        )
        db.session.commit()
        return order.id


def _form(world, **overrides):
    data = {
        "ebay_item_id": "325400200001",
        "ebay_variation_key": "",
        "sku": "",
        "title": "Phone case",
        "supplier_product_url": URL,
        "supplier_variant": "Black",
        "bot_id": str(world.bot),
        "max_buy_price": "12.50",
        "quantity_per_sale": "1",
        "notes": "",
    }
    data.update(overrides)
    return data


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/listings/")})


def test_create_edit_and_delete_a_mapping(app, client, world):
    response = _post(client, "/listings/new", _form(world))
    assert response.status_code == 302
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.team_id == world.team))
        assert (
            listing.ebay_item_id,
            listing.ebay_variation_key,
            listing.bot_id,
            listing.max_buy_price,
        ) == ("325400200001", "", world.bot, Decimal("12.50"))
        listing_id = listing.id
    page = client.get("/listings/").get_data(as_text=True)
    assert "Phone case" in page and URL in page and "Their listing" not in page
    assert (
        _post(
            client,
            f"/listings/{listing_id}",
            _form(world, quantity_per_sale="2", supplier_variant="Navy Blue"),
        ).status_code
        == 302
    )
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert (listing.quantity_per_sale, listing.supplier_variant) == (2, "Navy Blue")
    assert _post(client, f"/listings/{listing_id}/delete", {}).status_code == 302
    with app.app_context():
        assert db.session.get(Listing, listing_id) is None


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("ebay_item_id", "abc", "eBay item number"),
        ("supplier_product_url", "javascript:alert(1)", "full product URL"),
        ("quantity_per_sale", "0", "between 1 and 100"),
        ("max_buy_price", "-3", "at least 0"),
        ("bot_id", "", "Choose an order bot."),
    ],
)
def test_validation_errors_are_shown(app, client, world, field, value, message):
    response = _post(client, "/listings/new", _form(world, **{field: value}))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Listing).where(Listing.team_id == world.team)) is None


def test_another_teams_bot_cannot_be_chosen(app, client, world):
    response = _post(client, "/listings/new", _form(world, bot_id=str(world.their_bot)))
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    assert "their bot" not in client.get("/listings/new").get_data(as_text=True)


def test_the_same_item_and_variation_cannot_be_mapped_twice(client, world):
    assert _post(client, "/listings/new", _form(world)).status_code == 302
    response = _post(client, "/listings/new", _form(world, supplier_variant="Clear"))
    assert response.status_code == 422 and "already mapped" in response.get_data(as_text=True)
    assert (
        _post(client, "/listings/new", _form(world, ebay_variation_key="VAR-2")).status_code == 302
    )


def test_another_teams_listing_and_order_answer_404(client, world):
    assert client.get(f"/listings/{world.their_listing}").status_code == 404
    assert _post(client, f"/listings/{world.their_listing}", _form(world)).status_code == 404
    assert _post(client, f"/listings/{world.their_listing}/delete", {}).status_code == 404
    assert client.get(f"/listings/new?from_order={world.their_order}").status_code == 404
    assert client.get("/listings/new?from_order=nonsense").status_code == 404
    assert "Their stuck sale" not in client.get("/listings/").get_data(as_text=True)


def test_a_listing_with_sales_cannot_be_deleted(app, client, world):
    with app.app_context():
        listing = make_listing(db.session.get(Team, world.team), ebay_item_id="123456789")
        make_order(db.session.get(Team, world.team), listing_id=listing.id)
        db.session.commit()
        listing_id = listing.id
    response = client.post(
        f"/listings/{listing_id}/delete",
        data={"csrf_token": csrf_token(client, "/listings/")},
        follow_redirects=True,
    )
    assert "cannot be deleted" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Listing, listing_id) is not None


def test_mapping_from_a_stuck_sale_is_prefilled_and_resumes_its_sales(app, client, world, redis):
    stuck = _stuck(
        app,
        world.team,
        legacy_item_id="325400200001",
        legacy_variation_id="500001",
        sku="CASE-BLK",
        title="iPhone case - Black",
    )
    sibling = _stuck(app, world.team, legacy_item_id="325400200001", legacy_variation_id="500001")
    other_variation = _stuck(
        app, world.team, legacy_item_id="325400200001", legacy_variation_id="500002"
    )
    index = client.get("/listings/").get_data(as_text=True)
    assert "Sales waiting for a supplier mapping" in index
    assert index.count("Map it</a>") == 2  # one row per item + variation, the newest sale linked
    assert (
        f"/listings/new?from_order={sibling}" in index
        and f"/listings/new?from_order={other_variation}" in index
    )
    page = client.get(f"/listings/new?from_order={stuck}").get_data(as_text=True)
    for prefilled in (
        'value="325400200001"',
        'value="500001"',
        'value="CASE-BLK"',
        'value="iPhone case - Black"',
    ):
        assert prefilled in page
    response = _post(
        client,
        f"/listings/new?from_order={stuck}",
        _form(world, ebay_variation_key="500001", sku="CASE-BLK", title="iPhone case - Black"),
    )
    assert response.status_code == 302
    assert "back in line: 2" in client.get("/listings/").get_data(as_text=True)
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.team_id == world.team))
        for order_id in (stuck, sibling):
            order = db.session.get(Order, order_id)
            assert (order.status, order.failure_code, order.listing_id, order.bot_id) == (
                "waiting",
                None,
                listing.id,
                world.bot,
            )
            assert any(
                e.reason == "retry requested" and e.actor == "member@example.com"
                for e in order.events
            )
            assert Job.fetch(f"place-order-{order_id}", connection=redis).origin == "orders"
        assert db.session.get(Order, other_variation).status == "needs_attention"
        assert (
            db.session.get(Order, world.their_order).status == "needs_attention"
        )  # same item, other team


def test_a_whole_listing_mapping_resumes_single_variation_sales(app, client, world, redis):
    stuck = _stuck(app, world.team, legacy_item_id="325400200001")
    assert _post(client, f"/listings/new?from_order={stuck}", _form(world)).status_code == 302
    with app.app_context():
        assert db.session.get(Order, stuck).status == "waiting"


def test_a_mapping_saved_while_the_queue_is_down_says_the_tick_starts_its_sales(app, client, world):
    from tests.support import free_port

    stuck = _stuck(app, world.team, legacy_item_id="325400200001")
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    try:
        response = _post(client, f"/listings/new?from_order={stuck}", _form(world))
        assert response.status_code == 302
        page = client.get("/listings/").get_data(as_text=True)
    finally:
        app.config["REDIS_URL"] = saved
    assert "back in line: 1. (The job queue is unreachable; they start with the next tick.)" in page
    with app.app_context():  # saved and back in line all the same: the due-orders duty enqueues it
        assert db.session.get(Order, stuck).status == "waiting"


class _IdShopAdapter:
    """A registered adapter that reads bare product ids and owns a public host (as AliExpress and
    Amazon do), to check the listing form asks the adapter."""

    key, display_name, hosts = "id_shop", "Id Shop", ("idshop.example",)

    @classmethod
    def product_ref(cls, text, base_url):
        import re

        match = re.fullmatch(r"(?:https?://(?:www\.)?idshop\.example/p/)?(\d{6})", text)
        return f"{base_url}/p/{match.group(1)}" if match else None


@pytest.fixture
def two_suppliers(monkeypatch):
    from autoorder.scrapers import ADAPTERS

    monkeypatch.setitem(ADAPTERS, "id_shop", _IdShopAdapter)


def test_an_id_or_url_the_adapter_knows_is_stored_as_its_product_page(
    app, client, world, two_suppliers
):
    with app.app_context():
        supplier = make_supplier(key="id_shop", name="Id Shop", base_url="http://replica.test:9")
        bot = make_bot(db.session.get(Team, world.team), supplier, name="id bot")
        db.session.commit()
        bot_id = bot.id
    form = _form(world, bot_id=str(bot_id), supplier_product_url="123456")
    assert _post(client, "/listings/new", form).status_code == 302
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.bot_id == bot_id))
        assert listing.supplier_product_url == "http://replica.test:9/p/123456"


def test_a_product_id_the_supplier_does_not_read_is_refused(app, client, world):
    response = _post(client, "/listings/new", _form(world, supplier_product_url="B0ABCDEFGH"))
    assert response.status_code == 422
    assert "full URL" in response.get_data(as_text=True)


def test_another_suppliers_url_is_refused_naming_both(app, client, world, two_suppliers):
    response = _post(
        client,
        "/listings/new",
        _form(world, supplier_product_url="https://www.idshop.example/p/123456"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Id Shop product URL" in body and "Demo Shop" in body
    with app.app_context():
        assert db.session.scalar(select(Listing).where(Listing.team_id == world.team)) is None


@pytest.mark.parametrize(
    "pasted",
    [
        "B08N5WRWNW",
        "https://www.amazon.com/Echo-Dot/dp/B08N5WRWNW/ref=sr_1_1?keywords=echo",
        "https://www.amazon.com/gp/product/B08N5WRWNW?th=1",
    ],
)
def test_an_amazon_bot_takes_an_asin_or_amazon_url(app, client, world, pasted):
    with app.app_context():
        supplier = make_supplier(key="amazon", name="Amazon", base_url="https://www.amazon.com")
        bot = make_bot(db.session.get(Team, world.team), supplier, name="amazon bot")
        db.session.commit()
        bot_id = bot.id
    form = _form(world, bot_id=str(bot_id), supplier_product_url=pasted, supplier_variant="")
    assert _post(client, "/listings/new", form).status_code == 302
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.bot_id == bot_id))
        assert listing.supplier_product_url == "https://www.amazon.com/dp/B08N5WRWNW"


def test_an_amazon_short_link_asks_for_the_full_url_and_an_amazon_url_needs_an_amazon_bot(
    app, client, world
):
    with app.app_context():
        supplier = make_supplier(key="amazon", name="Amazon", base_url="https://www.amazon.com")
        bot = make_bot(db.session.get(Team, world.team), supplier, name="amazon bot")
        db.session.commit()
        bot_id = bot.id
    short = _form(world, bot_id=str(bot_id), supplier_product_url="https://amzn.to/3xYz12")
    response = _post(client, "/listings/new", short)
    assert response.status_code == 422
    assert "full amazon.com product URL" in response.get_data(as_text=True)
    on_demo = _form(world, supplier_product_url="https://www.amazon.com/dp/B08N5WRWNW")
    response = _post(client, "/listings/new", on_demo)  # the demo-shop bot
    assert response.status_code == 422 and "Amazon product URL" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Listing).where(Listing.team_id == world.team)) is None
