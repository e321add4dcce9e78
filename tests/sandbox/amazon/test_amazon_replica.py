"""The Amazon replica in-process (Flask test client): the real saved sign-in pages answered at
Amazon's paths, the control API's validation, and that it never imports autoorder."""

import re
from pathlib import Path

import pyotp
import pytest

from sandbox.amazon import create_app

REPLICA = Path(__file__).resolve().parents[3] / "sandbox" / "amazon"


@pytest.fixture
def amazon():
    client = create_app(seed=1).test_client()
    client.post("/sandbox/accounts", json={"email": "a@b.test", "password": "pw"})
    return client


def sign_in(client, password="pw"):
    client.post("/ap/signin", data={"email": "a@b.test", "password": ""})
    return client.post("/ap/signin", data={"password": password})


def test_never_imports_autoorder():
    for source in REPLICA.rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+autoorder", source.read_text(), re.M), source


def test_the_real_pages_are_served_with_their_licence_and_without_scripts(amazon):
    assert (REPLICA / "pages" / "LICENSE").read_text().startswith("MIT")
    page = amazon.get("/your-orders/orders", follow_redirects=True)
    assert "form" in page.text and 'name="signIn"' in page.text
    assert "https://www.amazon.com/ap/signin" not in page.text  # answered here
    assert "script-src 'none'" in page.headers["Content-Security-Policy"]


def test_password_then_order_history(amazon):
    claim = amazon.post("/ap/signin", data={"email": "a@b.test", "password": ""})
    assert 'id="ap_password"' in claim.text
    assert "auth-error-message-box" in sign_in(amazon, "wrong").text
    done = sign_in(amazon)
    assert done.status_code == 302 and "js-yo-container" in amazon.get(done.location).text
    unknown = amazon.post("/ap/signin", data={"email": "nobody@b.test", "password": ""})
    assert "auth-error-message-box" in unknown.text


def test_authenticator_code(amazon):
    secret = pyotp.random_base32()
    amazon.post(
        "/sandbox/accounts", json={"email": "a@b.test", "password": "pw", "totp_secret": secret}
    )
    assert 'id="auth-mfa-form"' in sign_in(amazon).text
    wrong = amazon.post(
        "/ap/signin",
        data={"otpCode": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"},
    )
    assert "auth-error-message-box" in wrong.text
    assert amazon.post("/ap/signin", data={"otpCode": pyotp.TOTP(secret).now()}).status_code == 302


@pytest.mark.parametrize(
    "fault,marker",
    [
        ("captcha", "cvf-widget-form-captcha"),
        ("code", "verification-code-form"),
        ("intent", "intent-confirmation-form"),
    ],
)
def test_challenges_after_the_password(amazon, fault, marker):
    amazon.post("/sandbox/faults", json={"name": fault})
    assert marker in sign_in(amazon).text


def test_the_waf_page_and_bad_control_calls(amazon):
    amazon.post("/sandbox/faults", json={"name": "waf"})
    waf = amazon.get("/ap/signin")
    assert waf.status_code == 202 and "challenge-container" in waf.text
    assert amazon.post("/sandbox/faults", json={"name": "nonsense"}).status_code == 400
    assert amazon.post("/sandbox/accounts", json={"email": "x"}).status_code == 400
    assert amazon.post("/sandbox/products", json={"asin": "short"}).status_code == 400
    assert amazon.post("/sandbox/orders/nope/ship", json={}).status_code == 404
    assert amazon.get("/dp/B000000000").status_code == 404
