"""Local emulator of eBay's Sell Fulfillment API, eBay OAuth included, for tests and demos.

It is not part of the ``autoorder`` package and never imports it. Start it with
``python -m sandbox.ebay --port 8765``, or in-process with :func:`sandbox.ebay.app.create_app`.
"""

from sandbox.ebay.app import create_app

__all__ = ["create_app"]
