"""The eBay REST client against the eBay emulator over HTTP: OAuth, token refresh, errors, paging,
tracking."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from autoorder import clock
from autoorder.ebay.accounts import client_for
from autoorder.ebay.client import (
    SCOPES,
    EbayMalformedResponseError,
    EbayRateLimitedError,
    EbayRequestError,
    EbayServerError,
    ReauthorizationNeededError,
    Tokens,
    TokenStore,
    parse_ebay_timestamp,
)
from autoorder.extensions import db
from autoorder.models import EbayAccount
from tests.ebay.ebay_fixtures import (
    CLIENT_ID,
    RU_NAME,
    advance_emulator,
    api_calls,
    last_request_id,
    sale,
    stats,
)


class MemoryTokenStore(TokenStore):
    def __init__(self, tokens):
        self.tokens, self.saved = tokens, []

    def load(self):
        return self.tokens

    def save(self, tokens):
        self.tokens = tokens
        self.saved.append(tokens)


def consent_code(client, state="xyz-state"):
    response = requests.get(client.consent_url(state), allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "error" not in query, query
    assert query["state"] == [state]
    return query["code"][0]


def fault(emulator, kind, **extra):
    emulator.control("POST", "/sandbox/faults", {"fault": kind, "count": 1, **extra})


def reload(account):
    db.session.expire_all()
    return db.session.get(EbayAccount, account.id)


def test_consent_url_carries_state_scope_and_redirect(ebay_sandbox, ctx):
    url = client_for().consent_url("csrf-123")
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}" == ebay_sandbox.url and parts.path == "/oauth2/authorize"
    )
    query = parse_qs(parts.query)
    assert query == {
        "client_id": [CLIENT_ID],
        "redirect_uri": [RU_NAME],
        "response_type": ["code"],
        "scope": [" ".join(SCOPES)],
        "state": ["csrf-123"],
    }
    assert consent_code(
        client_for(), "csrf-123"
    )  # eBay accepts it: a code comes back with our state


def test_code_exchange_gives_working_tokens(ebay_sandbox, ctx):
    client = client_for()
    before = clock.now()
    tokens = client.exchange_code(consent_code(client))
    assert (
        tokens.access_token and tokens.refresh_token and tokens.access_token != tokens.refresh_token
    )
    assert (
        before + timedelta(seconds=7200)
        <= tokens.access_token_expires_at
        <= clock.now() + timedelta(seconds=7200)
    )
    assert tokens.refresh_token_expires_at - tokens.access_token_expires_at > timedelta(days=500)
    assert stats(ebay_sandbox)["codeExchanges"] == 1
    client.token_store = MemoryTokenStore(tokens)
    assert client.get_orders()["total"] == 0  # the access token is accepted
    assert stats(ebay_sandbox)["tokenRefreshes"] == 0


def test_a_code_is_single_use(ebay_sandbox, ctx):
    client = client_for()
    code = consent_code(client)
    client.exchange_code(code)
    with pytest.raises(ReauthorizationNeededError, match="invalid_grant"):
        client.exchange_code(code)


def test_no_refresh_per_call(ebay_sandbox, ebay_account):
    client = client_for(ebay_account)
    token = ebay_account.access_token
    for _ in range(20):
        client.get_orders()
    assert api_calls(ebay_sandbox, "getOrders") == 20
    assert stats(ebay_sandbox)["tokenRefreshes"] == 0
    assert reload(ebay_account).access_token == token


def test_refresh_when_the_token_nears_expiry(ebay_sandbox, ebay_account):
    old_token, old_expiry = ebay_account.access_token, ebay_account.access_token_expires_at
    client = client_for(ebay_account)
    client.get_orders()
    clock.advance(7200 - 4 * 60)  # 4 minutes left on our side; eBay would still accept the token
    for _ in range(5):
        client.get_orders()
    assert stats(ebay_sandbox)["tokenRefreshes"] == 1
    saved = reload(ebay_account)
    assert saved.access_token != old_token
    assert saved.access_token_expires_at >= old_expiry + timedelta(seconds=7200 - 4 * 60)
    assert saved.refresh_token == ebay_account.refresh_token  # eBay sends no new refresh token
    client_for(saved).get_orders()  # the saved token is the one eBay issued
    assert stats(ebay_sandbox)["tokenRefreshes"] == 1


def test_refresh_after_two_hours_on_both_clocks(ebay_sandbox, ebay_account):
    old_token = ebay_account.access_token
    client = client_for(ebay_account)
    client.get_orders()
    advance_emulator(ebay_sandbox, 7200 + 60)  # moves our clock too
    for _ in range(3):
        client.get_orders()
    assert stats(ebay_sandbox)["tokenRefreshes"] == 1
    assert (
        stats(ebay_sandbox)["statuses"].get("401", 0) == 0
    )  # refreshed before the call, not after
    assert reload(ebay_account).access_token != old_token


def test_refresh_once_on_401(ebay_sandbox, ebay_account):
    old_token = ebay_account.access_token
    client = client_for(ebay_account)
    sale(ebay_sandbox)
    ebay_sandbox.control("POST", "/sandbox/tokens/expire")
    assert client.get_orders()["total"] == 1
    client.get_orders()
    assert stats(ebay_sandbox)["tokenRefreshes"] == 1
    assert api_calls(ebay_sandbox, "getOrders") == 3  # the 401, its retry, the next call
    saved = reload(ebay_account)
    assert saved.access_token != old_token
    assert saved.access_token_expires_at > clock.now() + timedelta(hours=1)


def test_revoked_refresh_token_needs_reauthorization(ebay_sandbox, ebay_account):
    ebay_sandbox.control("POST", "/sandbox/tokens/revoke", {})
    with pytest.raises(ReauthorizationNeededError, match="invalid_grant"):
        client_for(ebay_account).get_orders()
    assert stats(ebay_sandbox)["tokenRefreshes"] == 0


def test_refresh_token_unknown_to_the_store_needs_reauthorization(ebay_sandbox, ctx):
    client = client_for()
    client.token_store = MemoryTokenStore(
        Tokens("expired", clock.now() - timedelta(minutes=1), None)
    )
    with pytest.raises(ReauthorizationNeededError):
        client.get_orders()


def test_rate_limited(ebay_sandbox, ebay_account):
    fault(ebay_sandbox, "rate_limit")
    with pytest.raises(EbayRateLimitedError) as caught:
        client_for(ebay_account).get_orders()
    rid = last_request_id(ebay_sandbox, "getOrders")
    assert caught.value.request_id == rid and caught.value.status == 429
    assert caught.value.error_ids == [2001] and caught.value.retryable


def test_server_error(ebay_sandbox, ebay_account):
    fault(ebay_sandbox, "server_error", errorId=30500)
    with pytest.raises(EbayServerError) as caught:
        client_for(ebay_account).get_orders()
    assert (
        caught.value.status == 500 and caught.value.error_ids == [30500] and caught.value.retryable
    )
    assert caught.value.request_id == last_request_id(ebay_sandbox, "getOrders")


def test_malformed_json(ebay_sandbox, ebay_account):
    sale(ebay_sandbox)
    fault(ebay_sandbox, "malformed")
    with pytest.raises(EbayMalformedResponseError) as caught:
        client_for(ebay_account).get_orders()
    assert caught.value.status == 200 and caught.value.retryable
    assert caught.value.request_id == last_request_id(ebay_sandbox, "getOrders")


def test_error_without_json_body_is_classified_by_status(ebay_sandbox, ebay_account):
    fault(ebay_sandbox, "rate_limit")
    fault(ebay_sandbox, "malformed")  # a 429 whose body is cut in half
    with pytest.raises(EbayRateLimitedError) as caught:
        client_for(ebay_account).get_orders()
    assert caught.value.request_id == last_request_id(ebay_sandbox, "getOrders")


@pytest.mark.parametrize(("count", "pages"), [(7, 3), (6, 2)])
def test_pagination_yields_every_order_once(ebay_sandbox, ebay_account, count, pages):
    created = [sale(ebay_sandbox, price=f"{10 + n}.00")["orderId"] for n in range(count)]
    since = clock.now() - timedelta(hours=1)
    seen = [
        o["orderId"]
        for page in client_for(ebay_account).iter_orders_modified_since(since, page_size=3)
        for o in page["orders"]
    ]
    assert seen == created  # oldest first, each once
    assert api_calls(ebay_sandbox, "getOrders") == pages


def test_modified_since_filters(ebay_sandbox, ebay_account):
    old = sale(ebay_sandbox)["orderId"]
    advance_emulator(ebay_sandbox, 600)
    new = sale(ebay_sandbox)["orderId"]
    since = parse_ebay_timestamp(ebay_sandbox.control("GET", "/sandbox/clock")["now"]) - timedelta(
        minutes=5
    )
    pages = list(client_for(ebay_account).iter_orders_modified_since(since))
    assert [o["orderId"] for p in pages for o in p["orders"]] == [new]
    assert old != new


def test_get_order_and_unknown_order(ebay_sandbox, ebay_account):
    order = sale(ebay_sandbox, sku="SKU-1")
    client = client_for(ebay_account)
    assert client.get_order(order["orderId"])["lineItems"][0]["sku"] == "SKU-1"
    with pytest.raises(EbayRequestError) as caught:
        client.get_order("99-99999-99999")
    assert caught.value.status == 404 and caught.value.error_ids == [32100]


def test_create_shipping_fulfillment(ebay_sandbox, ebay_account):
    order = sale(ebay_sandbox)
    line_item = order["lineItems"][0]["lineItemId"]
    client = client_for(ebay_account)
    fulfillment_id = client.create_shipping_fulfillment(
        order["orderId"],
        line_items=[{"lineItemId": line_item, "quantity": 1}],
        carrier_code="USPS",
        tracking_number="9400111899223344556677",
        shipped_at=clock.now() - timedelta(minutes=1),
    )
    assert fulfillment_id == "9400111899223344556677"
    received = ebay_sandbox.control("GET", "/sandbox/fulfillments")["fulfillments"]
    assert [(f["orderId"], f["fulfillmentId"], f["shippingCarrierCode"]) for f in received] == [
        (order["orderId"], fulfillment_id, "USPS")
    ]
    assert [f["fulfillmentId"] for f in client.get_shipping_fulfillments(order["orderId"])] == [
        fulfillment_id
    ]


def test_create_shipping_fulfillment_validation_error(ebay_sandbox, ebay_account):
    order = sale(ebay_sandbox)
    with pytest.raises(EbayRequestError) as caught:
        client_for(ebay_account).create_shipping_fulfillment(
            order["orderId"],
            line_items=[{"lineItemId": order["lineItems"][0]["lineItemId"], "quantity": 1}],
            carrier_code="NOT_A_CARRIER",
            tracking_number="1Z999AA10123456784",
            shipped_at=clock.now(),
        )
    assert caught.value.status == 400 and caught.value.error_ids == [32300]
    assert caught.value.request_id == last_request_id(ebay_sandbox, "createShippingFulfillment")
    assert ebay_sandbox.control("GET", "/sandbox/fulfillments")["total"] == 0
