"""Log in and out, change the password. Every sign-in attempt is audited (autoorder.signins) and
throttled per account and per address; logout and a password change end every session."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from autoorder import clock, signins
from autoorder.extensions import db
from autoorder.forms import LoginForm, PasswordChangeForm
from autoorder.models import User
from autoorder.routes import render_form

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("orders.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email, ip = form.email.data.strip().lower(), request.remote_addr or "unknown"
        agent = request.user_agent.string
        wait = signins.retry_after(email, ip)
        if wait is not None:
            signins.record(email, ip, "throttled", user_agent=agent)
            db.session.commit()
            flash(
                "Too many failed sign-ins for this account or from this address. "
                f"Try again in {signins.in_words(wait)}.",
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            result = "unknown_user"
        elif not user.check_password(form.password.data):
            result = "wrong_password"
        else:
            result = "ok" if user.active else "inactive"
        signins.record(email, ip, result, user=user, user_agent=agent)
        if result != "ok":
            db.session.commit()
            flash("Wrong email or password.", "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        user.last_login_at = clock.now()
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """End this session and every other one of the user (copied cookies, remember-me cookies)."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        ip = request.remote_addr or "unknown"
        wait = signins.retry_after(user.email, ip)  # a stolen session cannot guess the password
        if wait is not None:
            form.current_password.errors.append(
                f"Too many wrong passwords. Try again in {signins.in_words(wait)}."
            )
            return render_template("auth/password.html", form=form), 429
        if not user.check_password(form.current_password.data):
            signins.record(
                user.email, ip, "wrong_password", user=user, user_agent="password change"
            )
            db.session.commit()
            form.current_password.errors.append("This is not your current password.")
            return render_template("auth/password.html", form=form), 422
        user.set_password(form.new_password.data)
        user.end_sessions()
        db.session.commit()
        login_user(user)  # this browser stays signed in, with the new session generation
        flash(
            "Password changed. Every other session and remembered login was signed out.", "success"
        )
        return redirect(url_for("orders.index"))
    return render_form("auth/password.html", form)


def _safe_next(target):
    """Only follow a relative ?next= so the login page is no open redirect."""
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return url_for("orders.index")
