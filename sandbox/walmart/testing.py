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
import tempfile
from pathlib import Path

from sandbox.shop import testing as shop_testing
from sandbox.shop.testing import ShopServer, ShopStartError

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
    """Start ``python -m sandbox.walmart`` on a free port (or ``port``) and wait until it answers."""
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="sandbox-walmart-", suffix=".log")
        os.close(fd)
        log_path = name
    last = None
    for _ in range(attempts if port is None else 1):
        try:
            return shop_testing._launch(
                seed,
                host,
                port or shop_testing.free_port(host),
                Path(log_path),
                tuple(extra_args),
                None,
                python,
                timeout,
                module="sandbox.walmart",
            )
        except ShopStartError as exc:
            last = exc
    raise last
