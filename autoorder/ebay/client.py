"""A client for eBay's OAuth and Sell Fulfillment REST API (api.ebay.com by configuration).

Tokens: the access token (2 h) is refreshed only when it is near expiry or a call answers 401 —
never per call, since eBay limits refreshes per day. A refresh token eBay refuses raises
ReauthorizationNeededError so the account can be marked "reconnect needed".
"""

import base64
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, urlencode, urlsplit

import requests

from autoorder import clock

log = logging.getLogger(__name__)

SCOPES = (
    "https://api.ebay.com/oauth/api_scope",
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
)
FULFILLMENT = "/sell/fulfillment/v1"
NOTIFICATION = "/commerce/notification/v1"
PUBLIC_SCOPE = "https://api.ebay.com/oauth/api_scope"
REFRESH_MARGIN = timedelta(minutes=5)
MAX_PAGE = 200


class EbayError(Exception):
    """An eBay call failed; ``request_id`` is eBay's X-EBAY-C-REQUEST-ID for support tickets."""

    retryable = False

    def __init__(self, message, *, status=None, request_id=None, errors=None):
        super().__init__(message)
        self.status, self.request_id, self.errors = status, request_id, errors or []

    @property
    def error_ids(self):
        return [e.get("errorId") for e in self.errors if isinstance(e, dict)]


class EbayRateLimitedError(EbayError):
    retryable = True


class EbayServerError(EbayError):
    retryable = True


class EbayMalformedResponseError(EbayError):
    retryable = True


class EbayRequestError(EbayError):
    """eBay refused the request (4xx with its error list)."""


class ReauthorizationNeededError(EbayError):
    """The refresh token is expired or revoked: the seller must connect the account again."""


@dataclass
class Tokens:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str | None = None
    refresh_token_expires_at: datetime | None = None


class TokenStore:
    """Where a client reads and saves its tokens (an EbayAccount row, in the app)."""

    def load(self) -> Tokens: ...

    def save(self, tokens: Tokens) -> None: ...


