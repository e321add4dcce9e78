"""The AliExpress replica's state: accounts, stores, items with SKUs, carts, addresses, orders.

In memory behind one lock; everything random (order numbers, tracking numbers, codes) comes from a
``random.Random`` seeded with ``--seed``. Never imports ``autoorder``; tracking-number formats are
shared with the demo shop (``sandbox.shop.tracking``).
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import random
import threading
from decimal import ROUND_HALF_UP, Decimal

from sandbox.shop import tracking as numbers

CENT = Decimal("0.01")
DECLINED_CARDS = ("4000000000000002",)
PASSWORD = "ali-password"

# AliExpress's order statuses as its public order API names them (shown as the list's text).
STATUS_TEXT = {
    "WAIT_SELLER_SEND_GOODS": "Awaiting shipment",
    "SELLER_PART_SEND_GOODS": "Partially shipped",
    "WAIT_BUYER_ACCEPT_GOODS": "Awaiting delivery",
    "FINISH": "Completed",
    "CLOSED": "Closed",
}
PACKAGE_TEXT = {"shipped": "In transit", "delivered": "Delivered", "returned": "Returned to sender"}
CARRIERS = {**numbers.CARRIERS, "yanwen": "Yanwen"}
GENERATORS = dict(numbers.GENERATORS)
GENERATORS["yanwen"] = lambda rng: "UG" + "".join(str(rng.randrange(10)) for _ in range(9)) + "YP"

STORES = {
    "1101": "NovaGadget Official Store",
    "2202": "Lumen Home Store",
}
# Shipping services: key -> (display name, delivery days); price per item below.
SERVICES = {
    "CAINIAO_ECONOMY": ("Cainiao Super Economy Global", 28),
    "CAINIAO_STANDARD": ("AliExpress Standard Shipping", 12),
    "AE_PREMIUM": ("AliExpress Premium Shipping", 6),
    "SELLER_US": ("Seller's Shipping Method - US", 5),
}
COLOR, SIZE, SHIPS_FROM = "14", "5", "200007763"


def _item(item_id, title, store, properties, skus, shipping):
    """properties: [(prop id, name, [(value id, value name)])]; skus: {path: (price, stock)}."""
    sku_map = {}
    for n, (path, (price, stock)) in enumerate(skus.items()):
        sku_map[str(12000040000000000 + int(item_id[-4:]) * 100 + n)] = {
            "path": path,
            "price": Decimal(price),
            "stock": stock,
        }
    return {
        "id": item_id,
        "title": title,
        "store_id": store,
        "properties": properties,
        "skus": sku_map,
        "shipping": {k: Decimal(v) for k, v in shipping.items()},
    }


def seed_items() -> dict:
    colors_case = [("193", "Black"), ("29", "Clear"), ("173", "Navy Blue")]
    ships = [("201336100", "China"), ("201336106", "United States")]
    case_skus = {}
    for cid, cname in colors_case:
        for sid, _ in ships:
            us = sid == "201336106"
            stock = 0 if (cname == "Navy Blue" and us) else (40 if us else 500)
            case_skus[f"{COLOR}:{cid};{SHIPS_FROM}:{sid}"] = ("4.59" if us else "2.89", stock)
    tee_skus = {}
    for cid, _ in [("193", "Black"), ("29", "White")]:
        for zid, zname in [("100014064", "S"), ("361386", "M"), ("361385", "L"), ("4182", "XL")]:
            stock = 0 if (cid == "29" and zname == "XL") else 80
            tee_skus[f"{COLOR}:{cid};{SIZE}:{zid}"] = ("7.49" if zname == "XL" else "6.99", stock)
    items = [
        _item(
            "1005007182736451",
            "Shockproof Clear Case for iPhone 15 Pro Max Soft TPU Bumper Cover",
            "1101",
            [(COLOR, "Color", colors_case), (SHIPS_FROM, "Ships From", ships)],
            case_skus,
            {"CAINIAO_ECONOMY": "0.00", "CAINIAO_STANDARD": "1.99", "AE_PREMIUM": "7.49"},
        ),
        _item(
            "1005006539912877",
            "Men's Heavyweight Cotton T-Shirt Oversized Summer Tee",
            "1101",
            [
                (COLOR, "Color", [("193", "Black"), ("29", "White")]),
                (
                    SIZE,
                    "Size",
                    [("100014064", "S"), ("361386", "M"), ("361385", "L"), ("4182", "XL")],
                ),
            ],
            tee_skus,
            {"CAINIAO_ECONOMY": "0.99", "CAINIAO_STANDARD": "2.49", "AE_PREMIUM": "8.99"},
        ),
        _item(
            "1005005912340012",
            "Dimmable LED Desk Lamp with USB Charging Port",
            "2202",
            [],
            {"": ("15.80", 35)},
            {"CAINIAO_STANDARD": "3.99", "AE_PREMIUM": "9.99", "SELLER_US": "5.49"},
        ),
        _item(
            "1005004455667788",
            "Silicone Sport Watch Band 41mm",
            "2202",
            [(COLOR, "Color", [("193", "Black"), ("10", "Red")])],
            {f"{COLOR}:193": ("1.99", 300), f"{COLOR}:10": ("1.99", 300)},
            {"CAINIAO_ECONOMY": "0.00", "CAINIAO_STANDARD": "1.49"},
        ),
    ]
    return {i["id"]: i for i in items}


def seed_accounts() -> dict:
    def account(email, challenge=None, balance="200.00"):
        return {
            "email": email,
            "password": PASSWORD,
            "challenge": challenge,  # None | slider | code | blocked
            "balance": Decimal(balance),
            "epoch": 1,
            "code": None,
        }

    return {
        a["email"]: a
        for a in (
            account("buyer@ali.test"),
            account("slider@ali.test", "slider"),
            account("code@ali.test", "code"),
            account("blocked@ali.test", "blocked"),
            account("poor@ali.test", balance="3.00"),
        )
    }


# Sales tax AliExpress collects for US states ("Additional charges"), in percent.
TAX = {"TX": "8.25", "CA": "7.25", "NY": "8.0", "WA": "6.5", "FL": "6.0"}
NO_TAX = ("OR", "MT", "NH", "DE")


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Store:
    def __init__(self, seed: int = 0, decline_cards=DECLINED_CARDS):
        self.lock = threading.RLock()
        self.decline_cards = tuple(decline_cards)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        with self.lock:
            self.seed = self.seed if seed is None else seed
            self.rng = random.Random(self.seed)
            self.accounts = seed_accounts()
            self.items = seed_items()
            self.carts: dict[str, list] = {}
            self.addresses: dict[str, list] = {}
            self.choices: dict[str, dict] = {}  # per account: address id, service per store
            self.orders: dict[str, dict] = {}
            self.faults: dict[str, dict] = {}
            self.seen: collections.deque = collections.deque(maxlen=500)  # "POST /p/trade/place"
            self.next_id = 1

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    # --- catalogue ------------------------------------------------------------------------------
    def sku_label(self, item: dict, sku_id: str) -> str:
        """The SKU as AliExpress shows it on orders: "Color: Black, Ships From: United States"."""
        path = item["skus"][sku_id]["path"]
        names = {
            (p, v): (pname, vname) for p, pname, vals in item["properties"] for v, vname in vals
        }
        parts = []
        for segment in filter(None, path.split(";")):
            prop, value = segment.split(":")
            pname, vname = names[(prop, value)]
            parts.append(f"{pname}: {vname}")
        return ", ".join(parts)

    def price(self, item: dict, sku_id: str) -> Decimal:
        fault = self.faults.get("price_raise")
        price = item["skus"][sku_id]["price"]
        return money(price * Decimal(str(fault.get("factor", 1.25)))) if fault else price

    # --- cart -----------------------------------------------------------------------------------
    def add_to_cart(self, email: str, item_id: str, sku_id: str, quantity: int) -> dict:
        with self.lock:
            item = self.items[item_id]
            sku = item["skus"][sku_id]
            if sku["stock"] < quantity or "out_of_stock" in self.faults:
                raise ValueError("Sorry, this item is out of stock.")
            cart = self.carts.setdefault(email, [])
            for line in cart:
                if line["item_id"] == item_id and line["sku_id"] == sku_id:
                    line["quantity"] += quantity
                    return line
            line = {"cart_id": str(self.new_id()), "item_id": item_id, "sku_id": sku_id}
            line["quantity"] = quantity
            cart.append(line)
            return line

    def cart_lines(self, email: str, ids=None) -> list[dict]:
        with self.lock:
            lines = self.carts.get(email, [])
            return [dict(line) for line in lines if ids is None or line["cart_id"] in ids]

    def delete_cart_lines(self, email: str, ids) -> None:
        with self.lock:
            self.carts[email] = [c for c in self.carts.get(email, []) if c["cart_id"] not in ids]

    # --- checkout -------------------------------------------------------------------------------
    def add_address(self, email: str, address: dict) -> dict:
        with self.lock:
            address = dict(address, id=str(self.new_id()))
            self.addresses.setdefault(email, []).append(address)
            self.choices.setdefault(email, {})["address"] = address["id"]
            return address

    def chosen_address(self, email: str) -> dict | None:
        with self.lock:
            chosen = self.choices.get(email, {}).get("address")
            return next((a for a in self.addresses.get(email, []) if a["id"] == chosen), None)

    def service_for(self, email: str, item: dict) -> str:
        chosen = self.choices.get(email, {}).get("services", {}).get(item["id"])
        if chosen in item["shipping"]:
            return chosen
        # the page preselects AliExpress Standard Shipping where the seller offers it
        return (
            "CAINIAO_STANDARD"
            if "CAINIAO_STANDARD" in item["shipping"]
            else next(iter(item["shipping"]))
        )

    def choose_service(self, email: str, item_id: str, service: str) -> None:
        with self.lock:
            if service not in self.items[item_id]["shipping"]:
                raise ValueError(f"{service} does not ship this item")
            self.choices.setdefault(email, {}).setdefault("services", {})[item_id] = service

    def summary(self, email: str, lines: list[dict]) -> dict:
        """The confirm page: lines grouped by store with their shipping, and the totals."""
        address = self.chosen_address(email)
        groups: dict[str, dict] = {}
        for line in lines:
            item = self.items[line["item_id"]]
            group = groups.setdefault(
                item["store_id"],
                {"store_id": item["store_id"], "store": STORES[item["store_id"]], "lines": []},
            )
            service = self.service_for(email, item)
            unit = self.price(item, line["sku_id"])
            group["lines"].append(
                {
                    **line,
                    "item": item,
                    "sku_label": self.sku_label(item, line["sku_id"]),
                    "unit": unit,
                    "total": money(unit * line["quantity"]),
                    "service": service,
                    "services": [
                        (k, SERVICES[k][0], price, SERVICES[k][1])
                        for k, price in sorted(item["shipping"].items(), key=lambda kv: kv[1])
                    ],
                    "freight": money(item["shipping"][service] * line["quantity"]),
                }
            )
        subtotal = money(
            sum((ln["total"] for g in groups.values() for ln in g["lines"]), Decimal())
        )
        shipping = money(
            sum((ln["freight"] for g in groups.values() for ln in g["lines"]), Decimal())
        )
        rate = Decimal("0")
        if address and address["country"] == "US" and address["state_code"] not in NO_TAX:
            rate = Decimal(TAX.get(address["state_code"], "6.0"))
        tax = money((subtotal + shipping) * rate / 100)
        return {
            "groups": list(groups.values()),
            "address": address,
            "subtotal": subtotal,
            "shipping": shipping,
            "tax": tax,
            "total": money(subtotal + shipping + tax),
        }

    def place(self, email: str, cart_ids, payment: dict, notes: dict) -> list[str]:
        """Create one order per store (or per piece with the ``split_order`` fault); empty those
        cart lines. Raises ValueError with the page's message when refused."""
        with self.lock:
            lines = self.cart_lines(email, cart_ids)
            if not lines:
                raise ValueError("Your items are no longer in your cart.")
            summary = self.summary(email, lines)
            if summary["address"] is None:
                raise ValueError("Please add a shipping address.")
            for group in summary["groups"]:
                for line in group["lines"]:
                    sku = line["item"]["skus"][line["sku_id"]]
                    if sku["stock"] < line["quantity"] or "out_of_stock" in self.faults:
                        raise ValueError(f"{line['item']['title']} is out of stock.")
            account = self.accounts[email]
            if payment["method"] == "balance":
                if account["balance"] < summary["total"]:
                    raise ValueError("Your AliExpress balance is not enough for this order.")
                account["balance"] -= summary["total"]
            elif payment.get("card_number") in self.decline_cards:
                raise ValueError("Payment failed. Your card was declined by the issuing bank.")
            placed = []
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            for group in summary["groups"]:
                pieces = [group["lines"]]
                if "split_order" in self.faults:
                    pieces = [
                        [dict(line, quantity=1)]
                        for line in group["lines"]
                        for _ in range(line["quantity"])
                    ]
                for piece in pieces:
                    placed.append(self._order(email, group, piece, summary, payment, notes, now))
            for group in summary["groups"]:
                for line in group["lines"]:
                    line["item"]["skus"][line["sku_id"]]["stock"] -= line["quantity"]
            self.delete_cart_lines(email, {line["cart_id"] for line in lines})
            return placed

    def _order(self, email, group, lines, summary, payment, notes, now) -> str:
        number = "81" + "".join(str(self.rng.randrange(10)) for _ in range(14))
        items = [
            {
                "item_id": ln["item_id"],
                "title": ln["item"]["title"],
                "sku_id": ln["sku_id"],
                "sku_label": ln["sku_label"],
                "quantity": ln["quantity"],
                "unit_price": str(ln["unit"]),
                "service": ln["service"],
                "freight": str(money(ln["item"]["shipping"][ln["service"]] * ln["quantity"])),
            }
            for ln in lines
        ]
        subtotal = money(sum((Decimal(i["unit_price"]) * i["quantity"] for i in items), Decimal()))
        shipping = money(sum((Decimal(i["freight"]) for i in items), Decimal()))
        rate = Decimal("0")
        if summary["tax"] and (summary["subtotal"] + summary["shipping"]):
            rate = summary["tax"] / (summary["subtotal"] + summary["shipping"])
        tax = money((subtotal + shipping) * rate)
        self.orders[number] = {
            "number": number,
            "account_email": email,
            "status": "WAIT_SELLER_SEND_GOODS",
            "placed_at": now.isoformat(),
            "store_id": group["store_id"],
            "store": group["store"],
            "items": items,
            "ship_to": {k: v for k, v in summary["address"].items() if k != "id"},
            "payment_method": payment["method"],
            "card_last4": (payment.get("card_number") or "")[-4:] or None,
            "subtotal": str(subtotal),
            "shipping": str(shipping),
            "tax": str(tax),
            "total": str(money(subtotal + shipping + tax)),
            "note": notes.get(group["store_id"], ""),
            "packages": [],
        }
        return number

    # --- after the sale -------------------------------------------------------------------------
    def ship(self, number: str, packages: list[dict]) -> dict:
        """Add packages: each {format | tracking_number, carrier, status, sku_ids}."""
        with self.lock:
            order = self.orders[number]
            for spec in packages:
                fmt = spec.get("format") or self.rng.choice(sorted(GENERATORS))
                if fmt not in GENERATORS:
                    raise ValueError(f"unknown format {fmt!r}; use one of {sorted(GENERATORS)}")
                tracking_number = spec.get("tracking_number") or GENERATORS[fmt](self.rng)
                status = spec.get("status", "shipped")
                if status not in PACKAGE_TEXT:
                    raise ValueError(f"unknown package status {status!r}")
                order["packages"].append(
                    {
                        "tracking_number": tracking_number,
                        "carrier": spec.get("carrier") or CARRIERS.get(fmt, fmt),
                        "status": status,
                        "sku_ids": list(spec.get("sku_ids") or []),
                        "shipped_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                    }
                )
            self._settle(order)
            return copy.deepcopy(order)

    def _settle(self, order: dict) -> None:
        packs = order["packages"]
        if order["status"] == "CLOSED" or not packs:
            return
        shipped_skus = {s for p in packs for s in p["sku_ids"]}
        partial = all(p["sku_ids"] for p in packs) and shipped_skus < {
            i["sku_id"] for i in order["items"]
        }
        if all(p["status"] == "delivered" for p in packs) and not partial:
            order["status"] = "FINISH"
        else:
            order["status"] = "SELLER_PART_SEND_GOODS" if partial else "WAIT_BUYER_ACCEPT_GOODS"

    def cancel(self, number: str) -> dict:
        with self.lock:
            self.orders[number]["status"] = "CLOSED"
            return copy.deepcopy(self.orders[number])
