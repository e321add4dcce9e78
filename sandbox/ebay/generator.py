"""Random sales for the demo: every N seconds, one order from a catalogue, with a seeded random
buyer."""

from __future__ import annotations

import threading

from sandbox.ebay.people import random_buyer

DEFAULT_CATALOG = [
    {
        "sku": "DEMO-MUG-01",
        "legacyItemId": "325400100001",
        "title": "Ceramic Coffee Mug 12oz",
        "price": "14.99",
    },
    {
        "sku": "DEMO-TEE-01",
        "legacyItemId": "325400100002",
        "legacyVariationId": "620000000201",
        "title": "Cotton T-Shirt",
        "price": "19.95",
        "variationAspects": [{"name": "Size", "value": "L"}, {"name": "Color", "value": "Navy"}],
    },
    {
        "sku": "DEMO-LAMP-01",
        "legacyItemId": "325400100003",
        "title": "LED Desk Lamp with USB Port",
        "price": "32.50",
    },
    {
        "sku": "DEMO-BOTTLE-01",
        "legacyItemId": "325400100004",
        "title": "Insulated Water Bottle 750ml",
        "price": "24.00",
    },
]
ITEM_KEYS = (
    "sku",
    "legacyItemId",
    "legacyVariationId",
    "title",
    "price",
    "variationAspects",
    "shippingCost",
)


class GeneratorError(ValueError):
    pass


def check_catalog(catalog) -> list[dict]:
    if not isinstance(catalog, list) or not catalog:
        raise GeneratorError("catalog must be a non-empty list")
    for item in catalog:
        if (
            not isinstance(item, dict)
            or "price" not in item
            or not (item.get("sku") or item.get("legacyItemId"))
        ):
            raise GeneratorError("each catalog item needs price and sku and/or legacyItemId")
    return [{k: item[k] for k in ITEM_KEYS if k in item} for item in catalog]


class SaleGenerator:
    def __init__(self, state):
        self.state = state
        self.catalog = list(DEFAULT_CATALOG)
        self.every: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def random_sale(self) -> dict:
        rng = self.state.generator_rng
        item = dict(rng.choice(self.catalog))
        item["quantity"] = 1 if rng.random() < 0.8 else 2
        item["buyer"] = random_buyer(rng)
        return item

    def generate(self, count: int = 1) -> list[str]:
        """Create ``count`` random sales now. Returns their order ids."""
        state = self.state
        with state.lock:
            return [
                state.orders.create(self.random_sale(), state.now()).order_id for _ in range(count)
            ]

    def start(self, every: float, catalog: list[dict] | None = None) -> None:
        if every <= 0:
            raise GeneratorError("every must be > 0 seconds")
        self.stop()
        if catalog is not None:
            self.catalog = check_catalog(catalog)
        self.every = float(every)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(self._stop, self.every), name="ebay-sandbox-sales", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        self.every = None

    def _run(self, stop: threading.Event, every: float) -> None:
        while not stop.wait(every):
            self.generate(1)

    def status(self) -> dict:
        return {"running": self._thread is not None, "every": self.every, "catalog": self.catalog}