class EbayClient:
    def __init__(
        self,
        *,
        api_base,
        auth_base,
        client_id,
        client_secret,
        redirect_uri,
        token_store: TokenStore | None = None,
        session: requests.Session | None = None,
        timeout: float = 30,
        on_call=None,
    ):
        self.api_base, self.auth_base = api_base.rstrip("/"), auth_base.rstrip("/")
        self.client_id, self._client_secret, self.redirect_uri = (
            client_id,
            client_secret,
            redirect_uri,
        )
        self.token_store = token_store
        self.on_call = on_call  # called with the operation name of each call eBay answered
        self.http = session or requests.Session()
        self.timeout = timeout

    # --- OAuth -----------------------------------------------------------------------------
    def consent_url(self, state: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": " ".join(SCOPES),
                "state": state,
            }
        )
        return f"{self.auth_base}/oauth2/authorize?{query}"

    def exchange_code(self, code: str) -> Tokens:
        """Trade the consent code for an access and a refresh token."""
        body = self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )
        now = clock.now()
        return Tokens(
            body["access_token"],
            now + timedelta(seconds=int(body["expires_in"])),
            body.get("refresh_token"),
            now + timedelta(seconds=int(body.get("refresh_token_expires_in", 47304000))),
        )

    def refresh(self, tokens: Tokens) -> Tokens:
        """Get a new access token; eBay keeps the refresh token (it sends none back)."""
        if not tokens.refresh_token:
            raise ReauthorizationNeededError(
                "no refresh token stored; connect the eBay account again"
            )
        body = self._token_call(
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
                "scope": " ".join(SCOPES),
            }
        )
        return Tokens(
            body["access_token"],
            clock.now() + timedelta(seconds=int(body["expires_in"])),
            body.get("refresh_token") or tokens.refresh_token,
            tokens.refresh_token_expires_at,
        )

    def application_token(self) -> Tokens:
        """An application access token (client credentials grant, public scope): for calls made
        for the application rather than a seller, such as getPublicKey."""
        body = self._token_call({"grant_type": "client_credentials", "scope": PUBLIC_SCOPE})
        return Tokens(
            body["access_token"], clock.now() + timedelta(seconds=int(body["expires_in"]))
        )

    def get_public_key(self, public_key_id: str, app_token: str) -> dict:
        """Notification API getPublicKey: ``{algorithm, digest, key}`` for a notification's kid."""
        response = self._send(
            "GET",
            f"{self.api_base}{NOTIFICATION}/public_key/{quote(public_key_id, safe='')}",
            headers=_bearer(Tokens(app_token, clock.now())),
        )
        if response.status_code != 200:
            self._raise_for(response, self._error_body(response))
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("key"), str):
            raise EbayMalformedResponseError(
                "getPublicKey: no key in the answer", request_id=_request_id(response)
            )
        return body

    def _token_call(self, form: dict) -> dict:
        basic = base64.b64encode(f"{self.client_id}:{self._client_secret}".encode()).decode()
        response = self._send(
            "POST",
            f"{self.api_base}/identity/v1/oauth2/token",
            data=form,
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        body = self._json(response) if response.status_code == 200 else self._error_body(response)
        if (
            response.status_code == 200
            and isinstance(body, dict)
            and body.get("access_token")
            and body.get("expires_in") is not None
        ):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        message = f"eBay OAuth: {error or response.status_code}: " + str(
            (body or {}).get("error_description", "") if isinstance(body, dict) else ""
        )
        if error in ("invalid_grant", "invalid_client", "unauthorized_client"):
            raise ReauthorizationNeededError(message, status=response.status_code)
        self._raise_for(response, body)
        raise EbayMalformedResponseError(
            message, status=response.status_code, request_id=_request_id(response)
        )

    # --- Sell Fulfillment ------------------------------------------------------------------
    def get_orders(
        self,
        *,
        filter: str | None = None,
        limit: int = MAX_PAGE,
        offset: int = 0,
        order_ids: list[str] | None = None,
    ) -> dict:
        params = {"limit": limit, "offset": offset}
        if order_ids:
            params = {"orderIds": ",".join(order_ids)}
        elif filter:
            params["filter"] = filter
        return self._api("GET", f"{FULFILLMENT}/order", params=params)

    def iter_orders_modified_since(self, since: datetime, *, page_size: int = MAX_PAGE):
        """Yield every page of orders modified at or after ``since`` (follows offsets)."""
        stamp = ebay_timestamp(since)
        offset = 0
        while True:
            page = self.get_orders(
                filter=f"lastmodifieddate:[{stamp}..]", limit=page_size, offset=offset
            )
            orders = page.get("orders") or []
            if not isinstance(orders, list):
                raise EbayMalformedResponseError("getOrders: 'orders' is not a list")
            yield page
            offset += len(orders)
            if not orders or not page.get("next") or offset >= int(page.get("total", 0)):
                return

    def get_order(self, order_id: str) -> dict:
        return self._api("GET", f"{FULFILLMENT}/order/{order_id}")

    def get_shipping_fulfillments(self, order_id: str) -> list[dict]:
        body = self._api("GET", f"{FULFILLMENT}/order/{order_id}/shipping_fulfillment")
        return body.get("fulfillments") or []

    def create_shipping_fulfillment(
        self,
        order_id: str,
        *,
        line_items: list[dict],
        carrier_code: str,
        tracking_number: str,
        shipped_at: datetime,
    ) -> str:
        """Upload tracking; return the new fulfillment id (from the Location header)."""
        payload = {
            "lineItems": line_items,
            "shippingCarrierCode": carrier_code,
            "trackingNumber": tracking_number,
            "shippedDate": ebay_timestamp(shipped_at),
        }
        response = self._authorized(
            "POST", f"{FULFILLMENT}/order/{order_id}/shipping_fulfillment", json=payload
        )
        if response.status_code == 201:
            return response.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
        self._raise_for(response, self._error_body(response))
        raise EbayMalformedResponseError(
            f"createShippingFulfillment answered {response.status_code}",
            status=response.status_code,
            request_id=_request_id(response),
        )

    # --- plumbing --------------------------------------------------------------------------
    def _api(self, method, path, **kwargs) -> dict:
        response = self._authorized(method, path, **kwargs)
        if response.status_code != 200:
            # An error is classified by its status even when its body is not JSON (a gateway's
            # page).
            self._raise_for(response, self._error_body(response))
        body = self._json(response)
        if not isinstance(body, dict):
            raise EbayMalformedResponseError(
                f"{method} {path}: expected a JSON object",
                status=response.status_code,
                request_id=_request_id(response),
            )
        return body

    def _authorized(self, method, path, **kwargs) -> requests.Response:
        tokens = self.token_store.load()
        if tokens.access_token_expires_at - clock.now() < REFRESH_MARGIN:
            tokens = self._refresh_and_save(tokens)
        response = self._send(method, self.api_base + path, headers=_bearer(tokens), **kwargs)
        if response.status_code == 401:  # revoked or expired early: refresh once, retry once
            tokens = self._refresh_and_save(tokens)
            response = self._send(method, self.api_base + path, headers=_bearer(tokens), **kwargs)
        return response

    def _refresh_and_save(self, tokens: Tokens) -> Tokens:
        tokens = self.refresh(tokens)
        self.token_store.save(tokens)
        return tokens

    def _send(self, method, url, **kwargs) -> requests.Response:
        try:
            response = self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise EbayServerError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if self.on_call is not None:  # every call eBay received counts against the day's limits
            self.on_call(operation_name(method, url))
        return response

    def _json(self, response, allow_empty=False):
        if allow_empty and not response.content:
            return {}
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise EbayMalformedResponseError(
                f"{response.request.method} {response.url}: malformed JSON "
                f"({response.status_code})",
                status=response.status_code,
                request_id=_request_id(response),
            ) from exc

    @staticmethod
    def _error_body(response):
        """The decoded body of an error answer, or None when it is not JSON."""
        try:
            return response.json() if response.content else None
        except ValueError:
            return None

    @staticmethod
    def _raise_for(response, body):
        """Raise the error class for a non-success answer (returns only for 2xx/3xx)."""
        status, rid = response.status_code, _request_id(response)
        errors = body.get("errors", []) if isinstance(body, dict) else []
        text = "; ".join(
            f"{e.get('errorId')}: {e.get('message')}" for e in errors if isinstance(e, dict)
        )
        message = (
            f"eBay {response.request.method} {response.url} answered {status}: "
            f"{text or 'no detail'}"
        )
        if status == 429:
            raise EbayRateLimitedError(message, status=status, request_id=rid, errors=errors)
        if status >= 500:
            raise EbayServerError(message, status=status, request_id=rid, errors=errors)
        if status == 401:
            raise ReauthorizationNeededError(message, status=status, request_id=rid, errors=errors)
        if status >= 400:
            raise EbayRequestError(message, status=status, request_id=rid, errors=errors)


_OPERATIONS = (  # (method, path pattern) -> eBay's operationId, as eBay's contracts name them
    ("POST", re.compile(r"/identity/v1/oauth2/token$"), "token"),
    ("GET", re.compile(FULFILLMENT + r"/order$"), "getOrders"),
    ("GET", re.compile(FULFILLMENT + r"/order/[^/]+$"), "getOrder"),
    (
        "GET",
        re.compile(FULFILLMENT + r"/order/[^/]+/shipping_fulfillment$"),
        "getShippingFulfillments",
    ),
    (
        "POST",
        re.compile(FULFILLMENT + r"/order/[^/]+/shipping_fulfillment$"),
        "createShippingFulfillment",
    ),
    (
        "GET",
        re.compile(FULFILLMENT + r"/order/[^/]+/shipping_fulfillment/[^/]+$"),
        "getShippingFulfillment",
    ),
    ("GET", re.compile(NOTIFICATION + r"/public_key/[^/]+$"), "getPublicKey"),
)


def operation_name(method: str, url: str) -> str:
    path = urlsplit(url).path
    for op_method, pattern, name in _OPERATIONS:
        if op_method == method.upper() and pattern.search(path):
            return name
    return f"{method.upper()} other"


def _bearer(tokens: Tokens) -> dict:
    return {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"}


def _request_id(response) -> str | None:
    return response.headers.get("X-EBAY-C-REQUEST-ID")


def ebay_timestamp(at: datetime) -> str:
    """Format a time as eBay wants it: UTC, ISO 8601 with milliseconds and a Z."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)


def parse_ebay_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (eBay sends ``2026-11-26T07:25:35.000Z``) into aware UTC.

    Strict: a date, ``T``, a time, optional fraction and ``Z`` or an offset, either case of ``T``
    and ``Z`` (RFC 3339 section 5.6). Anything else, or a time Python cannot hold in UTC, raises
    ValueError. A small parser of our own rather than a dependency: ``datetime.fromisoformat``
    accepts more than RFC 3339 (a date alone, no offset) and refuses a lowercase ``z``.
    """
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}"[:120])
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        zone = UTC
        if offset not in ("Z", "z"):
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                raise ValueError(f"bad UTC offset {offset}")
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        at = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            min(int(second), 59),  # a leap second (:60) is read as :59
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=zone,
        )
        return at.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid time: {value!r}") from exc
