"""eBay Marketplace Account Deletion notifications: the endpoint's challenge answer and the check of
a notification's ``X-EBAY-SIGNATURE``.

eBay's protocol (developer.ebay.com/marketplace-account-deletion):
- When the endpoint is saved in the developer portal, eBay sends ``GET <endpoint>?challenge_code=X``
  and expects ``{"challengeResponse": hex(SHA-256(X + verification token + endpoint URL))}``, the
  endpoint URL exactly as registered.
- Each notification is a POST whose ``X-EBAY-SIGNATURE`` header is base64 of JSON ``{"alg": "ecdsa",
  "kid", "signature", "digest"}``. The public key for ``kid`` comes from the Notification API's
  getPublicKey (an application token); the signature (base64 DER) is checked over the raw body.
Public keys are cached per kid for an hour, in the process (they are public and re-fetchable).
"""

import base64
import binascii
import hashlib
import json
import threading
from datetime import timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import current_app

from autoorder import clock

KEY_CACHE_TTL = timedelta(hours=1)
DIGESTS = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256, "SHA384": hashes.SHA384}
MAX_BODY = 64 * 1024

_keys: dict[str, tuple[object, object]] = {}  # kid -> (expires_at, public key)
_app_token: dict[str, object] = {}
_lock = threading.Lock()


class SignatureError(ValueError):
    """The notification is not signed by eBay (missing, malformed or wrong signature)."""


def endpoint_url() -> str | None:
    """The deletion endpoint URL as registered with eBay (explicit, else from the public base)."""
    config = current_app.config
    if config.get("EBAY_DELETION_ENDPOINT_URL"):
        return config["EBAY_DELETION_ENDPOINT_URL"]
    base = config.get("PUBLIC_BASE_URL")
    return f"{base.rstrip('/')}/ebay/account-deletion" if base else None


def challenge_response(challenge_code: str, token: str, endpoint: str) -> str:
    return hashlib.sha256((challenge_code + token + endpoint).encode("utf-8")).hexdigest()


def parse_signature_header(header: str | None) -> dict:
    if not header:
        raise SignatureError("no X-EBAY-SIGNATURE header")
    try:
        decoded = json.loads(base64.b64decode(header, validate=True))
        signature = base64.b64decode(decoded["signature"], validate=True)
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise SignatureError("X-EBAY-SIGNATURE is not eBay's base64 JSON") from exc
    if not isinstance(decoded, dict) or not isinstance(decoded.get("kid"), str):
        raise SignatureError("X-EBAY-SIGNATURE has no key id")
    if str(decoded.get("alg", "")).lower() != "ecdsa":
        raise SignatureError(f"unsupported signature algorithm {decoded.get('alg')!r}"[:80])
    return {**decoded, "signature": signature}


def verify(raw_body: bytes, header: str | None, fetch_key) -> None:
    """Raise SignatureError unless ``header`` is eBay's valid signature of ``raw_body``.

    ``fetch_key(kid) -> {algorithm, digest, key}`` is getPublicKey (cached by ``public_key``).
    """
    parsed = parse_signature_header(header)
    public_key, key_digest = public_key_for(parsed["kid"], fetch_key)
    digest = str(parsed.get("digest") or key_digest or "SHA1").upper()
    if digest not in DIGESTS:
        raise SignatureError(f"unsupported digest {digest[:20]!r}")
    try:
        public_key.verify(parsed["signature"], raw_body, ec.ECDSA(DIGESTS[digest]()))
    except InvalidSignature as exc:
        raise SignatureError("the signature does not match the message") from exc


def public_key_for(kid: str, fetch_key):
    now = clock.now()
    with _lock:
        cached = _keys.get(kid)
    if cached is not None and cached[0] > now:
        return cached[1]
    answer = fetch_key(kid)
    if str(answer.get("algorithm", "ECDSA")).upper() != "ECDSA":
        raise SignatureError(f"eBay key {kid} is not an ECDSA key")
    try:
        key = load_pem_public_key(_pem(answer["key"]).encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise SignatureError(f"eBay's public key {kid} cannot be read") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SignatureError(f"eBay key {kid} is not an elliptic-curve key")
    entry = (key, answer.get("digest"))
    with _lock:
        _keys[kid] = (now + KEY_CACHE_TTL, entry)
    return entry


def _pem(key: str) -> str:
    """eBay sends the PEM on one line ("-----BEGIN PUBLIC KEY-----MFkw...-----END PUBLIC KEY-----");
    put the header, body and footer on lines of their own."""
    head, tail = "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----"
    body = key.replace(head, "").replace(tail, "").replace("\n", "").replace("\r", "").strip()
    return f"{head}\n{body}\n{tail}\n"


def clear_key_cache() -> None:
    with _lock:
        _keys.clear()
        _app_token.clear()


def fetch_public_key(kid: str) -> dict:
    """getPublicKey with an application token (kept until near its expiry)."""
    from autoorder.ebay.accounts import client_for

    client = client_for()
    with _lock:
        token, expires = _app_token.get("token"), _app_token.get("expires_at")
    if token is None or expires is None or expires - clock.now() < timedelta(minutes=5):
        tokens = client.application_token()
        token, expires = tokens.access_token, tokens.access_token_expires_at
        with _lock:
            _app_token.update(token=token, expires_at=expires)
    return client.get_public_key(kid, token)


def deletion_data(message) -> dict:
    """The notification's ids and user (``notificationId``, ``username``, ``userId``, ``eventDate``)
    from a MARKETPLACE_ACCOUNT_DELETION message; ValueError if it is not one."""
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    topic = (message.get("metadata") or {}).get("topic")
    notification = message.get("notification")
    if topic != "MARKETPLACE_ACCOUNT_DELETION" or not isinstance(notification, dict):
        raise ValueError(f"not an account-deletion notification (topic {str(topic)[:60]!r})")
    data = notification.get("data") or {}
    notification_id = notification.get("notificationId")
    username, user_id = data.get("username"), data.get("userId")
    if not isinstance(notification_id, str) or not notification_id or len(notification_id) > 128:
        raise ValueError("no notificationId")
    if not isinstance(username, str) or not username or len(username) > 128:
        raise ValueError("no username")
    if user_id is not None and (not isinstance(user_id, str) or len(user_id) > 128):
        raise ValueError("bad userId")
    return {
        "notification_id": notification_id,
        "username": username,
        "user_id": user_id or None,
        "event_date": notification.get("eventDate"),
    }
