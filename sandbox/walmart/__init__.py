"""A local replica of walmart.com for tests and benchmarks (never imports ``autoorder``).

Walmart's paths (``/account/login``, ``/ip/<slug>/<itemId>``, ``/cart``, ``/checkout``,
``/orders``, ``/orders/<id>``, ``/blocked``), its ``data-automation-id`` markup and its pages' data
as ``__NEXT_DATA__`` JSON, as public code describes them (no saved real Walmart page exists
publicly), with faults switched on through ``/sandbox/``. See README.md.
"""

from .app import create_app

__all__ = ["create_app"]
