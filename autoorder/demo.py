"""Demo data for `./run.sh demo`: a supplier, a bot, listings, credits and an eBay account
connected through the real OAuth flow to the local eBay emulator, which then generates sales."""

import logging
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from autoorder import credits
from autoorder.ebay.accounts import AccountTokenStore, client_for
from autoorder.extensions import db
from autoorder.models import CreditPackage, EbayAccount, Listing, OrderBot, Supplier, Team, User

log = logging.getLogger(__name__)

SHOP_ACCOUNT = ("buyer@demo.test", "demo-password")
ALIEXPRESS_ACCOUNT = (
    "buyer@ali.test",
    "ali-password",
)  # the AliExpress replica's (sandbox/aliexpress)
DEMO_CARD = {"number": "4242424242424242", "expiry": "12/30", "cvc": "123", "holder": "Demo Seller"}
# eBay listing (as the emulator sells it) -> the demo shop product and variant that fills it.
CATALOG = [
    {
        "ebay": {
            "sku": "CASE-BLK",
            "legacyItemId": "325400200001",
            "title": "Shockproof iPhone 15 Case - Black",
            "price": "19.99",
        },
        "product": "phone-case",
        "variant": "Black",
        "max": "15.00",
    },
    {
        "ebay": {
            "sku": "TEE-BLK-M",
            "legacyItemId": "325400200002",
            "legacyVariationId": "620000000301",
            "title": "Heavyweight Cotton T-Shirt",
            "price": "39.95",
            "variationAspects": [
                {"name": "Color", "value": "Black"},
                {"name": "Size", "value": "M"},
            ],
        },
        "product": "cotton-tshirt",
        "variant": "Black / M",
        "max": "35.00",
    },
    {
        "ebay": {
            "sku": "LAMP-STD",
            "legacyItemId": "325400200003",
            "title": "Dimmable LED Desk Lamp, USB Port",
            "price": "44.50",
        },
        "product": "led-desk-lamp",
        "variant": None,
        "max": "35.00",
    },
]


# eBay listings the demo sells that AliExpress fills (the replica's items and SKU text).
ALIEXPRESS_CATALOG = [
    {
        "ebay": {
            "sku": "ALI-CASE-BLK-US",
            "legacyItemId": "325400300001",
            "title": "Clear iPhone 15 Pro Max Case - Black, ships from US",
            "price": "16.99",
        },
        "product": "1005007182736451",
        "variant": "Color: Black, Ships From: United States",
        "shipping_rule": "fastest under 5.00",
        "max": "20.00",
    },
    {
        "ebay": {
            "sku": "ALI-TEE-WHT-M",
            "legacyItemId": "325400300002",
            "legacyVariationId": "620000000401",
            "title": "Oversized Heavyweight Tee",
            "price": "24.95",
            "variationAspects": [
                {"name": "Color", "value": "White"},
                {"name": "Size", "value": "M"},
            ],
        },
        "product": "1005006539912877",
        "variant": "Color: White, Size: M",
        "shipping_rule": "cheapest",
        "max": "25.00",
    },
]


def seed(
    *,
    admin_email: str,
    shop_url: str,
    ebay_url: str,
    sales_every: float | None,
    aliexpress_url: str | None = None,
) -> None:
    """Create (once) everything the demo needs for the admin's team; safe to run at every start.
    With ``aliexpress_url`` (the replica) an AliExpress bot and its listings too."""
    team = db.session.get(
        Team, db.session.scalar(select(User.team_id).where(User.email == admin_email))
    )
    bot = _bot(team, _supplier(shop_url), "Demo Shop main", SHOP_ACCOUNT)
    _listings(team, bot, CATALOG, lambda item: f"{shop_url}/products/{item['product']}")
    catalog = list(CATALOG)
    if aliexpress_url:
        ali_bot = _bot(
            team, _supplier(aliexpress_url, "aliexpress"), "AliExpress main", ALIEXPRESS_ACCOUNT
        )
        _listings(
            team,
            ali_bot,
            ALIEXPRESS_CATALOG,
            lambda i: f"{aliexpress_url}/item/{i['product']}.html",
        )
        catalog += ALIEXPRESS_CATALOG
    package = db.session.scalar(select(CreditPackage).where(CreditPackage.name == "Starter 100"))
    if package is None:
        package = CreditPackage(name="Starter 100", credits=100, price=Decimal("9.00"))
        db.session.add(package)
        db.session.flush()
    credits.record_package_purchase(
        team.id, package, actor="demo", payment_reference=f"demo-team-{team.id}"
    )
    db.session.commit()
    _connect_ebay(team)
    if sales_every:
        requests.post(
            f"{ebay_url}/sandbox/generator",
            json={"every": sales_every, "catalog": [item["ebay"] for item in catalog]},
            timeout=10,
        ).raise_for_status()


