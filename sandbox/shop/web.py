"""Request helpers shared by the route modules: store access, login, CSRF, layout selection."""

from __future__ import annotations

import functools
import secrets

from flask import current_app, g, redirect, render_template, request, session, url_for

from .store import Store

STORE_KEY = "sandbox_shop_store"


def get_store() -> Store:
    return current_app.extensions[STORE_KEY]


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_valid() -> bool:
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    return bool(expected) and secrets.compare_digest(sent, expected)


def current_account() -> dict | None:
    """The fully authenticated account of this session (password + 2FA done), or None."""
    if "account" in g:
        return g.account
    acct = None
    if session.get("auth") == "ok":
        candidate = get_store().account(session.get("uid"))
        if candidate is not None and candidate["epoch"] == session.get("epoch"):
            acct = candidate
    g.account = acct
    return acct


def safe_next(target: str | None, default: str = "/account") -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def challenged(acct: dict) -> bool:
    """Whether this browser session must pass the bot challenge before the account area."""
    return bool(acct["captcha"]) and not session.get("human")


def challenge_page(error=None, next_url=None):
    """The bot challenge (HTTP 403): a new slider puzzle, its gap remembered in the session."""
    target = session["captcha_target"] = get_store().captcha_target()
    next_url = next_url or safe_next(request.full_path.rstrip("?"))
    return render_template("challenge.html", error=error, target=target, next_url=next_url), 403


def login_required(view):
    """Account-area pages: redirect to login when signed out; the bot challenge when the account has
    captcha on and this browser session has not passed it yet."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        acct = current_account()
        if acct is None:
            return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
        if challenged(acct):
            return challenge_page()
        return view(*args, **kwargs)

    return wrapper


def request_slugs() -> list[str]:
    """Products the current request is about (for per-product faults)."""
    endpoint = request.endpoint or ""
    if endpoint == "catalog.product":
        return [request.view_args.get("slug", "")]
    if endpoint.startswith("checkout.") or endpoint.startswith("cart."):
        return get_store().cart_slugs(session.get("uid"))
    return []


def alt_layout(slugs) -> bool:
    return get_store().fault("alternate_layout", slugs) is not None


def render_layout(name: str, slugs, **ctx):
    """Render templates/<name> or, when the alternate_layout fault applies, templates/alt/<name>."""
    alt = alt_layout(slugs)
    return render_template(f"alt/{name}" if alt else name, alt_layout=alt, **ctx)


def form_value(*names: str) -> str:
    """First non-empty form value among names (standard field name first, then alternate-layout
    name)."""
    for name in names:
        value = request.form.get(name)
        if value:
            return value
    return ""
