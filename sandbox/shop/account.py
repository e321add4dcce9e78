"""Sign-in (password, optional 2FA code), bot challenge, sign-out and the account overview."""

from __future__ import annotations

import json

import pyotp
from flask import Blueprint, redirect, render_template, request, session, url_for

from .web import (
    challenge_page,
    challenged,
    current_account,
    get_store,
    login_required,
    safe_next,
)

bp = Blueprint("account", __name__)


def _start_session(acct: dict, stage: str, next_url: str) -> None:
    human = session.get("human")  # a passed bot challenge stays with the browser (a clearance)
    session.clear()
    session.permanent = True
    session.update(uid=acct["email"], epoch=acct["epoch"], auth=stage, next=next_url)
    if human:
        session["human"] = human


def _code_ok(acct: dict, code: str) -> bool:
    """The e-mailed code just issued, or (an account with an authenticator key) its TOTP code."""
    if acct["totp_secret"]:
        return pyotp.TOTP(acct["totp_secret"]).verify(code, valid_window=1)
    return bool(acct["otp"]) and code == acct["otp"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_account() is not None:
            return redirect(next_url)
        return render_template("login.html", error=None, email="", next_url=next_url)
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    acct = get_store().authenticate(email, password)
    if acct is None:
        error = "Incorrect email or password. Please try again."
        return render_template("login.html", error=error, email=email, next_url=next_url), 200
    if acct["two_factor"]:
        _start_session(acct, "2fa", next_url)
        if not acct["totp_secret"]:  # an authenticator app makes its own codes: nothing is sent
            get_store().issue_otp(acct["email"])
        return redirect(url_for("account.verify"))
    _start_session(acct, "ok", next_url)
    return redirect(next_url)


@bp.route("/login/verify", methods=["GET", "POST"])
def verify():
    store = get_store()
    acct = store.account(session.get("uid"))
    if session.get("auth") != "2fa" or acct is None:
        return redirect(url_for("account.login"))
    masked = acct["email"][0] + "***@" + acct["email"].split("@", 1)[1]
    if request.method == "GET":
        return render_template(
            "login_2fa.html", error=None, masked_email=masked, app=bool(acct["totp_secret"])
        )
    code = "".join(request.form.get("code", "").split())
    if not _code_ok(acct, code):
        error = "The verification code is incorrect. Please check the code and try again."
        return render_template(
            "login_2fa.html", error=error, masked_email=masked, app=bool(acct["totp_secret"])
        ), 200
    with store.lock:
        acct["otp"] = None
    session["auth"] = "ok"
    return redirect(safe_next(session.pop("next", None)))


@bp.route("/login/verify/resend", methods=["POST"])
def resend_code():
    if session.get("auth") != "2fa":
        return redirect(url_for("account.login"))
    get_store().issue_otp(session["uid"])
    return redirect(url_for("account.verify"))


@bp.route("/challenge", methods=["GET", "POST"])
def challenge():
    """The "slide to verify" puzzle: drag the knob until the piece fills the gap. Passed once per
    browser session (the session cookie remembers it, across sign-ins)."""
    acct = current_account()
    if acct is None:
        return redirect(url_for("account.login"))
    next_url = safe_next(request.form.get("next") or session.get("next"))
    if not challenged(acct):
        session.pop("next", None)
        return redirect(next_url)
    if request.method == "POST":
        if _slid_into_place(session.pop("captcha_target", None)):
            session["human"] = True
            session.pop("next", None)
            return redirect(next_url)
        return challenge_page(
            error="Verification failed. Please complete the puzzle to continue.", next_url=next_url
        )
    return challenge_page(next_url=next_url)


SLIDER_TOLERANCE = 6  # px between the piece and the gap
HUMAN_DRAG = (5, 150)  # at least this many pointer positions over at least this many ms


def _slid_into_place(target) -> bool:
    """Whether the posted drag ends on the gap and looks like a hand moved it (a track of pointer
    positions over time, not one jump)."""
    try:
        offset = int(request.form.get("captcha_offset", ""))
        track = json.loads(request.form.get("captcha_track") or "[]")
        times = [int(point[0]) for point in track]
    except (ValueError, TypeError, IndexError, KeyError):
        return False
    return (
        target is not None
        and abs(offset - int(target)) <= SLIDER_TOLERANCE
        and len(times) >= HUMAN_DRAG[0]
        and times[-1] - times[0] >= HUMAN_DRAG[1]
    )


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("account.login", logged_out=1))


@bp.route("/account")
@login_required
def overview():
    store = get_store()
    acct = current_account()
    recent = store.orders_for(acct["email"])[:3]
    return render_template("account.html", recent_orders=recent)
