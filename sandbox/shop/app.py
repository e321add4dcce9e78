"""Flask application factory of the demo supplier shop."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from flask import Flask, render_template, request

from . import account, cart, catalog, checkout, control, orders, pricing
from .seed_data import CATEGORIES
from .store import DEFAULT_DECLINE_CARDS, Store
from .web import STORE_KEY, csrf_token, csrf_valid, current_account, get_store, request_slugs

SHOP_NAME = "NovaMart Supply"


def create_app(
    seed: int = 0, *, decline_cards=DEFAULT_DECLINE_CARDS, secret_key: str | None = None
) -> Flask:
    app = Flask(__name__)
    # Deterministic per seed so a restarted shop (same seed) still accepts saved session cookies.
    app.secret_key = secret_key or hashlib.sha256(f"sandbox-shop:{seed}".encode()).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="shop_session",
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=30),
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions[STORE_KEY] = Store(seed=seed, decline_cards=decline_cards)
    for module in (account, catalog, cart, checkout, orders, control):
        app.register_blueprint(module.bp)
    app.jinja_env.filters["money"] = pricing.money
    app.jinja_env.filters["dec"] = pricing.dec

    @app.context_processor
    def inject():
        acct = current_account()
        store = get_store()
        count = sum(i["quantity"] for i in store.carts.get(acct["email"], [])) if acct else 0
        return {
            "shop_name": SHOP_NAME,
            "csrf_token": csrf_token,
            "account": acct,
            "cart_count": count,
            "categories": CATEGORIES,
            "show_cookie_banner": "cookie_consent" not in request.cookies,
        }

    @app.before_request
    def faults_and_csrf():
        path = request.path
        if path.startswith("/sandbox/") or path.startswith("/static/"):
            return None
        store = get_store()
        slugs = request_slugs()
        slow = store.fault("slow", slugs)
        if slow is not None:
            time.sleep(float(slow.get("delay", 2)))
        if (request.endpoint or "").startswith("checkout.") and store.tick_flaky(slugs):
            return render_template(
                "error.html",
                flaky=True,
                title="Something went wrong",
                message="Something went wrong, please try again.",
                retry_url=request.url if request.method == "GET" else request.referrer,
            ), 500
        if request.method == "POST" and not csrf_valid():
            return render_template(
                "error.html",
                flaky=False,
                title="Security check failed",
                message="Your session has expired or the form is invalid (CSRF token "
                "missing or wrong). Please go back, reload the page and try again.",
                retry_url=request.referrer,
            ), 400
        return None

    @app.errorhandler(404)
    def not_found(_exc):
        if request.path.startswith("/sandbox/"):
            return {"error": "not found"}, 404
        return render_template(
            "error.html",
            flaky=False,
            title="Page not found",
            message="The page you are looking for does not exist.",
            retry_url=None,
        ), 404

    return app
