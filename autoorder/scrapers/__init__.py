"""Supplier adapters, chosen through an explicit registry keyed by Supplier.key."""

from autoorder.scrapers.aliexpress import AliexpressAdapter
from autoorder.scrapers.amazon import AmazonAdapter
from autoorder.scrapers.base import SupplierAdapter, UnknownSupplierError
from autoorder.scrapers.demo_shop import DemoShopAdapter
from autoorder.scrapers.walmart import WalmartAdapter

ADAPTERS: dict[str, type[SupplierAdapter]] = {
    A.key: A for A in (DemoShopAdapter, AliexpressAdapter, AmazonAdapter, WalmartAdapter)
}


def get_adapter(key: str, base_url: str, selector_override: dict | None = None) -> SupplierAdapter:
    """Return the adapter for a supplier key (with the supplier's selector override, if any);
    raise UnknownSupplierError."""
    try:
        return ADAPTERS[key](base_url, selector_override)
    except KeyError:
        raise UnknownSupplierError(
            f"no supplier adapter named {key!r}; known: {sorted(ADAPTERS)}"
        ) from None
