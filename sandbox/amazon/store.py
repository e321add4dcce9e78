"""The Amazon replica's state, in memory under one lock: accounts (password, authenticator key,
gift-card balance, saved cards), products (ASIN, price, stock, add-on offer), carts, checkouts,
orders with their shipments, and the faults switched on through /sandbox/."""

from __future__ import annotations

import datetime as dt
import random
import threading
from decimal import Decimal

TAX_RATE = Decimal("0.0825")
FREE_SHIPPING_FROM = Decimal("35.00")
SHIPPING = Decimal("5.99")
DEFAULT_DECLINE_CARDS = ("4000000000000002",)
FAULTS = {
    "waf": "the sign-in page is AWS WAF's JavaScript challenge",
    "captcha": "a captcha after the password",
    "code": "a one-time code sent by e-mail/SMS after the password",
    "intent": 'the "keep me signed in" intent confirmation after the password',
    "out_of_stock": "a product (asin) shows Currently unavailable",
    "price_change": "the review page's item price is the product page's times factor",
    "address_suggestion": "Amazon suggests a corrected address after the first submit",
    "declined_card": "every card payment is declined at place-order",
    "sold_out_at_place": "place-order answers that the item is no longer available",
    "split_shipments": "each unit of an order ships as its own shipment",
    "slow_place": "place-order answers only after delay seconds (the order is placed first)",
}


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def seeded_products() -> dict:
    return {
        "B0CHX1W1XY": dict(
            title="Stainless Steel Insulated Water Bottle, 32 oz",
            price="19.99",
            stock=40,
            addon=False,
        ),
        "B07XJ8C8F5": dict(
            title="Wireless Earbuds with Charging Case", price="39.99", stock=12, addon=True
        ),
        "0142437336": dict(
            title="Paperback Classic (ISBN-10)", price="9.49", stock=100, addon=False
        ),
    }


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
            self.products = {
                asin: dict(p, asin=asin, price=money(p["price"]))
                for asin, p in seeded_products().items()
            }
            self.carts: dict[str, list] = {}
            self.checkouts: dict[str, dict] = {}
            self.orders: dict[str, dict] = {}
            self.faults: dict[str, dict] = {}
            self.session_epoch = 0
            self.add_account("buyer@example.com", "replica-password", gift_card_balance="0.00")

    # --- accounts -------------------------------------------------------------------------------
    def add_account(self, email, password, *, totp_secret=None, two_factor=None, **extra) -> dict:
        with self.lock:
            acct = self.accounts.get(email.lower()) or {"cards": []}
            acct.update(
                email=email.lower(),
                password=password,
                totp_secret=totp_secret,
                two_factor=two_factor or ("totp" if totp_secret else None),  # totp | sms | None
                gift_card_balance=money(extra.get("gift_card_balance", "0.00")),
            )
            self.accounts[acct["email"]] = acct
            return acct

    def fault(self, name: str, asin: str | None = None) -> dict | None:
        with self.lock:
            spec = self.faults.get(name)
            if spec is None or (asin and spec.get("asin") not in (None, asin)):
                return None
            return spec

    # --- cart -----------------------------------------------------------------------------------
    def cart(self, email) -> list:
        return self.carts.setdefault(email, [])

    def add_to_cart(self, email, asin, quantity, protection=False) -> None:
        with self.lock:
            lines = self.cart(email)
            for line in lines:
                if line["asin"] == asin:
                    line["quantity"] += quantity
                    return
            item_id = f"C{self.rng.randrange(10**9):09d}"
            lines.append(dict(asin=asin, quantity=quantity, item_id=item_id, protection=protection))

    # --- orders ---------------------------------------------------------------------------------
    def new_order_number(self) -> str:
        return (
            f"11{self.rng.randrange(1, 5)}-{self.rng.randrange(10**7):07d}-"
            f"{self.rng.randrange(10**7):07d}"
        )

    def totals(self, email) -> dict:
        """What the review page shows for the account's cart and checkout."""
        checkout = self.checkouts.get(email, {})
        change = self.fault("price_change")
        factor = Decimal(str(change.get("factor", "1.2"))) if change else Decimal(1)
        items = sum(
            (money(self.products[line["asin"]]["price"] * factor) * line["quantity"])
            for line in self.cart(email)
        )
        items = money(items)
        shipping = Decimal("0.00") if items >= FREE_SHIPPING_FROM else SHIPPING
        tax = money((items + shipping) * TAX_RATE)
        total = items + shipping + tax
        gift = Decimal("0.00")
        if checkout.get("use_gift_card"):
            gift = min(self.accounts[email]["gift_card_balance"], total)
        return dict(
            items=items,
            shipping=shipping,
            before_tax=items + shipping,
            tax=tax,
            gift_card=gift,
            total=total - gift,
            grand_total=total,
        )

    def place(self, email, gift: bool) -> dict:
        with self.lock:
            acct, checkout = self.accounts[email], self.checkouts[email]
            totals = self.totals(email)
            acct["gift_card_balance"] -= totals["gift_card"]
            lines = [dict(line) for line in self.cart(email)]
            for line in lines:
                self.products[line["asin"]]["stock"] -= line["quantity"]
            units = [line["asin"] for line in lines for _ in range(line["quantity"])]
            split = self.fault("split_shipments") and len(units) > 1
            shipments = [[u] for u in units] if split else [units]
            order = dict(
                number=self.new_order_number(),
                email=email,
                placed_at=dt.datetime.now(dt.UTC).isoformat(),
                lines=lines,
                ship_to=dict(checkout["address"]),
                address_choice=checkout.get("address_choice", "entered"),
                payment=checkout["payment"],
                gift=gift,
                status="processing",
                totals={k: str(v) for k, v in totals.items()},
                shipments=[
                    dict(asins=s, status="processing", carrier=None, tracking_number=None)
                    for s in shipments
                ],
            )
            self.orders[order["number"]] = order
            self.carts[email] = []
            self.checkouts.pop(email, None)
            return order
