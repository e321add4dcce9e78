"""Sign-in (password, optional 2FA code), bot challenge, sign-out and the account overview."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from .web import challenge_page, current_account, get_store, login_required, safe_next

bp = Blueprint("account", __name__)


def _start_session(acct: dict, stage: str, next_url: str) -> None:
    session.clear()
    session.permanent = True
    session.update(uid=acct["email"], epoch=acct["epoch"], auth=stage, next=next_url)


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
        return render_template("login_2fa.html", error=None, masked_email=masked)
    code = "".join(request.form.get("code", "").split())
    if not acct["otp"] or code != acct["otp"]:
        error = "The verification code is incorrect. Please check the code and try again."
        return render_template("login_2fa.html", error=error, masked_email=masked), 200
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
    acct = current_account()
    if acct is None:
        return redirect(url_for("account.login"))
    if not acct["captcha"]:
        return redirect(safe_next(session.pop("next", None)))
    if request.method == "POST":
        return render_template(
            "challenge.html", error="Verification failed. Please complete the puzzle to continue."
        ), 403
    return challenge_page()


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
