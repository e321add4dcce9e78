"""A local replica of AliExpress (sandbox/aliexpress/README.md); never imports autoorder."""

from .app import create_app

__all__ = ["create_app"]
