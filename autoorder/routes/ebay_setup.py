"""The eBay set-up page: which keys and settings are present, what eBay's developer portal needs
from them, the day's eBay call budget, and a self-test of the account-deletion endpoint's challenge
answer.

For the person who runs the installation: the server operator only (``operator_required``); a team
admin is not an operator.
"""

import re
import secrets
from urllib.parse import urlsplit

import requests
from flask import Blueprint, current_app, render_template, url_for
from sqlalchemy import func, select

from autoorder import clock
from autoorder.auth import operator_required
from autoorder.ebay import budget, notifications
from autoorder.extensions import db
from autoorder.models import EbayDeletionNotice

bp = Blueprint("ebay_setup", __name__)

TOKEN_RULE = re.compile(r"[A-Za-z0-9_-]{32,80}")  # eBay: 32 to 80 characters, A-Z a-z 0-9 _ -
SELF_TEST_TIMEOUT = 10


def settings_status() -> list[dict]:
    config = current_app.config
    endpoint = notifications.endpoint_url()
    token = config.get("EBAY_DELETION_VERIFICATION_TOKEN") or ""
    base = config.get("PUBLIC_BASE_URL")
    return [
        _row("EBAY_CLIENT_ID", "App ID (Client ID)", config.get("EBAY_CLIENT_ID"), show=True),
        _row("EBAY_CLIENT_SECRET", "Cert ID (Client Secret)", config.get("EBAY_CLIENT_SECRET")),
        _row(
            "EBAY_RU_NAME",
            "RuName (eBay Redirect URL name)",
            config.get("EBAY_REDIRECT_URI"),
            show=True,
        ),
        _row(
            "AUTOORDER_PUBLIC_BASE_URL",
            "Public base URL of this installation",
            base,
            show=True,
            problem=_url_problem(base),
        ),
        _row(
            "EBAY_DELETION_ENDPOINT_URL",
            "Marketplace account deletion endpoint",
            endpoint,
            show=True,
            problem=_url_problem(endpoint),
            note="" if config.get("EBAY_DELETION_ENDPOINT_URL") else "from the public base URL",
        ),
        _row(
            "EBAY_DELETION_VERIFICATION_TOKEN",
            "Verification token",
            token,
            problem=None
            if not token or TOKEN_RULE.fullmatch(token)
            else "eBay wants 32 to 80 characters: letters, digits, _ and -",
        ),
        _row("EBAY_API_BASE_URL", "eBay API base", config.get("EBAY_API_BASE_URL"), show=True),
        _row(
            "AUTOORDER_EBAY_DAILY_CALL_BUDGET",
            "Daily eBay call budget",
            config.get("EBAY_DAILY_CALL_BUDGET"),
            show=True,
            note="" if config.get("EBAY_DAILY_CALL_BUDGET") else "not set: calls are counted only",
        ),
    ]


def _row(variable, label, value, *, show=False, problem=None, note=""):
    return {
        "variable": variable,
        "label": label,
        "present": bool(value),
        "value": value if show and value else None,
        "problem": problem if value else None,
        "note": note,
    }


def _url_problem(url):
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "eBay accepts https endpoints only"
    if parts.hostname in ("localhost", "127.0.0.1", "::1") or (parts.hostname or "").endswith(
        ".local"
    ):
        return "eBay cannot reach a local address"
    return None


def _page(self_test=None, status=200):
    today = budget.usage()
    now = clock.now()
    return render_template(
        "settings/ebay_setup.html",
        section="settings",
        rows=settings_status(),
        endpoint=notifications.endpoint_url(),
        callback=url_for("settings.ebay_callback", _external=True),
        base=current_app.config.get("PUBLIC_BASE_URL"),
        usage=today,
        total=sum(today.values()),
        budget=budget.daily_budget(),
        day=budget.ebay_day(now),
        resets=budget.next_day_start(now),
        poll_every=int(budget.poll_interval(now).total_seconds()),
        notices=db.session.execute(
            select(func.count(), func.count(EbayDeletionNotice.processed_at))
        ).one(),
        self_test=self_test,
    ), status


@bp.get("/settings/ebay-setup")
@operator_required
def index():
    return _page()


@bp.post("/settings/ebay-setup/self-test")
@operator_required
def self_test():
    return _page(run_self_test())


def run_self_test() -> dict:
    """Do what eBay does when the endpoint is saved: GET it with a challenge code, over HTTP, at the
    registered URL, and compare the answer with SHA-256(code + token + endpoint)."""
    endpoint = notifications.endpoint_url()
    token = current_app.config.get("EBAY_DELETION_VERIFICATION_TOKEN")
    if not endpoint or not token:
        return {"ok": False, "message": "Set the endpoint URL (or public base URL) and the token."}
    code = secrets.token_hex(16)
    expected = notifications.challenge_response(code, token, endpoint)
    try:
        response = requests.get(
            endpoint, params={"challenge_code": code}, timeout=SELF_TEST_TIMEOUT
        )
        answer = response.json().get("challengeResponse") if response.status_code == 200 else None
    except requests.RequestException as exc:
        return {"ok": False, "message": f"The endpoint could not be reached: {type(exc).__name__}."}
    except (ValueError, AttributeError):
        return {"ok": False, "message": "The endpoint did not answer with JSON."}
    if answer == expected:
        return {
            "ok": True,
            "message": f"The endpoint answered the challenge correctly ({endpoint}).",
        }
    return {
        "ok": False,
        "message": f"The endpoint answered {response.status_code} without the expected "
        "challengeResponse: check the URL (exactly as registered) and the token.",
    }
