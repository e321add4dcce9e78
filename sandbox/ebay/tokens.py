"""OAuth state: consent codes, user access tokens and refresh tokens, with eBay's lifetimes.

The caller holds the sandbox lock. Times come from the emulator clock.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

CODE_TTL = 299  # eBay puts expires_in=299 on the consent redirect
ACCESS_TTL = 7200
REFRESH_TTL = 47304000  # 18 months

FULFILLMENT_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
FULFILLMENT_READONLY_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly"
KNOWN_SCOPES = frozenset(
    {
        "https://api.ebay.com/oauth/api_scope",
        FULFILLMENT_SCOPE,
        FULFILLMENT_READONLY_SCOPE,
        "https://api.ebay.com/oauth/api_scope/sell.finances",
        "https://api.ebay.com/oauth/api_scope/sell.payment.dispute",
        "https://api.ebay.com/oauth/api_scope/sell.inventory",
        "https://api.ebay.com/oauth/api_scope/sell.inventory.readonly",
        "https://api.ebay.com/oauth/api_scope/sell.account",
        "https://api.ebay.com/oauth/api_scope/sell.account.readonly",
        "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly",
        "https://api.ebay.com/oauth/api_scope/commerce.notification.subscription",
    }
)


@dataclass
class Grant:
    scopes: frozenset[str]
    expires_at: datetime
    revoked: bool = False
    redirect_uri: str = ""
    used: bool = False
    refresh_token: str | None = None  # for access tokens: the refresh token they came from


@dataclass
class TokenStore:
    rng: random.Random
    codes: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    refreshes: int = 0
    code_exchanges: int = 0
    app_tokens: int = 0

    def _token(self, kind: str, length: int) -> str:
        raw = bytes(self.rng.getrandbits(8) for _ in range(length))
        body = base64.b64encode(raw).decode("ascii")
        # eBay tokens and codes look like this: they hold ^ # = + / and need URL encoding.
        return f"v^1.1#i^1#{kind}^1#p^3#r^1#f^0#I^3#t^{body}"

    def issue_code(self, scopes: frozenset[str], redirect_uri: str, now: datetime) -> str:
        code = self._token("c", 48)
        self.codes[code] = Grant(
            scopes, now + timedelta(seconds=CODE_TTL), redirect_uri=redirect_uri
        )
        return code

    def redeem_code(self, code: str, redirect_uri: str, now: datetime) -> Grant | None:
        """The code's grant if it is valid, unused, unexpired and was issued for
        ``redirect_uri``."""
        grant = self.codes.get(code)
        if (
            grant is None
            or grant.used
            or grant.expires_at <= now
            or grant.redirect_uri != redirect_uri
        ):
            return None
        grant.used = True  # single use, even when the exchange later fails
        self.code_exchanges += 1
        return grant

    def issue_pair(self, scopes: frozenset[str], now: datetime) -> tuple[str, str]:
        refresh = self._token("r", 64)
        self.refresh[refresh] = Grant(scopes, now + timedelta(seconds=REFRESH_TTL))
        return self.issue_access(scopes, now, refresh), refresh

    def issue_access(self, scopes: frozenset[str], now: datetime, refresh: str | None) -> str:
        token = self._token("a", 96)
        self.access[token] = Grant(
            scopes, now + timedelta(seconds=ACCESS_TTL), refresh_token=refresh
        )
        return token

    def live_refresh(self, token: str, now: datetime) -> Grant | None:
        grant = self.refresh.get(token)
        if grant is None or grant.revoked or grant.expires_at <= now:
            return None
        return grant

    def access_scopes(self, token: str, now: datetime) -> frozenset[str] | None:
        """The scopes of a valid access token, or None if it is unknown, expired or revoked."""
        grant = self.access.get(token)
        if grant is None or grant.revoked or grant.expires_at <= now:
            return None
        return grant.scopes

    def expire_access_tokens(self) -> int:
        count = 0
        for grant in self.access.values():
            if not grant.revoked:
                grant.revoked = True
                count += 1
        return count

    def revoke_refresh(self, token: str | None = None) -> int:
        """Revoke one refresh token (or all), with the access tokens minted from it."""
        targets = [token] if token is not None else list(self.refresh)
        count = 0
        for rt in targets:
            grant = self.refresh.get(rt)
            if grant is None or grant.revoked:
                continue
            grant.revoked = True
            count += 1
            for access in self.access.values():
                if access.refresh_token == rt:
                    access.revoked = True
        return count
