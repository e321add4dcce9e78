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


def seed(*, admin_email: str, shop_url: str, ebay_url: str, sales_every: float | None) -> None:
    """Create (once) everything the demo needs for the admin's team; safe to run at every start."""
    team = db.session.get(
        Team, db.session.scalar(select(User.team_id).where(User.email == admin_email))
    )
    supplier = _supplier(shop_url)
    bot = db.session.scalar(
        select(OrderBot).where(OrderBot.team_id == team.id, OrderBot.name == "Demo Shop main")
    )
    if bot is None:
        bot = OrderBot(
            team_id=team.id,
            supplier=supplier,
            name="Demo Shop main",
            account_email=SHOP_ACCOUNT[0],
            password=SHOP_ACCOUNT[1],
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
    for item in CATALOG:
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
                    supplier_product_url=f"{shop_url}/products/{item['product']}",
                    supplier_variant=item["variant"],
                    max_buy_price=Decimal(item["max"]),
                )
            )
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
            json={"every": sales_every, "catalog": [item["ebay"] for item in CATALOG]},
            timeout=10,
        ).raise_for_status()


def _supplier(shop_url: str) -> Supplier:
    supplier = db.session.scalar(select(Supplier).where(Supplier.key == "demo_shop"))
    if supplier is None:
        supplier = Supplier(key="demo_shop", name="Demo Shop", base_url=shop_url)
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
