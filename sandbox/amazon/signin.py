"""Sign-in: the real saved amazon.com pages, their forms answered (e-mail, password, intent,
two-step code by authenticator, device choice) and the faults (WAF, captcha, sent code)."""

from __future__ import annotations

import re

import pyotp
from flask import Blueprint, redirect, request, session, url_for

from .app import real_page, store

bp = Blueprint("signin", __name__)
AFTER_PASSWORD = (
    ("captcha", "post_signin_captcha_1"),
    ("code", "post_signin_captcha_otp"),
    ("intent", "post_signin_intent"),
)


@bp.get("/ap/signin")
def signin_page():
    session["return_to"] = _local(request.args.get("openid.return_to"))
    if store().fault("waf"):
        return real_page("waf_challenge"), 202
    return real_page("signin")


@bp.post("/ap/signin")
def signin_post():
    form = request.form
    if "otpDeviceContext" in form:  # the device choice: "send the code" — by text message
        return real_page("post_signin_mfa")
    if "otpCode" in form:
        return _code_step(form)
    return _password_step(form)


def _code_step(form):
    acct = store().accounts.get(session.get("pending_email", ""))
    code = re.sub(r"\D", "", form.get("otpCode", ""))
    secret = acct and acct.get("totp_secret")
    if not secret or not pyotp.TOTP(secret).verify(code, valid_window=1):
        return real_page("post_signin_mfa_invalid_otp")
    return _signed_in(acct["email"])


def _password_step(form):
    s = store()
    password, email = form.get("password", ""), form.get("email", "").strip().lower()
    if not password or "pending_email" not in session:  # the e-mail step (or both at once)
        if email not in s.accounts:
            return real_page("post_signin_invalid_email")
        session["pending_email"] = email
        if not password:
            return real_page("signin_claim_password")
    acct = s.accounts[session["pending_email"]]
    if password != acct["password"]:
        return real_page("post_signin_invalid_password")
    for fault, page in AFTER_PASSWORD:
        if s.fault(fault):
            return real_page(page)
    if acct["two_factor"] == "totp":
        return real_page("post_signin_mfa")
    if acct["two_factor"] == "sms":
        return real_page("post_signin_new_otp")
    return _signed_in(acct["email"])


@bp.post("/ap/register")
def intent_continue():
    email = session.get("pending_email")
    if email not in store().accounts:
        return redirect(url_for("signin.signin_page"))
    return _signed_in(email)


@bp.route("/ap/cvf/<path:_rest>", methods=["GET", "POST"])
@bp.route("/ap/verify", methods=["GET", "POST"])
@bp.route("/errors/validateCaptcha", methods=["GET", "POST"])
def challenge_answer(_rest=None):  # a captcha / sent code cannot be answered by the bot
    return real_page("post_signin_captcha_1")


@bp.get("/gp/flex/sign-out.html")
def sign_out():
    session.clear()
    return redirect("/")


def _local(target: str | None) -> str:
    target = target or "/your-orders/orders"
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _signed_in(email: str):
    back = session.get("return_to") or "/your-orders/orders"
    session.clear()
    session.update(email=email, signed_in=True, epoch=store().session_epoch)
    session.permanent = True
    return redirect(back)
