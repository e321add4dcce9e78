"""The emulator over real HTTP: ``python -m sandbox.ebay`` as a subprocess, and the in-thread
server."""

import base64
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from sandbox.ebay.app import create_app
from sandbox.ebay.server import start_in_thread
from sandbox.ebay.testing import SandboxError, start_ebay_sandbox
from tests.sandbox.ebay.ebay_helpers import API, SCOPE, check_requests

CLIENT = ("cli-client", "cli-secret")
ACCEPT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def sandbox_proc(tmp_path_factory):
    log = tmp_path_factory.mktemp("ebay-sandbox") / "sandbox.log"
    proc = start_ebay_sandbox(
        seed=5,
        log_path=log,
        extra_args=[
            "--client-id",
            CLIENT[0],
            "--client-secret",
            CLIENT[1],
            "--redirect-uri",
            ACCEPT,
            "--ru-name",
            "cli-RuName",
        ],
    )
    yield proc
    proc.stop()


def _checked(resp):
    check_requests(resp)
    return resp


def test_subprocess_full_flow_over_http(sandbox_proc):
    url = sandbox_proc.url
    http = requests.Session()
    consent = http.get(
        f"{url}/oauth2/authorize",
        allow_redirects=False,
        params={
            "client_id": CLIENT[0],
            "redirect_uri": "cli-RuName",
            "response_type": "code",
            "scope": SCOPE,
            "state": "abc",
        },
    )
    assert consent.status_code == 302
    params = parse_qs(urlparse(consent.headers["Location"]).query)
    assert params["state"] == ["abc"]
    token = _checked(
        http.post(
            f"{url}/identity/v1/oauth2/token",
            auth=CLIENT,
            data={
                "grant_type": "authorization_code",
                "code": params["code"][0],
                "redirect_uri": "cli-RuName",
            },
        )
    )
    assert token.status_code == 200
    http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    sale = _checked(
        http.post(f"{url}/sandbox/orders", json={"sku": "P-1", "price": "3.50", "quantity": 1})
    )
    assert sale.status_code == 201
    order = sale.json()
    listing = _checked(
        http.get(
            f"{url}{API}/order",
            params={"filter": "orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}", "limit": "10"},
        )
    )
    assert listing.status_code == 200
    assert "%7BNOT_STARTED%7CIN_PROGRESS%7D" in listing.request.url  # requests percent-encodes
    assert [o["orderId"] for o in listing.json()["orders"]] == [order["orderId"]]
    assert listing.headers["X-EBAY-C-REQUEST-ID"]

    created = _checked(
        http.post(
            f"{url}{API}/order/{order['orderId']}/shipping_fulfillment",
            json={
                "lineItems": [{"lineItemId": order["lineItems"][0]["lineItemId"], "quantity": 1}],
                "shippingCarrierCode": "USPS",
                "trackingNumber": "9400100000000000000001",
            },
        )
    )
    assert created.status_code == 201
    location = created.headers["Location"]
    assert (
        location
        == f"{url}{API}/order/{order['orderId']}/shipping_fulfillment/9400100000000000000001"
    )
    fetched = _checked(http.get(location))
    assert fetched.json()["shipmentTrackingNumber"] == "9400100000000000000001"
    shipped = _checked(http.get(f"{url}{API}/order/{order['orderId']}")).json()
    assert shipped["orderFulfillmentStatus"] == "FULFILLED"
    bad = _checked(http.get(f"{url}{API}/order", params={"limit": "500"}))
    assert bad.status_code == 400 and bad.json()["errors"][0]["errorId"] == 31100
    stats = sandbox_proc.control("GET", "/sandbox/stats")
    assert stats["requests"]["createShippingFulfillment"] == 1
    assert stats["codeExchanges"] == 1


def test_subprocess_client_credentials_come_from_cli(sandbox_proc):
    raw = base64.b64encode(b"autoorder-demo:demo-secret").decode()
    resp = _checked(
        requests.post(
            f"{sandbox_proc.url}/identity/v1/oauth2/token",
            headers={"Authorization": f"Basic {raw}"},
            data={"grant_type": "refresh_token", "refresh_token": "x"},
        )
    )
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"


def test_runner_stop_kills_process_and_keeps_log(tmp_path):
    proc = start_ebay_sandbox(
        seed=1, log_path=tmp_path / "one.log", extra_args=["--generate-sales-every", "0.05"]
    )
    try:
        assert proc.alive()
        deadline = time.monotonic() + 5
        while proc.control("GET", "/sandbox/stats")["orders"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.control("GET", "/sandbox/stats")["orders"] >= 1
    finally:
        proc.stop()
    assert not proc.alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{proc.url}/sandbox/health", timeout=2)
    assert "listening on" in (tmp_path / "one.log").read_text()
    proc.stop()  # idempotent


def test_runner_reports_a_failed_start(tmp_path):
    with pytest.raises(SandboxError) as info:
        start_ebay_sandbox(log_path=tmp_path / "bad.log", extra_args=["--no-such-flag"], timeout=10)
    assert "no-such-flag" in str(info.value)


def test_start_in_thread_serves_real_http():
    app = create_app(seed=3)
    base_url, stop = start_in_thread(app)
    try:
        health = requests.get(f"{base_url}/sandbox/health", timeout=5)
        assert health.status_code == 200 and health.json()["seed"] == 3
        unauthorized = _checked(requests.get(f"{base_url}{API}/order", timeout=5))
        assert unauthorized.status_code == 401
    finally:
        stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/sandbox/health", timeout=2)


def test_concurrent_fulfillments_never_overship():
    """Threaded server + lock: of 8 parallel one-unit shipments of a 3-unit line item, exactly 3
    succeed."""
    from concurrent.futures import ThreadPoolExecutor

    app = create_app(seed=4)
    base_url, stop = start_in_thread(app)
    try:
        order = requests.post(
            f"{base_url}/sandbox/orders", json={"sku": "C", "price": 1, "quantity": 3}, timeout=5
        ).json()
        token = requests.post(f"{base_url}/sandbox/tokens", json={}, timeout=5).json()[
            "access_token"
        ]
        url = f"{base_url}{API}/order/{order['orderId']}/shipping_fulfillment"
        line = order["lineItems"][0]["lineItemId"]

        def ship(n):
            return requests.post(
                url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
                json={
                    "lineItems": [{"lineItemId": line, "quantity": 1}],
                    "shippingCarrierCode": "USPS",
                    "trackingNumber": f"TRACK{n}",
                },
            )

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = [_checked(r) for r in pool.map(ship, range(8))]
        assert sorted(r.status_code for r in results) == [201] * 3 + [400] * 5
        final = requests.get(
            f"{base_url}{API}/order/{order['orderId']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        ).json()
        assert final["orderFulfillmentStatus"] == "FULFILLED"
    finally:
        stop()
