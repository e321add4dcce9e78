"""Listings in bulk (#17.4): CSV import with a preview and per-row errors, all or nothing; export
of the same columns, safe in a spreadsheet; SKU rules that map a new sale by themselves."""

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from autoorder import listings_csv, sku_rules
from autoorder.ebay.sync import find_listing
from autoorder.extensions import db
from autoorder.models import Listing, Order, SkuRule
from tests.factories import make_bot, make_listing, make_order, make_supplier, make_user
from tests.support import csrf_token, login

SHOP = "http://127.0.0.1:8802"
HEADER = ",".join(listings_csv.COLUMNS)


@pytest.fixture
def world(app, client):
    with app.app_context():
        user = make_user(email="seller@example.com", role="admin")
        supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url=SHOP)
        bot = make_bot(user.team, supplier, name="main")
        make_bot(user.team, supplier, name="spare")
        existing = make_listing(
            user.team, bot, ebay_item_id="325400200001", supplier_product_url=f"{SHOP}/products/a"
        )
        db.session.commit()
        ids = {"team": user.team_id, "bot": bot.id, "existing": existing.id}
    login(client, "seller@example.com")
    return ids


def _post(client, path, text, **headers):
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, "/listings/import"),
            "file": (io.BytesIO(text.encode()), "listings.csv"),
        },
        content_type="multipart/form-data",
        headers=headers,
    )


def _count(app, team_id):
    with app.app_context():
        return db.session.scalar(select(func.count(Listing.id)).where(Listing.team_id == team_id))


GOOD = "\n".join(
    [
        HEADER,
        f"325400200001,,{SHOP}/products/phone-case,Black,main,15.00,1",  # updates the existing one
        "325400200002,CASE-RED,phone-case,Red,spare,,2",  # by product id
        "325400200003,,phone-case,,main,9.5,",
    ]
)


def test_preview_shows_every_row_and_writes_nothing(app, client, world):
    response = _post(client, "/listings/import/preview", GOOD, **{"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="import-preview"' in html and "<html" not in html
    assert "3 rows are fine: 2 new listings, 1 updated" in html
    assert _count(app, world["team"]) == 1


def test_import_is_all_or_nothing_with_an_error_per_row(app, client, world):
    bad = "\n".join(
        [
            HEADER,
            f"325400200002,,{SHOP}/products/phone-case,,main,,",  # fine
            "12,,phone-case,,main,,",  # item id
            "325400200004,,http://169.254.169.254/latest,,main,,",  # off the supplier
            "325400200005,,phone-case,,nobody,NaN,0",  # bot, price, quantity
            f"325400200002,,{SHOP}/products/phone-case,,main,,",  # duplicate of line 2
        ]
    )
    response = _post(client, "/listings/import", bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for line, text in (
        (3, "ebay_item_id"),
        (4, "internal address"),
        (5, "no bot"),
        (5, "max_price"),
        (5, "quantity_per_sale"),
        (6, "same eBay item and variation as line 2"),
    ):
        assert f'data-line="{line}"' in html and text in html, (line, text)
    assert _count(app, world["team"]) == 1  # nothing imported, not even the good row


def test_import_saves_every_row_and_resumes_sales_waiting_for_a_mapping(app, client, world):
    with app.app_context():
        from autoorder.models import Team

        team = db.session.get(Team, world["team"])
        stuck = make_order(
            team,
            legacy_item_id="325400200003",
            status="needs_attention",
            failure_code="no_mapping",
        )
        db.session.commit()
        stuck_id = stuck.id
    response = _post(client, "/listings/import", GOOD)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _count(app, world["team"]) == 3
    with app.app_context():
        updated = db.session.get(Listing, world["existing"])
        assert updated.supplier_product_url == f"{SHOP}/products/phone-case"
        assert updated.max_buy_price == Decimal("15.00")
        by_sku = find_listing(world["team"], "325400200002", "", "CASE-RED")
        assert by_sku.supplier_product_url == f"{SHOP}/products/phone-case"
        assert by_sku.bot.name == "spare" and by_sku.quantity_per_sale == 2
        order = db.session.get(Order, stuck_id)
        assert order.status == "waiting" and order.listing_id is not None


def test_export_has_the_same_columns_and_no_formula_can_run(app, client, world):
    with app.app_context():
        listing = db.session.get(Listing, world["existing"])
        listing.supplier_variant = '=HYPERLINK("http://evil","x")'
        listing.ebay_variation_key = "+SUM(1)"
        db.session.commit()
    response = client.get("/listings/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == list(listings_csv.COLUMNS)
    assert rows[1][1] == "'+SUM(1)" and rows[1][3].startswith("'=HYPERLINK")
    # the export imports again unchanged (the guard is undone)
    again = _post(client, "/listings/import", response.get_data(as_text=True).lstrip("\ufeff"))
    assert again.status_code == 302
    with app.app_context():
        assert db.session.get(Listing, world["existing"]).supplier_variant.startswith("=HYPER")


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("^AMZ-(B0[A-Z0-9]{8})$", "named group"),
        ("^(?P<id>(a|a)*)$", "too long"),
        ("^(?P<id>(a|aa)+)$", "too long"),
        ("(?P<id>[", "Not a valid"),
        ("a" * 201, "at most 200"),
    ],
)
def test_a_bad_or_catastrophic_sku_pattern_is_refused(ctx, pattern, problem):
    with pytest.raises(sku_rules.RuleError, match=problem):
        sku_rules.compile_pattern(pattern)


def test_a_sku_rule_maps_a_new_sale_by_itself(app, client, world):
    response = client.post(
        "/listings/sku-rules",
        data={
            "csrf_token": csrf_token(client, "/listings/"),
            "pattern": r"^DS-(?P<id>[a-z-]+)$",
            "bot_id": world["bot"],
            "max_buy_price": "20",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        (rule,) = db.session.scalars(select(SkuRule)).all()
        assert rule.max_buy_price == Decimal("20.00")
        listing = sku_rules.listing_from_rules(world["team"], "325400209999", "", "DS-phone-case")
        assert listing.supplier_product_url == f"{SHOP}/products/phone-case"
        assert listing.bot_id == world["bot"] and listing.max_buy_price == Decimal("20.00")
        assert sku_rules.listing_from_rules(world["team"], "325400209998", "", "OTHER-1") is None
    bad = client.post(
        "/listings/sku-rules",
        data={
            "csrf_token": csrf_token(client, "/listings/"),
            "pattern": "^(?P<id>(a|a)*)$",
            "bot_id": world["bot"],
        },
        follow_redirects=True,
    )
    assert "takes too long" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(SkuRule.id))) == 1


@pytest.mark.parametrize(
    "key,product,url",
    [
        ("amazon", "B08N5WRWNW", "http://127.0.0.1:9/dp/B08N5WRWNW"),
        ("amazon", "amzn.to/3xYz12", None),  # a short link: the full URL is needed, no error
        ("amazon", "phone-case", None),
        ("demo_shop", "phone-case", "http://127.0.0.1:9/products/phone-case"),
        ("no_such_supplier", "B08N5WRWNW", None),
    ],
)
def test_a_product_id_becomes_the_suppliers_product_page(ctx, key, product, url):
    """SKU rules and CSV rows by id read the id as the listing form reads a pasted one."""
    bot = make_bot(make_user().team, make_supplier(key=key, base_url="http://127.0.0.1:9/"))
    assert sku_rules.product_url(bot, product) == url
