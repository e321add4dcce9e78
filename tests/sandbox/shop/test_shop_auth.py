"""Sign-in, 2FA, bot challenge, sign-out, CSRF and session handling (Flask test client)."""

import re


def test_wrong_password_shows_error_and_stays_signed_out(buyer, client):
    resp = buyer.login(password="nope")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="login-error"' in html
    assert "Incorrect email or password" in html
    assert 'value="buyer@demo.test"' in html  # email kept in the form
    assert client.get("/account").headers["Location"] == "/login?next=/account"


def test_unknown_email_is_rejected(buyer):
    assert 'id="login-error"' in buyer.login(email="ghost@demo.test").get_data(as_text=True)


def test_login_then_account_page(buyer, client):
    resp = buyer.login()
    assert resp.status_code == 302 and resp.headers["Location"] == "/account"
    html = client.get("/account").get_data(as_text=True)
    assert '<strong id="account-email">buyer@demo.test</strong>' in html
    assert 'id="gift-card-balance" data-amount="500.00"' in html
    assert "$500.00" in html


def test_login_redirects_to_next(buyer):
    resp = buyer.post(
        "/login", {"email": "buyer@demo.test", "password": "demo-password", "next": "/orders"}
    )
    assert resp.headers["Location"] == "/orders"
    evil = buyer.post(
        "/login", {"email": "buyer@demo.test", "password": "demo-password", "next": "//evil.test/x"}
    )
    assert evil.headers["Location"] == "/account"


def test_session_cookie_is_persistent(buyer):
    resp = buyer.login()
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("shop_session="))
    assert "Expires=" in cookie and "HttpOnly" in cookie


def test_two_factor_flow(buyer, client):
    resp = buyer.login(email="2fa@demo.test")
    assert resp.headers["Location"] == "/login/verify"
    assert client.get("/account").status_code == 302  # password alone is not enough
    page = client.get("/login/verify").get_data(as_text=True)
    assert 'id="otp-code"' in page and "2***@demo.test" in page
    code = client.get("/sandbox/accounts/2fa@demo.test/2fa-code").get_json()["code"]
    assert re.fullmatch(r"\d{6}", code)
    wrong = "000000" if code != "000000" else "111111"
    bad = buyer.post("/login/verify", {"code": wrong})
    assert 'id="otp-error"' in bad.get_data(as_text=True)
    ok = buyer.post("/login/verify", {"code": code})
    assert ok.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    # the code is single-use
    assert client.get("/sandbox/accounts/2fa@demo.test/2fa-code").status_code == 404


def test_two_factor_resend_issues_new_code(buyer, client):
    buyer.login(email="2fa@demo.test")
    first = client.get("/sandbox/accounts/2fa@demo.test/2fa-code").get_json()["code"]
    buyer.post("/login/verify/resend")
    second = client.get("/sandbox/accounts/2fa@demo.test/2fa-code").get_json()["code"]
    assert first != second
    assert 'id="otp-error"' in buyer.post("/login/verify", {"code": first}).get_data(as_text=True)
    assert buyer.post("/login/verify", {"code": second}).headers["Location"] == "/account"


def test_captcha_account_gets_challenge_instead_of_account_area(buyer, client):
    buyer.login(email="captcha@demo.test")
    for path in ("/account", "/orders", "/cart", "/checkout/address"):
        resp = client.get(path)
        assert resp.status_code == 403, path
        assert 'id="captcha-challenge"' in resp.get_data(as_text=True)
    failed = buyer.post("/challenge")
    assert failed.status_code == 403
    assert 'id="captcha-error"' in failed.get_data(as_text=True)
    # an operator turns the challenge off -> the account area is reachable again
    client.patch("/sandbox/accounts/captcha@demo.test", json={"captcha": False})
    assert client.get("/account").status_code == 200


def test_an_authenticator_key_makes_the_second_step_take_totp_codes(buyer, client):
    import pyotp

    key = pyotp.random_base32()
    bad = client.patch("/sandbox/accounts/2fa@demo.test", json={"totp_secret": "not base32!"})
    assert bad.status_code == 400
    account = client.patch("/sandbox/accounts/2fa@demo.test", json={"totp_secret": key})
    assert account.get_json()["totp"] is True and key not in account.get_data(as_text=True)
    buyer.login(email="2fa@demo.test")
    page = client.get("/login/verify").get_data(as_text=True)
    assert 'data-method="app"' in page
    assert client.get("/sandbox/accounts/2fa@demo.test/2fa-code").status_code == 404  # none sent
    wrong = buyer.post("/login/verify", {"code": "000000"})
    assert 'id="otp-error"' in wrong.get_data(as_text=True)
    assert buyer.post("/login/verify", {"code": pyotp.TOTP(key).now()}).status_code == 302
    assert client.get("/account").status_code == 200


def test_the_slider_is_passed_by_a_drag_onto_the_gap_and_remembered_by_the_session(buyer, client):
    import json

    buyer.login(email="captcha@demo.test")
    page = client.get("/orders")
    target = int(
        re.search(r'id="captcha-gap" style="left:(\d+)px"', page.get_data(as_text=True))[1]
    )
    jump = buyer.post("/challenge", {"captcha_offset": str(target), "captcha_track": "[[0, 0]]"})
    assert jump.status_code == 403  # one jump onto the gap is no drag
    page = client.get("/orders")
    target = int(
        re.search(r'id="captcha-gap" style="left:(\d+)px"', page.get_data(as_text=True))[1]
    )
    track = [[i * 50, target * i // 6] for i in range(7)]
    passed = buyer.post(
        "/challenge",
        {"captcha_offset": str(target + 3), "captcha_track": json.dumps(track), "next": "/orders"},
    )
    assert passed.status_code == 302 and passed.headers["Location"] == "/orders"
    assert client.get("/orders").status_code == 200
    buyer.login(email="captcha@demo.test")  # signing in again in this browser: still passed
    assert client.get("/orders").status_code == 200


def test_logout(logged_in, client):
    resp = logged_in.post("/logout")
    assert resp.headers["Location"].startswith("/login")
    assert client.get("/account").status_code == 302


def test_expired_sessions_force_new_login(logged_in, client):
    assert client.get("/orders").status_code == 200
    client.patch("/sandbox/accounts/buyer@demo.test", json={"expire_sessions": True})
    assert client.get("/orders").headers["Location"] == "/login?next=/orders"


def test_post_without_csrf_token_is_rejected(client):
    resp = client.post("/login", data={"email": "buyer@demo.test", "password": "demo-password"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="error-page"' in html and "CSRF" in html
    assert client.get("/account").status_code == 302


def test_post_with_wrong_csrf_token_is_rejected(logged_in, client):
    resp = client.post(
        "/cart/add", data={"variant_id": "PC-BLK", "quantity": "1", "csrf_token": "forged"}
    )
    assert resp.status_code == 400
    assert 'id="cart-empty"' in client.get("/cart").get_data(as_text=True)


def test_every_form_carries_a_csrf_token(logged_in, client):
    logged_in.add("PC-BLK")
    pages = ["/login", "/products/phone-case", "/cart", "/checkout/address"]
    for path in pages:
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        forms = html.count("<form")
        post_forms = len(re.findall(r'<form[^>]*method="post"', html))
        assert post_forms >= 1, path
        assert html.count('name="csrf_token"') >= post_forms, path
        assert forms >= post_forms
