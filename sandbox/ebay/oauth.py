"""eBay OAuth stand-ins: the consent page (auth.ebay.com/oauth2/authorize) and the token endpoint.

The consent page grants at once: it issues a single-use code (valid 299 s) and redirects with
``state``, ``code`` and ``expires_in``, as eBay does. eBay's ``redirect_uri`` parameter is the
app's RuName. The emulator also accepts the accept URL itself there, and it always redirects to the
configured accept URL.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, request

from sandbox.ebay.errors import OAuthError
from sandbox.ebay.state import current_state
from sandbox.ebay.tokens import ACCESS_TTL, KNOWN_SCOPES, REFRESH_TTL

bp = Blueprint("oauth", __name__)

INVALID_REQUEST = "request is missing a required parameter or malformed."


def _page(status: int, title: str, text: str) -> Response:
    body = (
        f"<!doctype html><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )
    return Response(body, status=status, mimetype="text/html")


def _redirect_with(target: str, params: dict) -> Response:
    sep = "&" if "?" in target else "?"
    return redirect(target + sep + urlencode(params), code=302)


def _accepted_redirect(value: str | None) -> bool:
    config = current_state().config
    return value is not None and value in (config.ru_name, config.redirect_uri)


@bp.get("/oauth2/authorize")
def authorize():
    state = current_state()
    config = state.config
    args = request.args
    if args.get("client_id") != config.client_id:
        return _page(400, "Invalid client", "The client_id is not known to eBay.")
    if not _accepted_redirect(args.get("redirect_uri")):
        return _page(400, "Invalid redirect_uri", "redirect_uri must be the application's RuName.")
    target = config.redirect_uri
    extra = {"state": args["state"]} if "state" in args else {}
    if args.get("response_type") != "code":
        return _redirect_with(target, {**extra, "error": "unsupported_response_type"})
    scopes = frozenset(args.get("scope", "").split())
    if not scopes or not scopes <= KNOWN_SCOPES:
        return _redirect_with(target, {**extra, "error": "invalid_scope"})
    with state.lock:
        code = state.tokens.issue_code(scopes, args["redirect_uri"], state.now())
    return _redirect_with(target, {**extra, "code": code, "expires_in": "299"})


def _client_auth() -> None:
    config = current_state().config
    auth = request.authorization
    if auth is None or auth.type != "basic":
        raise OAuthError(401, "invalid_client", "client authentication failed")
    if auth.username != config.client_id or auth.password != config.client_secret:
        raise OAuthError(401, "invalid_client", "client authentication failed")


def _token_response(body: dict) -> Response:
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp


def _authorization_code(form) -> Response:
    state = current_state()
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if not code or not redirect_uri:
        raise OAuthError(400, "invalid_request", INVALID_REQUEST)
    with state.lock:
        now = state.now()
        grant = state.tokens.redeem_code(code, redirect_uri, now)
        if grant is None:
            raise OAuthError(
                400,
                "invalid_grant",
                "the provided authorization grant code is invalid or was issued to another client",
            )
        access, refresh = state.tokens.issue_pair(grant.scopes, now)
    return _token_response(
        {
            "access_token": access,
            "expires_in": ACCESS_TTL,
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_TTL,
            "token_type": "User Access Token",
        }
    )


def _refresh_token(form) -> Response:
    state = current_state()
    token = form.get("refresh_token")
    if not token:
        raise OAuthError(400, "invalid_request", INVALID_REQUEST)
    with state.lock:
        now = state.now()
        grant = state.tokens.live_refresh(token, now)
        if grant is None:
            raise OAuthError(
                400,
                "invalid_grant",
                "the provided authorization refresh token is invalid or was issued to another "
                "client",
            )
        scopes = frozenset(form["scope"].split()) if form.get("scope") else grant.scopes
        if not scopes or not scopes <= grant.scopes:
            raise OAuthError(
                400,
                "invalid_scope",
                "the requested scope is invalid, unknown, malformed, "
                "or exceeds the scope granted to the client",
            )
        access = state.tokens.issue_access(scopes, now, token)
        state.tokens.refreshes += 1
    # eBay does not issue a new refresh token on refresh.
    return _token_response(
        {"access_token": access, "expires_in": ACCESS_TTL, "token_type": "User Access Token"}
    )


PUBLIC_SCOPES = frozenset({"https://api.ebay.com/oauth/api_scope"})


def _client_credentials(form) -> Response:
    """An application access token (no user): public scopes only, no refresh token."""
    state = current_state()
    scopes = frozenset(form["scope"].split()) if form.get("scope") else PUBLIC_SCOPES
    if not scopes <= PUBLIC_SCOPES:
        raise OAuthError(
            400,
            "invalid_scope",
            "the requested scope is invalid, unknown, malformed, "
            "or exceeds the scope granted to the client",
        )
    with state.lock:
        access = state.tokens.issue_access(scopes, state.now(), None)
        state.tokens.app_tokens += 1
    return _token_response(
        {"access_token": access, "expires_in": ACCESS_TTL, "token_type": "Application Access Token"}
    )


@bp.post("/identity/v1/oauth2/token")
def token():
    try:
        _client_auth()
        form = request.form
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", INVALID_REQUEST)
        if grant_type == "authorization_code":
            return _authorization_code(form)
        if grant_type == "refresh_token":
            return _refresh_token(form)
        if grant_type == "client_credentials":
            return _client_credentials(form)
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "grant type in request is not supported by the authorization server",
        )
    except OAuthError as err:
        return err.response()
