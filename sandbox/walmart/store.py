"""The Walmart replica's state, in memory under one lock: accounts (password, e-mailed sign-in
codes, gift-card balance, saved cards, address book), products (item ids, variants as sibling
item ids, seller, stock, order limit), carts, checkouts, orders with their shipments (groups),
and the faults switched on through /sandbox/."""

from __future__ import annotations

import datetime as dt
import random
import threading
from decimal import Decimal

TAX_RATE = Decimal("0.0700")
DEFAULT_DECLINE_CARDS = ("4000000000000002",)
# Walmart's delivery choices at checkout (fulfillment options): name, price, days
SHIPPING_OPTIONS = (
    ("standard", "Standard delivery", Decimal("5.99"), 5),
    ("two_day", "2-day shipping", Decimal("8.99"), 2),
    ("next_day", "Next-day delivery", Decimal("14.99"), 1),
)
FREE_STANDARD_FROM = Decimal("35.00")
FAULTS = {
    "press_hold": 'the "Robot or human?" press-and-hold page (/blocked) after the password',
    "code": "a one-time code sent by e-mail after the e-mail step (instead of the password)",
    "out_of_stock": "a product (item_id) is out of stock",
    "marketplace": "a product (item_id) is sold by a marketplace seller (seller)",
    "price_change": "the checkout's item price is the product page's times factor",
    "declined_card": "every card payment is declined at place order",
    "split_shipments": "each unit of an order ships as its own shipment",
    "slow_place": "place order answers only after delay seconds (the order is placed first)",
}


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def seeded_products() -> list[dict]:
    tee = dict(title="Men's Short Sleeve Crew T-Shirt", price="8.98", group="tee")
    return [
        dict(item_id="123456789", title="Stainless Steel Water Bottle, 32 oz", price="14.97"),
        dict(item_id="5577001", title="LED Desk Lamp with USB Port", price="24.88", stock=3),
        dict(item_id="700000101", variant={"Color": "Black", "Size": "M"}, **tee),
        dict(item_id="700000102", variant={"Color": "Black", "Size": "L"}, **tee),
        dict(item_id="700000103", variant={"Color": "Navy", "Size": "M"}, **tee),
        dict(item_id="700000104", variant={"Color": "Navy", "Size": "L"}, stock=0, **tee),
        dict(
            item_id="880000001",
            title="Shockproof Phone Case",
            price="6.49",
            seller="GadgetDeals LLC",
            seller_id="101077722",
        ),
    ]


def slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title).split())


