"""One team wired to the local stand-ins, shared by the loop tests (tests/loop/conftest.py) and the
benchmarks (bench/_order_stand.py, bench/chaos.py): the demo shop's bot account and product (or any
supplier replica's: ``wire_supplier_team``), the eBay emulator's application keys, the team's
credits and the environment of a real worker process.
"""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from autoorder import credits
from autoorder.demo import connect_emulator_account
from autoorder.extensions import db
from autoorder.models import CreditPackage
from tests.factories import make_bot, make_listing, make_supplier, make_user
from tests.support import app_env

SHOP_EMAIL, SHOP_PASSWORD = "buyer@demo.test", "demo-password"
CARD = "4242424242424242"
ITEM = {
    "sku": "CASE-BLK",
    "legacyItemId": "325400200001",
    "title": "iPhone case - Black",
    "price": "14.99",
}
BUYER = {
    "name": "Jane Buyer",
    "username": "jane_b",
    "phone": "5125550100",
    "address": {
        "addressLine1": "12 Oak St",
        "addressLine2": "Apt 4",
        "city": "Austin",
        "stateOrProvince": "TX",
        "postalCode": "78701",
        "countryCode": "US",
    },
}
EMULATOR_KEYS = {
    "EBAY_CLIENT_ID": "autoorder-demo",
    "EBAY_CLIENT_SECRET": "demo-secret",
    "EBAY_RU_NAME": "autoorder-demo-RuName",
}


@dataclass(frozen=True)
class WiredTeam:
    team_id: int
    supplier_id: int
    bot_id: int
    listing_id: int
    account_id: int


def add_credits(team_id: int, count: int, *, actor: str = "test") -> None:
    """Credit the team as if it bought a package of ``count`` credits. Commits."""
    package = CreditPackage(name=f"{count} credits", credits=count, price=Decimal("1.00"))
    db.session.add(package)
    db.session.flush()
    credits.record_package_purchase(team_id, package, actor=actor)
    db.session.commit()


def wire_supplier_team(
    *,
    supplier_key: str,
    supplier_name: str,
    base_url: str,
    bot: dict,
    product_url: str,
    item: dict = ITEM,
    credits_count: int = 10,
    actor: str = "test",
    **listing,
) -> WiredTeam:
    """An admin's team with one supplier at ``base_url``, one bot (``bot``: make_bot's keywords),
    a listing of ``item`` mapped to ``product_url`` (``listing``: make_listing's other keywords),
    ``credits_count`` credits, and an eBay account connected through the emulator's consent. Needs
    an app context whose eBay settings point at the emulator. Any supplier's replica can be wired
    this way (the loop tests and the order_one benchmarks of each supplier do)."""
    user = make_user(role="admin")
    supplier = make_supplier(key=supplier_key, name=supplier_name, base_url=base_url)
    made_bot = make_bot(user.team, supplier, **bot)
    made_listing = make_listing(
        user.team,
        made_bot,
        ebay_item_id=item["legacyItemId"],
        sku=item["sku"],
        supplier_product_url=product_url,
        **listing,
    )
    ids = (user.team_id, supplier.id, made_bot.id, made_listing.id)
    if credits_count:
        add_credits(user.team_id, credits_count, actor=actor)
    db.session.commit()
    account = connect_emulator_account(user.team_id, "seller")
    db.session.commit()
    return WiredTeam(*ids, account.id)


def wire_team(
    shop_url: str,
    *,
    payment_method: str = "card",
    card: str | None = CARD,
    credits_count: int = 10,
    bot_email: str = SHOP_EMAIL,
    actor: str = "test",
) -> WiredTeam:
    """``wire_supplier_team`` for the Demo Shop: one bot for the shop account, a listing of
    ``ITEM`` mapped to the shop's black phone case."""
    return wire_supplier_team(
        supplier_key="demo_shop",
        supplier_name="Demo Shop",
        base_url=shop_url,
        bot={
            "name": "main",
            "account_email": bot_email,
            "password": SHOP_PASSWORD,
            "payment_method": payment_method,
            "card": card if payment_method == "card" else None,
        },
        product_url=f"{shop_url}/products/phone-case",
        supplier_variant="Black",
        max_buy_price=Decimal("15.00"),
        credits_count=credits_count,
        actor=actor,
    )


def worker_env(app, *, secret: str, db_url: str, redis_url: str, ebay_url: str, **extra) -> dict:
    """The environment of a real worker/scheduler process for ``app``'s settings, on the
    emulator."""
    return app_env(
        app,
        secret=secret,
        db_url=db_url,
        redis_url=redis_url,
        AUTOORDER_EVIDENCE_DIR=app.config["EVIDENCE_DIR"],
        EBAY_API_BASE_URL=ebay_url,
        EBAY_AUTH_BASE_URL=ebay_url,
        **EMULATOR_KEYS,
        **extra,
    )


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (RQ's work-horse calls setsid: a process group misses it)."""
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            stack += children
    return found
