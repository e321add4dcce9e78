"""Suppliers come from code: one Supplier row per registered adapter (autoorder.scrapers.ADAPTERS).

``sync`` creates the missing rows and keeps their names in step with the adapters; a row's base URL
starts at the adapter's ``default_base_url`` and can be pointed elsewhere (a replica, a country
site) with ``flask --app app suppliers sync --base-url KEY=URL`` — a later sync keeps it.
"""

from urllib.parse import urlparse

from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import Supplier
from autoorder.scrapers import ADAPTERS


def check_url(url: str) -> None:
    parts = urlparse(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL")


def sync(base_urls: dict[str, str] | None = None) -> dict[str, str]:
    """Create/update the Supplier rows from the registry; return {key: created|updated|unchanged}.
    Commits. Raises ValueError for a base URL of an unknown key or a bad URL."""
    base_urls = dict(base_urls or {})
    unknown = sorted(set(base_urls) - set(ADAPTERS))
    if unknown:
        raise ValueError(f"no adapter named {', '.join(unknown)}; known: {sorted(ADAPTERS)}")
    for url in base_urls.values():
        check_url(url)
    outcome = {}
    rows = {s.key: s for s in db.session.scalars(select(Supplier))}
    for key, adapter in sorted(ADAPTERS.items()):
        row = rows.get(key)
        if row is None:
            url = base_urls.get(key) or adapter.default_base_url
            db.session.add(Supplier(key=key, name=adapter.display_name, base_url=url))
            outcome[key] = "created"
            continue
        before = (row.name, row.base_url)
        row.name = adapter.display_name
        row.base_url = base_urls.get(key) or row.base_url
        outcome[key] = "updated" if (row.name, row.base_url) != before else "unchanged"
    db.session.commit()
    return outcome


def registered_suppliers() -> list[Supplier]:
    """The Supplier rows that have an adapter, creating any that are missing (a bot form must list
    every registered adapter even before the first sync)."""
    rows = db.session.scalars(select(Supplier).where(Supplier.key.in_(ADAPTERS))).all()
    if len(rows) < len(ADAPTERS):
        sync()
        rows = db.session.scalars(select(Supplier).where(Supplier.key.in_(ADAPTERS))).all()
    return sorted(rows, key=lambda s: s.name)
