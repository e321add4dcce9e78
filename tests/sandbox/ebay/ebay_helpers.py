"""Helpers shared by the eBay emulator tests: the contract-checking client and the OAuth steps."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

from flask.testing import FlaskClient
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse

from tests.sandbox.ebay.ebay_contract_check import check_response

START = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
CLIENT_ID, CLIENT_SECRET = "autoorder-demo", "demo-secret"
RU_NAME = "autoorder-demo-RuName"
ACCEPT_URL = "http://127.0.0.1:5000/ebay/callback"
SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
READONLY_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly"
API = "/sell/fulfillment/v1"


class ContractClient(FlaskClient):
    """Flask test client that checks every response against the contract (``validate=False`` skips
    it)."""

    def open(self, *args, validate: bool = True, **kwargs):
        resp = super().open(*args, **kwargs)
        if validate:
            check_werkzeug(resp)
        return resp


def check_werkzeug(resp) -> None:
    check_response(
        resp.request.method,
        resp.request.url,
        resp.status_code,
        resp.headers,
        resp.get_data(),
        openapi_response=WerkzeugOpenAPIResponse(resp),
    )


def check_requests(resp) -> None:
    """Contract check for a ``requests`` response (the subprocess tests)."""
    check_response(
        resp.request.method,
        resp.request.url,
        resp.status_code,
        resp.headers,
        resp.content,
        RequestsOpenAPIRequest(resp.request),
        RequestsOpenAPIResponse(resp),
    )


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def consent(client, scope: str = SCOPE, state: str = "st-1", redirect_uri: str = RU_NAME) -> dict:
    """Run the consent stand-in and return the redirect's query parameters (one value each)."""
    resp = client.get(
        "/oauth2/authorize",
        query_string={
            "client_id": CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": state,
        },
    )
    assert resp.status_code == 302, resp.data
    location = urlparse(resp.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == ACCEPT_URL
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def exchange(client, code: str, redirect_uri: str = RU_NAME, **headers):
    return client.post(
        "/identity/v1/oauth2/token",
        headers=headers or basic(),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )


def refresh(client, refresh_token: str, scope: str | None = None):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        data["scope"] = scope
    return client.post("/identity/v1/oauth2/token", headers=basic(), data=data)


def mint(client, scopes: list[str] | None = None) -> dict:
    """Bearer headers for a token pair minted by the control endpoint (no consent round trip)."""
    resp = client.post("/sandbox/tokens", json={"scopes": scopes or [SCOPE]})
    assert resp.status_code == 201
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


SALE = {
    "sku": "SKU-RED-M",
    "legacyItemId": "325400111111",
    "legacyVariationId": "620000000777",
    "title": "Red T-Shirt",
    "variationAspects": [{"name": "Color", "value": "Red"}, {"name": "Size", "value": "M"}],
    "quantity": 2,
    "price": "12.50",
    "buyer": {
        "name": "Ada Lovelace",
        "username": "ada_l",
        "phone": "6175550101",
        "email": "ada@example.com",
        "address": {
            "addressLine1": "12 Analytical Way",
            "addressLine2": "Unit 3",
            "city": "Boston",
            "stateOrProvince": "MA",
            "postalCode": "02110",
            "countryCode": "US",
        },
    },
}