class Store:
    def __init__(self, seed: int = 0, decline_cards=DEFAULT_DECLINE_CARDS):
        self.lock = threading.RLock()
        self.seed = seed
        self.decline_cards = tuple(decline_cards)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        with self.lock:
            self.seed = self.seed if seed is None else seed
            self.rng = random.Random(self.seed)
            self.accounts: dict[str, dict] = {}
            self.products: dict[str, dict] = {}
            for p in seeded_products():
                self.add_product(**p)
            self.carts: dict[str, list] = {}
            self.checkouts: dict[str, dict] = {}
            self.orders: dict[str, dict] = {}
            self.faults: dict[str, dict] = {}
            self.session_epoch = 0
            self.add_account("buyer@example.com", "replica-password")

    def add_product(self, item_id, title, price, **extra) -> dict:
        with self.lock:
            product = dict(
                item_id=str(item_id),
                title=title,
                slug=slug(title),
                price=money(price),
                stock=int(extra.get("stock", 25)),
                order_limit=int(extra.get("order_limit", 12)),
                seller=extra.get("seller") or "Walmart.com",
                seller_id=str(extra.get("seller_id") or "0"),
                group=extra.get("group"),
                variant=dict(extra.get("variant") or {}),
            )
            self.products[product["item_id"]] = product
            return product

    def siblings(self, product) -> list[dict]:
        if not product["group"]:
            return [product]
        return [p for p in self.products.values() if p["group"] == product["group"]]

    def seller_of(self, product) -> tuple[str, str]:
        fault = self.fault("marketplace", product["item_id"])
        if fault:
            return fault.get("seller", "Marketplace Seller Inc"), "202020"
        return product["seller"], product["seller_id"]

    def in_stock(self, product, quantity=1) -> bool:
        return product["stock"] >= quantity and not self.fault("out_of_stock", product["item_id"])

    # --- accounts -------------------------------------------------------------------------------
    def add_account(self, email, password, **extra) -> dict:
        with self.lock:
            acct = self.accounts.get(email.lower()) or {"cards": [], "addresses": []}
            acct.update(
                email=email.lower(),
                password=password,
                sign_in=extra.get("sign_in") or "password",  # password | code (e-mailed)
                gift_card_balance=money(extra.get("gift_card_balance", "0.00")),
                last_code=acct.get("last_code"),
            )
            self.accounts[acct["email"]] = acct
            return acct

    def send_code(self, acct) -> str:
        with self.lock:
            acct["last_code"] = f"{self.rng.randrange(10**6):06d}"
            return acct["last_code"]

    def fault(self, name: str, item_id: str | None = None) -> dict | None:
        with self.lock:
            spec = self.faults.get(name)
            if spec is None or (item_id and spec.get("item_id") not in (None, item_id)):
                return None
            return spec

    # --- cart -----------------------------------------------------------------------------------
    def cart(self, email) -> list:
        return self.carts.setdefault(email, [])

    def add_to_cart(self, email, item_id, quantity) -> None:
        with self.lock:
            lines = self.cart(email)
            for line in lines:
                if line["item_id"] == item_id:
                    line["quantity"] += quantity
                    return
            lines.append(dict(item_id=item_id, quantity=quantity, line_id=self._id("L", 9)))

    def _id(self, prefix: str, digits: int) -> str:
        return f"{prefix}{self.rng.randrange(10**digits):0{digits}d}"

    # --- checkout and orders --------------------------------------------------------------------
    def shipping_options(self, items: Decimal) -> list[dict]:
        return [
            dict(
                id=key,
                name=name,
                price=Decimal("0.00")
                if key == "standard" and items >= FREE_STANDARD_FROM
                else price,
                days=days,
            )
            for key, name, price, days in SHIPPING_OPTIONS
        ]

    def totals(self, email) -> dict:
        checkout = self.checkouts.get(email, {})
        change = self.fault("price_change")
        factor = Decimal(str(change.get("factor", "1.2"))) if change else Decimal(1)
        items = money(
            sum(
                money(self.products[line["item_id"]]["price"] * factor) * line["quantity"]
                for line in self.cart(email)
            )
        )
        options = {o["id"]: o for o in self.shipping_options(items)}
        shipping = options[checkout.get("shipping", "standard")]["price"]
        tax = money((items + shipping) * TAX_RATE)
        total = items + shipping + tax
        gift = Decimal("0.00")
        if checkout.get("payment", {}).get("method") == "gift_card":
            gift = min(self.accounts[email]["gift_card_balance"], total)
        return dict(
            items=items, shipping=shipping, tax=tax, total=total, gift_card=gift, due=total - gift
        )

    def new_order_id(self) -> str:
        return f"2000{self.rng.randrange(10**11):011d}"

    def place(self, email) -> dict:
        with self.lock:
            acct, checkout = self.accounts[email], self.checkouts[email]
            totals = self.totals(email)
            acct["gift_card_balance"] -= totals["gift_card"]
            lines = [dict(line) for line in self.cart(email)]
            for line in lines:
                self.products[line["item_id"]]["stock"] -= line["quantity"]
            if self.fault("split_shipments"):
                groups = [[(x["item_id"], 1)] for x in lines for _ in range(x["quantity"])]
            else:
                groups = [[(x["item_id"], x["quantity"]) for x in lines]]
            number = self.new_order_id()
            order = dict(
                id=number,
                display_id=f"{number[:7]}-{number[7:]}",
                email=email,
                placed_at=dt.datetime.now(dt.UTC).isoformat(),
                lines=lines,
                ship_to=dict(checkout["address"]),
                shipping=checkout["shipping"],
                payment={k: v for k, v in checkout["payment"].items() if k != "card_number"},
                status="processing",
                totals={k: str(v) for k, v in totals.items()},
                shipments=[
                    dict(items=g, status="processing", carrier=None, tracking_number=None)
                    for g in groups
                ],
            )
            self.orders[number] = order
            self.carts[email] = []
            self.checkouts.pop(email, None)
            return order
