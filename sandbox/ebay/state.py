"""All mutable state of one emulator instance, behind one lock."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from sandbox.ebay.clock import Clock
from sandbox.ebay.faults import FaultBox
from sandbox.ebay.signing import SigningKey
from sandbox.ebay.store import OrderStore
from sandbox.ebay.tokens import TokenStore


@dataclass(frozen=True)
class Config:
    client_id: str
    client_secret: str
    redirect_uri: str  # the "auth accepted URL" the consent page redirects to
    ru_name: (
        str  # eBay's redirect_uri parameter is the RuName; the accept URL itself is accepted too
    )
    seller_id: str


class SandboxState:
    def __init__(self, config: Config, seed: int = 0, clock: Clock | None = None):
        self.config = config
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.faults = FaultBox()
        self.generator = None  # set by create_app
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        with self.lock:
            if seed is not None:
                self.seed = seed
            self.orders = OrderStore(self.seed, self.config.seller_id)
            self.tokens = TokenStore(random.Random(f"{self.seed}:tokens"))
            self.generator_rng = random.Random(f"{self.seed}:generator")
            self._request_ids = random.Random(f"{self.seed}:requests")
            self.notification_rng = random.Random(f"{self.seed}:notifications")
            self.signing_key = SigningKey.from_seed(self.seed)
            self.faults.clear()
            self.requests: Counter[str] = Counter()
            self.statuses: Counter[str] = Counter()
            self.recent: deque[dict] = deque(maxlen=500)

    def now(self) -> datetime:
        """The emulator's time, cut to milliseconds as eBay's timestamps are."""
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def request_id(self) -> str:
        with self.lock:
            return str(uuid.UUID(int=self._request_ids.getrandbits(128), version=4))

    def record(
        self, endpoint: str, method: str, path: str, query: str, status: int, request_id: str
    ) -> None:
        with self.lock:
            self.requests[endpoint] += 1
            self.statuses[str(status)] += 1
            self.recent.append(
                {
                    "endpoint": endpoint,
                    "method": method,
                    "path": path,
                    "query": query,
                    "status": status,
                    "requestId": request_id,
                }
            )

    def stats(self) -> dict:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "statuses": dict(self.statuses),
                "tokenRefreshes": self.tokens.refreshes,
                "codeExchanges": self.tokens.code_exchanges,
                "applicationTokens": self.tokens.app_tokens,
                "orders": len(self.orders.records),
                "fulfillments": len(self.orders.received),
                "activeFaults": [f.as_dict() for f in self.faults.active],
            }


def current_state() -> SandboxState:
    return current_app.extensions["ebay_sandbox"]
