"""OAuth stand-in: consent redirect, code exchange, refresh, expiry, revocation, bearer checks."""

from tests.sandbox.ebay.ebay_helpers import (
    ACCEPT_URL,
    API,
    CLIENT_ID,
    READONLY_SCOPE,
    RU_NAME,
    SCOPE,
    basic,
    consent,
    exchange,
    refresh,
)


def test_consent_redirect_keeps_state_and_gives_single_use_code(ebay):
    params = consent(ebay, state="opaque-123/xyz")
    assert params["state"] == "opaque-123/xyz"
    assert params["code"].startswith(
        "v^1.1#"
    )  # eBay codes hold ^ and #: the client must URL-encode them
    assert params["expires_in"] == "299"

    first = exchange(ebay, params["code"])
    assert first.status_code == 200
    body = first.get_json()
    assert body["token_type"] == "User Access Token"
    assert body["expires_in"] == 7200
    assert body["refresh_token_expires_in"] == 47304000
    assert body["access_token"] and body["refresh_token"]

    again = exchange(ebay, params["code"])
    assert again.status_code == 400
    assert again.get_json()["error"] == "invalid_grant"


def test_consent_accepts_accept_url_as_redirect_uri(ebay):
    params = consent(ebay, redirect_uri=ACCEPT_URL)
    assert exchange(ebay, params["code"], redirect_uri=ACCEPT_URL).status_code == 200


def test_consent_rejects_unknown_client_and_redirect(ebay):
    resp = ebay.get(
        "/oauth2/authorize",
        query_string={
            "client_id": "someone-else",
            "redirect_uri": RU_NAME,
            "response_type": "code",
            "scope": SCOPE,
        },
    )
    assert resp.status_code == 400
    assert b"Invalid client" in resp.data
    resp = ebay.get(
        "/oauth2/authorize",
        query_string={
            "client_id": CLIENT_ID,
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
            "scope": SCOPE,
        },
    )
    assert resp.status_code == 400


def test_consent_with_unknown_scope_redirects_with_error(ebay):
    resp = ebay.get(
        "/oauth2/authorize",
        query_string={
            "client_id": CLIENT_ID,
            "redirect_uri": RU_NAME,
            "response_type": "code",
            "scope": "https://api.ebay.com/oauth/api_scope/made.up",
            "state": "s",
        },
    )
    assert resp.status_code == 302
    assert "error=invalid_scope" in resp.headers["Location"]
    assert "code=" not in resp.headers["Location"]


def test_code_exchange_errors(ebay):
    code = consent(ebay)["code"]
    bad_secret = exchange(ebay, code, **basic(secret="wrong"))
    assert bad_secret.status_code == 401
    assert bad_secret.get_json()["error"] == "invalid_client"
    no_auth = ebay.post(
        "/identity/v1/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": RU_NAME},
    )
    assert no_auth.status_code == 401
    wrong_redirect = exchange(ebay, code, redirect_uri="other-RuName")
    assert wrong_redirect.status_code == 400
    assert wrong_redirect.get_json()["error"] == "invalid_grant"
    bogus = exchange(ebay, "v^1.1#not-a-code")
    assert bogus.get_json()["error"] == "invalid_grant"
    unsupported = ebay.post(
        "/identity/v1/oauth2/token", headers=basic(), data={"grant_type": "password"}
    )
    assert unsupported.status_code == 400
    assert unsupported.get_json()["error"] == "unsupported_grant_type"
    missing = ebay.post(
        "/identity/v1/oauth2/token", headers=basic(), data={"grant_type": "authorization_code"}
    )
    assert missing.get_json()["error"] == "invalid_request"


def test_code_expires_after_299_seconds(ebay, advance):
    code = consent(ebay)["code"]
    advance(300)
    assert exchange(ebay, code).get_json()["error"] == "invalid_grant"


def test_refresh_gives_new_access_token_without_refresh_token(ebay, ebay_tokens):
    resp = refresh(ebay, ebay_tokens["refresh_token"])
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 7200
    assert body["access_token"] != ebay_tokens["access_token"]
    assert (
        ebay.get(
            f"{API}/order", headers={"Authorization": f"Bearer {body['access_token']}"}
        ).status_code
        == 200
    )
    assert ebay.get("/sandbox/stats").get_json()["tokenRefreshes"] == 1
    # the old access token stays valid until it expires, as eBay's do
    old = ebay.get(
        f"{API}/order", headers={"Authorization": f"Bearer {ebay_tokens['access_token']}"}
    )
    assert old.status_code == 200


def test_refresh_scope_must_be_within_the_grant(ebay, ebay_tokens):
    ok = refresh(ebay, ebay_tokens["refresh_token"], scope=SCOPE)
    assert ok.status_code == 200
    wider = refresh(
        ebay,
        ebay_tokens["refresh_token"],
        scope=SCOPE + " https://api.ebay.com/oauth/api_scope/sell.inventory",
    )
    assert wider.status_code == 400
    assert wider.get_json()["error"] == "invalid_scope"


def test_access_token_expires_after_7200_seconds_of_emulator_clock(ebay, auth, advance):
    assert ebay.get(f"{API}/order", headers=auth).status_code == 200
    advance(7199)
    assert ebay.get(f"{API}/order", headers=auth).status_code == 200
    advance(2)
    resp = ebay.get(f"{API}/order", headers=auth)
    assert resp.status_code == 401
    assert resp.get_json()["errors"][0]["errorId"] == 1001


def test_expired_refresh_token_is_invalid_grant(ebay, ebay_tokens, advance):
    advance(47304000 + 1)
    resp = refresh(ebay, ebay_tokens["refresh_token"])
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_grant"


def test_revoked_refresh_token_is_invalid_grant_and_kills_its_access_tokens(
    ebay, ebay_tokens, auth
):
    resp = ebay.post("/sandbox/tokens/revoke", json={"refresh_token": ebay_tokens["refresh_token"]})
    assert resp.get_json() == {"revokedRefreshTokens": 1}
    assert refresh(ebay, ebay_tokens["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert ebay.get(f"{API}/order", headers=auth).status_code == 401


def test_api_requires_a_valid_bearer_token(ebay, auth):
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": auth["Authorization"][7:]},
        basic(),
    ):
        resp = ebay.get(f"{API}/order", headers=headers)
        assert resp.status_code == 401
        error = resp.get_json()["errors"][0]
        assert (error["errorId"], error["domain"], error["category"], error["message"]) == (
            1001,
            "OAuth",
            "REQUEST",
            "Invalid access token",
        )
    assert ebay.get(f"{API}/order", headers=auth).status_code == 200


def test_readonly_scope_cannot_create_fulfillments(ebay, make_order):
    code = consent(ebay, scope=READONLY_SCOPE)["code"]
    token = exchange(ebay, code).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    order = make_order()
    assert ebay.get(f"{API}/order/{order['orderId']}", headers=headers).status_code == 200
    resp = ebay.post(
        f"{API}/order/{order['orderId']}/shipping_fulfillment",
        headers=headers,
        json={"lineItems": [{"lineItemId": order["lineItems"][0]["lineItemId"], "quantity": 1}]},
    )
    assert resp.status_code == 403
    assert resp.get_json()["errors"][0]["errorId"] == 1100


def test_token_refreshes_are_counted(ebay, ebay_tokens):
    for _ in range(3):
        refresh(ebay, ebay_tokens["refresh_token"])
    stats = ebay.get("/sandbox/stats").get_json()
    assert stats["tokenRefreshes"] == 3
    assert stats["codeExchanges"] == 1
    assert stats["requests"]["token"] == 4
