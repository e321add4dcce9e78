"""In-memory, thread-safe state of the demo shop. Deterministic given a seed."""

from __future__ import annotations

import copy
import datetime as dt
import random
import threading

from . import ordering, pricing, seed_data, tracking
from .errors import ShopError

DEFAULT_DECLINE_CARDS = ("4000000000000002",)
FAULT_NAMES = (
    "out_of_stock",
    "price_raise",
    "upsell",
    "slow",
    "alternate_layout",
    "flaky",
    "no_order_note",
)


CAPTCHA_MIN, CAPTCHA_MAX = 90, 300  # the slider puzzle's gap lies this far along its track (px)


def variant_label(variant: dict) -> str:
    return " / ".join(variant["options"].values()) or "Standard"


class Store:
    def __init__(self, seed: int = 0, decline_cards=DEFAULT_DECLINE_CARDS):
        self.lock = threading.RLock()
        self.decline_cards = tuple(decline_cards)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        with self.lock:
            self.seed = self.seed if seed is None else int(seed)
            self.rng_orders = random.Random(f"{self.seed}:orders")
            self.rng_tracking = random.Random(f"{self.seed}:tracking")
            self.rng_otp = random.Random(f"{self.seed}:otp")
            self.rng_flaky = random.Random(f"{self.seed}:flaky")
            self.rng_captcha = random.Random(f"{self.seed}:captcha")
            self.order_seq = self.rng_orders.randint(120, 480)
            self.products = {p["slug"]: copy.deepcopy(p) for p in seed_data.PRODUCTS}
            self.variant_index = {
                v["id"]: slug for slug, p in self.products.items() for v in p["variants"]
            }
            self.accounts: dict[str, dict] = {}
            for acct in seed_data.ACCOUNTS:
                self.create_account(**acct)
            self.orders: dict[str, dict] = {}
            self.carts: dict[str, list[dict]] = {}
            self.checkouts: dict[str, dict] = {}
            self.faults: dict[str, dict] = {}
            self.flaky_counter = 0

    # ----------------------------------------------------------------- accounts
    def create_account(
        self,
        email,
        password,
        gift_card_balance=0,
        two_factor=False,
        captcha=False,
        totp_secret=None,
    ) -> dict:
        email = str(email).strip().lower()
        if "@" not in email or not password:
            raise ValueError("email and password are required")
        with self.lock:
            acct = {
                "email": email,
                "password": str(password),
                "gift_card_balance": int(gift_card_balance),
                "two_factor": bool(two_factor),
                "captcha": bool(captcha),
                "otp": None,
                # an authenticator key (base32): the 2FA page then takes its TOTP code instead
                "totp_secret": totp_secret or None,
                "epoch": 1,
            }
            self.accounts[email] = acct
            return acct

    def account(self, email: str | None) -> dict | None:
        with self.lock:
            return self.accounts.get((email or "").strip().lower())

    def update_account(self, email: str, **changes) -> dict:
        with self.lock:
            acct = self.account(email)
            if acct is None:
                raise KeyError(email)
            for key in ("two_factor", "captcha"):
                if key in changes:
                    acct[key] = bool(changes[key])
            if "totp_secret" in changes:
                acct["totp_secret"] = changes["totp_secret"] or None
            if "gift_card_balance" in changes:
                acct["gift_card_balance"] = int(changes["gift_card_balance"])
            if changes.get("password"):
                acct["password"] = str(changes["password"])
                acct["epoch"] += 1
            if changes.get("expire_sessions"):
                acct["epoch"] += 1
            return acct

    def authenticate(self, email: str, password: str) -> dict | None:
        acct = self.account(email)
        return acct if acct is not None and acct["password"] == password else None

    def captcha_target(self) -> int:
        """Where the next slider puzzle's gap is (pixels from the left of the track)."""
        with self.lock:
            return self.rng_captcha.randrange(CAPTCHA_MIN, CAPTCHA_MAX)

    def issue_otp(self, email: str) -> str:
        with self.lock:
            acct = self.accounts[email]
            acct["otp"] = f"{self.rng_otp.randrange(1_000_000):06d}"
            return acct["otp"]

    # ----------------------------------------------------------------- catalogue
    def product(self, slug: str) -> dict | None:
        return self.products.get(slug)

    def find_variant(self, variant_id: str) -> tuple[dict, dict] | tuple[None, None]:
        slug = self.variant_index.get(variant_id or "")
        if slug is None:
            return None, None
        product = self.products[slug]
        return product, next(v for v in product["variants"] if v["id"] == variant_id)

    def stock(self, product: dict, variant: dict) -> int:
        return 0 if self.fault("out_of_stock", [product["slug"]]) is not None else variant["stock"]

    def checkout_price(self, product: dict, variant: dict) -> int:
        raise_ = self.fault("price_raise", [product["slug"]])
        return (
            pricing.scale(variant["price"], raise_.get("factor", 1.25))
            if raise_ is not None
            else variant["price"]
        )

    def _variants(self, slug: str, variant_id: str | None) -> list[dict]:
        product = self.products.get(slug)
        if product is None:
            raise KeyError(slug)
        chosen = [v for v in product["variants"] if variant_id in (None, v["id"])]
        if not chosen:
            raise KeyError(variant_id)
        return chosen

    def set_stock(self, slug: str, stock: int, variant_id: str | None = None) -> None:
        with self.lock:
            for v in self._variants(slug, variant_id):
                v["stock"] = max(0, int(stock))

    def set_price(self, slug: str, price: int, variant_id: str | None = None) -> None:
        with self.lock:
            for v in self._variants(slug, variant_id):
                v["price"] = int(price)

    # ----------------------------------------------------------------- faults
    def set_fault(
        self, name: str, params: dict | None = None, products: list[str] | None = None
    ) -> dict:
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}; expected one of {', '.join(FAULT_NAMES)}")
        unknown = [s for s in products or [] if s not in self.products]
        if unknown:
            raise ValueError(f"unknown product(s): {', '.join(unknown)}")
        with self.lock:
            entry = dict(params or {}, products=list(products) if products else None)
            self.faults[name] = entry
            if name == "flaky":
                self.flaky_counter = 0
            return entry

    def clear_faults(self, name: str | None = None) -> None:
        with self.lock:
            if name is None:
                self.faults.clear()
            else:
                self.faults.pop(name, None)

    def fault(self, name: str, slugs=()) -> dict | None:
        """Params of an active fault that applies globally or to any of slugs, else None."""
        with self.lock:
            entry = self.faults.get(name)
            if entry is None:
                return None
            if entry["products"] is None or set(entry["products"]) & set(slugs):
                return entry
            return None

    def tick_flaky(self, slugs) -> bool:
        """Count one checkout-step request; True when this one must fail."""
        with self.lock:
            entry = self.fault("flaky", slugs)
            if entry is None:
                return False
            self.flaky_counter += 1
            if "probability" in entry:
                return self.rng_flaky.random() < float(entry["probability"])
            return self.flaky_counter % max(1, int(entry.get("every", 3))) == 0

    # ----------------------------------------------------------------- cart
    def cart_lines(self, email: str, checkout: bool = False) -> list[dict]:
        with self.lock:
            lines = []
            for item in self.carts.get(email, []):
                product, variant = self.find_variant(item["variant_id"])
                unit = self.checkout_price(product, variant) if checkout else variant["price"]
                lines.append(
                    {
                        "product": product,
                        "variant": variant,
                        "variant_id": variant["id"],
                        "label": variant_label(variant),
                        "quantity": item["quantity"],
                        "listed_price": variant["price"],
                        "added_price": item["added_price"],
                        "unit_price": unit,
                        "line_total": unit * item["quantity"],
                        "stock": self.stock(product, variant),
                    }
                )
            return lines

    def cart_slugs(self, email: str | None) -> list[str]:
        with self.lock:
            return [self.variant_index[i["variant_id"]] for i in self.carts.get(email or "", [])]

    def add_to_cart(self, email: str, variant_id: str, quantity: int) -> None:
        with self.lock:
            product, variant = self.find_variant(variant_id)
            if product is None:
                raise ShopError("variant", "Please select the product options (color, size) first.")
            if quantity < 1 or quantity > 99:
                raise ShopError("quantity", "Quantity must be between 1 and 99.")
            cart = self.carts.setdefault(email, [])
            line = next((i for i in cart if i["variant_id"] == variant_id), None)
            stock = self.stock(product, variant)
            wanted = quantity + (line["quantity"] if line else 0)
            if stock == 0:
                raise ShopError("out_of_stock", "Sorry, this item is out of stock.")
            if wanted > stock:
                raise ShopError("quantity", f"Only {stock} available. Please reduce the quantity.")
            if line:
                line["quantity"] = wanted
            else:
                cart.append(
                    {
                        "variant_id": variant_id,
                        "quantity": quantity,
                        "added_price": variant["price"],
                    }
                )
            self.checkouts.get(email, {}).pop("upsell", None)

    def set_cart_quantity(self, email: str, variant_id: str, quantity: int) -> None:
        with self.lock:
            cart = self.carts.get(email, [])
            if quantity <= 0:
                cart[:] = [i for i in cart if i["variant_id"] != variant_id]
                return
            for item in cart:
                if item["variant_id"] == variant_id:
                    product, variant = self.find_variant(variant_id)
                    if quantity > self.stock(product, variant):
                        raise ShopError(
                            "quantity", f"Only {self.stock(product, variant)} available."
                        )
                    item["quantity"] = min(quantity, 99)

    def clear_cart(self, email: str) -> None:
        with self.lock:
            self.carts.pop(email, None)

    # ----------------------------------------------------------------- checkout & orders
    def checkout(self, email: str) -> dict:
        with self.lock:
            return dict(self.checkouts.get(email, {}))

    def update_checkout(self, email: str, **changes) -> None:
        with self.lock:
            self.checkouts.setdefault(email, {}).update(changes)

    def quote(self, email: str) -> dict:
        with self.lock:
            state = self.checkouts.get(email, {})
            lines = self.cart_lines(email, checkout=True)
            sums = pricing.totals(lines, state.get("address"), state.get("upsell") == "accept")
            return {"lines": lines, **sums}

    def place_order(self, email: str, note: str) -> dict:
        with self.lock:
            return ordering.place_order(self, email, note)

    def order(self, number: str) -> dict | None:
        return self.orders.get(number)

    def orders_for(self, email: str) -> list[dict]:
        with self.lock:
            return sorted(
                (o for o in self.orders.values() if o["account_email"] == email),
                key=lambda o: (o["placed_at"], o["number"]),
                reverse=True,
            )

    def ship(self, number: str, carrier=None, tracking_number=None, fmt=None) -> dict:
        with self.lock:
            order = self.orders[number]
            if tracking_number:
                fmt = fmt or tracking.identify(tracking_number)
                carrier = carrier or tracking.CARRIERS.get(fmt or "", "Standard Shipping")
            else:
                fmt = fmt or self.rng_tracking.choice(tracking.FORMATS)
                tracking_number = tracking.generate(fmt, self.rng_tracking)
                carrier = carrier or tracking.CARRIERS[fmt]
            order.update(
                status="shipped",
                carrier=carrier,
                tracking_number=tracking_number,
                tracking_url=tracking.tracking_url(fmt, tracking_number),
                shipped_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
            return order

    def ship_packages(self, number: str, packages: list[dict]) -> dict:
        """Ship an order in several packages, each with its own number, carrier, status
        (shipped | delivered | returned), the variant ids it holds and, when given, how many units
        of each (a split shipment). A later call replaces the list: a package shipped days after the
        first is a second call listing both."""
        with self.lock:
            order = self.orders[number]
            made = []
            for spec in packages:
                tracking_number, fmt = spec.get("tracking_number"), spec.get("format")
                if tracking_number:
                    fmt = fmt or tracking.identify(tracking_number)
                else:
                    fmt = fmt or self.rng_tracking.choice(tracking.FORMATS)
                    tracking_number = tracking.generate(fmt, self.rng_tracking)
                carrier = spec.get("carrier") or tracking.CARRIERS.get(
                    fmt or "", "Standard Shipping"
                )
                made.append(
                    {
                        "tracking_number": tracking_number,
                        "carrier": carrier,
                        "status": spec.get("status") or "shipped",
                        "variant_ids": list(spec.get("variant_ids") or []),
                        "quantities": list(spec.get("quantities") or []),
                        "tracking_url": tracking.tracking_url(fmt, tracking_number),
                    }
                )
            statuses = {p["status"] for p in made}
            status = statuses.pop() if len(statuses) == 1 and made else "shipped"
            order.update(
                status=status if status in ("delivered", "returned") else "shipped",
                packages=made,
                carrier=made[0]["carrier"] if made else None,
                tracking_number=made[0]["tracking_number"] if made else None,
                tracking_url=made[0]["tracking_url"] if made else None,
                shipped_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
            return order

    def cancel(self, number: str) -> dict:
        with self.lock:
            order = self.orders[number]
            order["status"] = "cancelled"
            return order
