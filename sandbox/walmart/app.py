"""The Walmart replica's Flask app: walmart.com's paths, the session cookie and its staleness
(403), and the page data every page carries as ``__NEXT_DATA__`` JSON (as walmart.com's Next.js
pages do)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import wraps

from flask import Flask, Response, redirect, request, session, url_for
from markupsafe import Markup

from .store import DEFAULT_DECLINE_CARDS, Store

STORE_KEY = "walmart_replica_store"
# The press-and-hold frame needs its own small script; nothing is fetched from elsewhere.
CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src 'self' data:"


def store() -> Store:
    from flask import current_app

    return current_app.extensions[STORE_KEY]


def session_state() -> str:
    """``in`` (a live session), ``stale`` (a session cookie from before /sandbox/sessions/expire:
    Walmart answers such cookies 403) or ``out``."""
    email = session.get("email")
    if not email:
        return "out"
    if session.get("epoch") != store().session_epoch or email not in store().accounts:
        return "stale"
    return "in"


def signed_in_email() -> str | None:
    return session.get("email") if session_state() == "in" else None


def stale_answer():
    return Response(
        "<!DOCTYPE html><html><head><title>Access Denied</title></head><body>"
        '<h1 data-automation-id="access-denied">Access Denied</h1>'
        "<p>You don't have permission to access this page. Please sign in again.</p>"
        "</body></html>",
        status=403,
        mimetype="text/html",
    )


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        state = session_state()
        if state == "stale":
            return stale_answer()
        if state == "out":
            return redirect(url_for("site.login_page", returnUrl=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def next_data(page: str, data: dict) -> Markup:
    """The page's data as walmart.com's Next.js pages carry it: ``<script id="__NEXT_DATA__">``
    with ``props.pageProps.initialData.data`` (public scrapers read products and orders there)."""
    doc = {"props": {"pageProps": {"initialData": {"data": data}}}, "page": page}
    text = json.dumps(doc, default=str).replace("</", "<\\/")
    return Markup(f'<script id="__NEXT_DATA__" type="application/json">{text}</script>')


def create_app(seed: int = 0, *, decline_cards=DEFAULT_DECLINE_CARDS) -> Flask:
    app = Flask(__name__)
    app.secret_key = hashlib.sha256(f"sandbox-walmart:{seed}".encode()).hexdigest()
    app.config.update(SESSION_COOKIE_NAME="auth", SESSION_COOKIE_SAMESITE="Lax")
    app.extensions[STORE_KEY] = Store(seed=seed, decline_cards=decline_cards)
    app.jinja_env.filters["usd"] = lambda v: f"${Decimal(v):,.2f}"
    app.jinja_env.globals["next_data"] = next_data

    @app.before_request
    def stale_cookies():
        """A stale session cookie is answered 403 on every page, the sign-in page included:
        the browser must drop its cookies and sign in afresh."""
        if not request.path.startswith("/sandbox/") and session_state() == "stale":
            return stale_answer()
        return None

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = CSP
        return response

    @app.context_processor
    def nav():
        email = signed_in_email()
        count = sum(line["quantity"] for line in store().cart(email)) if email else 0
        return {"signed_in": email, "cart_count": count}

    from . import control, site

    app.register_blueprint(control.bp)
    app.register_blueprint(site.bp)
    return app
