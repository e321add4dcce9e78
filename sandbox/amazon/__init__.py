"""A local replica of amazon.com for tests and demos (never imports ``autoorder``).

It serves the real saved amazon.com sign-in pages (``pages/``, MIT: ``pages/LICENSE``) and answers
their forms, and replicates the product, add-on offer, cart, address (with the suggestion dialog),
payment (cards, gift-card balance), review, thank-you, order-history, order-details and ship-track
pages at Amazon's paths in Amazon's markup, with faults switched on through ``/sandbox/``. See
README.md.
"""

from .app import create_app

__all__ = ["create_app"]
