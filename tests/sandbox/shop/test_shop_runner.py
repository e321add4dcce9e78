"""sandbox.shop.testing.start_shop: subprocess start, health wait, log file, stop, failure
reporting."""

import json
import re
import socket
import urllib.request

import pytest
import requests
from bs4 import BeautifulSoup

from sandbox.shop.testing import ShopStartError, start_shop


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_start_and_stop(tmp_path):
    log = tmp_path / "shop.log"
    with start_shop(seed=42, log_path=log) as shop:
        assert shop.alive and shop.url == f"http://127.0.0.1:{shop.port}"
        health = json.loads(urllib.request.urlopen(shop.url + "/sandbox/health", timeout=5).read())
        assert health == {"ok": True, "pid": shop.process.pid, "seed": 42}
        assert shop.control("GET", "/sandbox/catalog")[0]["slug"] == "phone-case"
        assert shop.reset(seed=5) == {"ok": True, "seed": 5}
    assert not shop.alive and shop.process.returncode is not None
    assert not _port_open(shop.port)
    text = log.read_text()
    assert (
        f"listening on http://127.0.0.1:{shop.port} (seed 42)" in text
        and "GET /sandbox/catalog" in text
    )
    shop.stop()  # idempotent


def test_bad_arguments_raise_with_log_tail(tmp_path):
    with pytest.raises(ShopStartError, match="unrecognized arguments: --bogus"):
        start_shop(log_path=tmp_path / "bad.log", extra_args=("--bogus",), timeout=10)


def test_port_in_use_is_reported(shop_server, tmp_path):
    with pytest.raises(ShopStartError, match="exited with code"):
        start_shop(port=shop_server.port, log_path=tmp_path / "busy.log", timeout=10)
    assert shop_server.alive  # the other shop is untouched


def _csrf(session, url):
    html = session.get(url, timeout=10).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_decline_card_option_and_plain_requests_checkout(tmp_path):
    """The whole checkout also works with requests + BeautifulSoup (no JavaScript needed)."""
    with start_shop(
        seed=1, log_path=tmp_path / "d.log", extra_args=("--decline-card", "4242424242424242")
    ) as shop:
        s = requests.Session()
        u = shop.url
        r = s.post(
            f"{u}/login",
            data={
                "email": "buyer@demo.test",
                "password": "demo-password",
                "csrf_token": _csrf(s, f"{u}/login"),
            },
            timeout=10,
        )
        assert r.url == f"{u}/account"
        token = _csrf(s, f"{u}/products/led-desk-lamp")
        s.post(
            f"{u}/cart/add",
            data={"variant_id": "LAMP-STD", "quantity": "1", "csrf_token": token},
            timeout=10,
        )
        address = {
            "full_name": "R Q",
            "address_line1": "1 Main",
            "city": "Austin",
            "state": "TX",
            "postal_code": "73301",
            "country": "US",
            "phone": "5125550100",
            "csrf_token": token,
        }
        assert (
            s.post(f"{u}/checkout/address", data=address, timeout=10).url == f"{u}/checkout/payment"
        )
        card = {
            "payment_method": "card",
            "card_holder": "R Q",
            "card_number": "4242424242424242",
            "card_expiry": "12/39",
            "card_cvc": "123",
            "csrf_token": token,
        }
        assert s.post(f"{u}/checkout/payment", data=card, timeout=10).url == f"{u}/checkout/review"
        r = s.post(f"{u}/checkout/place", data={"order_note": "", "csrf_token": token}, timeout=10)
        soup = BeautifulSoup(r.text, "lxml")
        assert r.url == f"{u}/checkout/payment"
        assert "declined" in soup.select_one("#payment-error").get_text()
        card["card_number"] = (
            "4000000000000002"  # default decline number is not configured in this shop
        )
        s.post(f"{u}/checkout/payment", data=card, timeout=10)
        r = s.post(
            f"{u}/checkout/place", data={"order_note": "req", "csrf_token": token}, timeout=10
        )
        number = (
            BeautifulSoup(r.text, "lxml").select_one("#confirmation-number").get_text(strip=True)
        )
        assert shop.control("GET", f"/sandbox/orders/{number}")["card_last4"] == "0002"
