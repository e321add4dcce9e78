"""The Amazon replica's Flask app: amazon.com's paths, its real saved sign-in pages (their forms
answered), and the shopping, checkout, order and tracking pages in Amazon's documented markup."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
from decimal import Decimal
from functools import lru_cache, wraps
from pathlib import Path

from flask import Flask, redirect, request, session, url_for

from .store import DEFAULT_DECLINE_CARDS, Store, money

PAGES = Path(__file__).parent / "pages"
STORE_KEY = "amazon_replica_store"
# The saved pages are served without their scripts (Amazon's own JavaScript and AWS WAF's cannot
# run here): forms and markup only, as a bot without JavaScript sees them.
CSP = "script-src 'none'; img-src 'self' data:; connect-src 'self'; frame-src 'none'"
COUNTRIES = (("US", "United States"), ("CA", "Canada"), ("GB", "United Kingdom"))


@lru_cache(maxsize=32)
def real_page(name: str) -> str:
    """A saved amazon.com sign-in page, its absolute form actions made relative to the replica."""
    html = gzip.decompress((PAGES / f"{name}.html.gz").read_bytes()).decode("utf-8", "replace")
    return re.sub(r"https://www\.amazon\.com(?::443)?(?=/)", "", html)


def store() -> Store:
    from flask import current_app

    return current_app.extensions[STORE_KEY]


def signed_in_email() -> str | None:
    email = session.get("email") if session.get("signed_in") else None
    if email and session.get("epoch") == store().session_epoch and email in store().accounts:
        return email
    return None


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if signed_in_email() is None:
            return redirect(
                url_for("signin.signin_page", **{"openid.return_to": request.full_path})
            )
        return view(*args, **kwargs)

    return wrapper


def create_app(seed: int = 0, *, decline_cards=DEFAULT_DECLINE_CARDS) -> Flask:
    app = Flask(__name__)
    app.secret_key = hashlib.sha256(f"sandbox-amazon:{seed}".encode()).hexdigest()
    app.config.update(SESSION_COOKIE_NAME="session-id", SESSION_COOKIE_SAMESITE="Lax")
    app.extensions[STORE_KEY] = Store(seed=seed, decline_cards=decline_cards)
    app.jinja_env.filters["usd"] = lambda v: f"${Decimal(v):,.2f}"

    @app.after_request
    def no_scripts(response):
        response.headers["Content-Security-Policy"] = CSP
        return response

    @app.context_processor
    def nav():
        email = signed_in_email()
        count = sum(line["quantity"] for line in store().cart(email)) if email else 0
        return {"signed_in": email, "cart_count": count}

    from . import control, shopping, signin

    for module in (control, signin, shopping):
        app.register_blueprint(module.bp)
    return app


def order_date(order) -> str:
    when = dt.datetime.fromisoformat(order["placed_at"])
    return f"{when:%B} {when.day}, {when.year}"


def money_str(value) -> str:
    return f"${money(value):,.2f}"
