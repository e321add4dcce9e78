"""Start the AliExpress replica as a subprocess for tests, benchmarks and demos.

    from sandbox.aliexpress.testing import start_aliexpress
    ali = start_aliexpress(seed=3)       # a free port; waits until /sandbox/health answers
    ali.url                              # "http://127.0.0.1:PORT"
    ali.control("POST", "/sandbox/faults", {"name": "popup"})
    ali.stop()

The server handle is the demo shop's (``sandbox.shop.testing.ShopServer``: ``control``,
``reset``, ``log_tail``, ``stop``, context manager).
"""

from __future__ import annotations

import os

from sandbox.shop.testing import ShopServer, ShopStartError, start_shop

__all__ = ["ShopServer", "ShopStartError", "start_aliexpress"]


def start_aliexpress(
    seed: int = 0,
    *,
    log_path: str | os.PathLike | None = None,
    timeout: float = 20.0,
    extra_args: tuple[str, ...] | list[str] = ("--quiet",),
) -> ShopServer:
    """Start ``python -m sandbox.aliexpress`` on a free port and wait until it answers."""
    return start_shop(
        seed,
        log_path=log_path,
        timeout=timeout,
        extra_args=tuple(extra_args),
        module="sandbox.aliexpress",
    )