def _bot(team, supplier, name, account) -> OrderBot:
    bot = db.session.scalar(
        select(OrderBot).where(OrderBot.team_id == team.id, OrderBot.name == name)
    )
    if bot is None:
        bot = OrderBot(
            team_id=team.id,
            supplier=supplier,
            name=name,
            account_email=account[0],
            password=account[1],
            payment_method="card",
            # a sale every 45 s: the default limits (10/hour, 60 s apart) would hold most of them
            max_orders_per_hour=120,
            max_orders_per_day=2000,
            min_gap_seconds=5,
        )
        bot.set_card(
            **DEMO_CARD,
            billing_address={
                "addressLine1": "1 Demo Way",
                "city": "Austin",
                "stateOrProvince": "TX",
                "postalCode": "78701",
                "countryCode": "US",
            },
        )
        db.session.add(bot)
        db.session.flush()
    return bot


def _listings(team, bot, catalog, url_of) -> None:
    for item in catalog:
        ebay = item["ebay"]
        key = ebay.get("legacyVariationId", "")
        if (
            db.session.scalar(
                select(Listing).where(
                    Listing.team_id == team.id,
                    Listing.ebay_item_id == ebay["legacyItemId"],
                    Listing.ebay_variation_key == key,
                )
            )
            is None
        ):
            db.session.add(
                Listing(
                    team_id=team.id,
                    ebay_item_id=ebay["legacyItemId"],
                    ebay_variation_key=key,
                    sku=ebay["sku"],
                    title=ebay["title"],
                    bot_id=bot.id,
                    supplier_product_url=url_of(item),
                    supplier_variant=item["variant"],
                    shipping_rule=item.get("shipping_rule"),
                    max_buy_price=Decimal(item["max"]),
                )
            )


def _supplier(shop_url: str, key: str = "demo_shop") -> Supplier:
    """The supplier row of ``key`` pointed at the local stand-in (created if missing)."""
    from autoorder.scrapers import ADAPTERS

    supplier = db.session.scalar(select(Supplier).where(Supplier.key == key))
    if supplier is None:
        supplier = Supplier(key=key, name=ADAPTERS[key].display_name, base_url=shop_url)
        db.session.add(supplier)
    supplier.base_url = shop_url
    db.session.flush()
    return supplier


def _connect_ebay(team: Team) -> None:
    """Connect the demo team's eBay account once, through the emulator's OAuth flow."""
    if (
        db.session.scalar(
            select(EbayAccount).where(
                EbayAccount.team_id == team.id, EbayAccount.status == "connected"
            )
        )
        is not None
    ):
        return
    connect_emulator_account(team.id, "autoorder_demo_seller", state="demo-state")
    log.info("demo: eBay account connected through the emulator's OAuth flow")


def connect_emulator_account(team_id: int, name: str, state: str = "t") -> EbayAccount:
    """Run the OAuth consent + code exchange against the eBay emulator (which consents at once,
    as a user would in a browser) and store the account's tokens; flushed, not committed. Used by
    the demo, the loop tests and the benchmarks."""
    client = client_for()
    consent = requests.get(client.consent_url(state), allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    account = EbayAccount(team_id=team_id, name=name)
    db.session.add(account)
    AccountTokenStore(account).save(client.exchange_code(code))
    return account
