"""Start the Walmart replica as a subprocess for tests and demos (like sandbox/shop/testing.py).

from sandbox.walmart.testing import start_walmart
walmart = start_walmart(seed=3)          # a free port; waits until /sandbox/health answers
walmart.url                             # "http://127.0.0.1:PORT" (point the Walmart supplier here)
walmart.control("POST", "/sandbox/faults", {"name": "press_hold"})
walmart.stop()
"""

from __future__ import annotations

import os
import sys

from sandbox.shop.testing import ShopServer, ShopStartError, start_shop

__all__ = ["WalmartServer", "ShopStartError", "start_walmart"]

WalmartServer = ShopServer  # the same handle: url, control(), reset(), log_tail(), stop()


def start_walmart(
    seed: int = 0,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    log_path: str | os.PathLike | None = None,
    timeout: float = 20.0,
    extra_args=("--quiet",),
    python: str = sys.executable,
    attempts: int = 3,
) -> ShopServer:
    """Start ``python -m sandbox.walmart`` on a free port (or ``port``) and wait until it
    answers."""
    return start_shop(
        seed,
        port=port,
        host=host,
        log_path=log_path,
        timeout=timeout,
        extra_args=tuple(extra_args),
        python=python,
        attempts=attempts,
        module="sandbox.walmart",
    )
