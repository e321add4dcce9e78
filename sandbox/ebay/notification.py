"""eBay's Notification API (getPublicKey) and the Marketplace Account Deletion notifications.

eBay signs each notification it pushes: the ``X-EBAY-SIGNATURE`` header is base64 of the JSON
``{"alg": "ecdsa", "kid": ..., "signature": <base64 DER ECDSA signature of the raw body>,
"digest": "SHA1"}``, and the receiver fetches the public key for ``kid`` with getPublicKey
(``GET /commerce/notification/v1/public_key/{public_key_id}``, an application token with the
``api_scope`` scope; contract: ``contract/commerce_notification_v1_oas3.json``). Before it sends
anything, eBay checks the endpoint with ``GET <endpoint>?challenge_code=...``, expecting
``{"challengeResponse": hex(SHA-256(challengeCode + verificationToken + endpoint))}``.

The emulator's key pair is derived from its seed (deterministic per seed); the control endpoints
under ``/sandbox/notifications/`` make it send the challenge and signed notifications over HTTP.
"""

from __future__ import annotations

import json
import uuid

import requests as http
from flask import Blueprint, jsonify, request

from sandbox.ebay.clock import iso
from sandbox.ebay.errors import ApiError, error_response
from sandbox.ebay.signing import SigningKey, challenge_response
from sandbox.ebay.state import current_state

BASE_PATH = "/commerce/notification/v1"
PUBLIC_SCOPE = "https://api.ebay.com/oauth/api_scope"
TOPIC = "MARKETPLACE_ACCOUNT_DELETION"
SEND_TIMEOUT = 10

bp = Blueprint("notification", __name__, url_prefix=BASE_PATH)


# --- the Notification API --------------------------------------------------------------------
@bp.get("/public_key/<public_key_id>")
def getPublicKey(public_key_id: str):  # noqa: N802 - operationId
    state = current_state()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    with state.lock:
        scopes = (
            state.tokens.access_scopes(token.strip(), state.now())
            if scheme.lower() == "bearer" and token.strip()
            else None
        )
        faults = state.faults.take("getPublicKey") if scopes is not None else {}
    if scopes is None:
        return error_response(ApiError(401, 1001))
    if PUBLIC_SCOPE not in scopes:
        return error_response(ApiError(403, 1100))
    if "server_error" in faults:
        return error_response(ApiError(500, 195000))
    if "rate_limit" in faults:
        return error_response(ApiError(429, 2001))
    if public_key_id != state.signing_key.kid:
        return error_response(ApiError(404, 195001))
    return jsonify({"algorithm": "ECDSA", "digest": "SHA1", "key": state.signing_key.public_pem()})


# --- control: send the challenge and notifications ----------------------------------------------
control = Blueprint("notification_control", __name__, url_prefix="/sandbox/notifications")


def _body() -> dict:
    body = request.get_json(silent=True) if request.data else {}
    return body if isinstance(body, dict) else {}


def _endpoint(body: dict) -> str:
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
        raise ValueError("endpoint must be an http(s) URL")
    return endpoint


@control.errorhandler(ValueError)
def _bad(err):
    return jsonify({"error": str(err)}), 400


@control.post("/challenge")
def send_challenge():
    """``{endpoint, verificationToken}``: GET ``endpoint?challenge_code=...`` as eBay does when the
    endpoint is saved, and say whether the answer is right."""
    body = _body()
    endpoint, token = _endpoint(body), str(body.get("verificationToken") or "")
    state = current_state()
    with state.lock:
        code = uuid.UUID(int=state.notification_rng.getrandbits(128)).hex
    expected = challenge_response(code, token, endpoint)
    try:
        resp = http.get(
            endpoint,
            params={"challenge_code": code},
            headers={"Accept": "application/json"},
            timeout=SEND_TIMEOUT,
        )
    except http.RequestException as exc:
        return jsonify({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    try:
        received = resp.json().get("challengeResponse")
    except (ValueError, AttributeError):
        received = None
    ok = resp.status_code == 200 and received == expected
    return jsonify(
        {
            "ok": ok,
            "status": resp.status_code,
            "challengeCode": code,
            "expected": expected,
            "received": received,
        }
    )


def deletion_notification(state, body: dict) -> dict:
    now = iso(state.now())
    with state.lock:
        notification_id = str(uuid.UUID(int=state.notification_rng.getrandbits(128), version=4))
    return {
        "metadata": {"topic": TOPIC, "schemaVersion": "1.0", "deprecated": False},
        "notification": {
            "notificationId": str(body.get("notificationId") or notification_id),
            "eventDate": now,
            "publishDate": now,
            "publishAttemptCount": 1,
            "data": {
                "username": str(body.get("username") or ""),
                "userId": str(body.get("userId") or ""),
                "eiasToken": str(body.get("eiasToken") or ""),
            },
        },
    }


@control.post("/account-deletion")
def send_account_deletion():
    """``{endpoint, username, userId?, eiasToken?, notificationId?, tamper?, foreignKey?}``: POST a
    signed MARKETPLACE_ACCOUNT_DELETION notification. ``tamper`` changes the body after signing;
    ``foreignKey`` signs with a key eBay does not publish (same kid)."""
    body = _body()
    endpoint = _endpoint(body)
    if not isinstance(body.get("username"), str) or not body["username"]:
        raise ValueError("username is required")
    state = current_state()
    message = deletion_notification(state, body)
    raw = json.dumps(message).encode("utf-8")
    key = state.signing_key
    if body.get("foreignKey"):
        key = SigningKey(key.kid, SigningKey.from_seed(state.seed, "foreign").private)
    header = key.signature_header(raw)
    if body.get("tamper"):
        message["notification"]["data"]["username"] += "-x"
        raw = json.dumps(message).encode("utf-8")
    try:
        resp = http.post(
            endpoint,
            data=raw,
            headers={"Content-Type": "application/json", "X-EBAY-SIGNATURE": header},
            timeout=SEND_TIMEOUT,
        )
    except http.RequestException as exc:
        return jsonify({"delivered": False, "error": f"{type(exc).__name__}: {exc}"})
    return jsonify(
        {
            "delivered": resp.status_code in (200, 201, 202, 204),
            "status": resp.status_code,
            "notificationId": message["notification"]["notificationId"],
            "kid": key.kid,
        }
    )


@control.get("/public-key")
def public_key():
    state = current_state()
    return jsonify({"kid": state.signing_key.kid, "key": state.signing_key.public_pem()})
