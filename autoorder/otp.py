"""One-time codes from a bot's authenticator secret (TOTP, RFC 6238) — the one implementation.

A supplier account with two-step verification by an authenticator app shows its secret once, as a QR
code and as text ("Can't scan? Enter this key": base32, often in groups of four). The seller pastes
that key (or the whole ``otpauth://`` URI) into the bot form; it is stored encrypted like the
password, and an adapter asks ``code_for(credentials)`` when the site asks for the code. pyotp is
the well-kept library for this (pinned in requirements.txt); nothing here is hand-rolled crypto.
"""

import binascii
import time
from urllib.parse import parse_qs, urlparse

import pyotp


class InvalidSecretError(ValueError):
    """What the seller pasted is not an authenticator key."""


def normalize_secret(raw: str) -> str:
    """Return the base32 key of what a seller pasted (a key with spaces/dashes, lower case, or an
    ``otpauth://totp/…?secret=…`` URI); InvalidSecretError with a message a seller understands."""
    text = (raw or "").strip()
    if text.lower().startswith("otpauth://"):
        url = urlparse(text)
        if url.netloc.lower() != "totp":
            raise InvalidSecretError("Only time-based (TOTP) authenticator keys are supported.")
        text = (parse_qs(url.query).get("secret") or [""])[0]
    key = "".join(ch for ch in text if ch not in " -\t").upper().rstrip("=")
    if len(key) < 16 or len(key) > 128:
        raise InvalidSecretError(
            "An authenticator key is 16 to 128 letters A–Z and digits 2–7 (the text shown under "
            "the QR code)."
        )
    try:
        pyotp.TOTP(key).now()
    except (binascii.Error, ValueError):
        raise InvalidSecretError(
            "That is not an authenticator key: use only letters A–Z and digits 2–7."
        ) from None
    return key


def code_for(secret: str, at: float | None = None) -> str:
    """The six-digit code valid now (or at ``at``, a Unix time) for ``secret``."""
    return pyotp.TOTP(normalize_secret(secret)).at(at if at is not None else time.time())


def seconds_left(at: float | None = None, interval: int = 30) -> int:
    """Seconds until the current code changes (an adapter waits for a fresh code when few are left,
    so a code does not expire between typing and the site checking it)."""
    now = at if at is not None else time.time()
    return int(interval - now % interval)


def fresh_code_for(secret: str, min_seconds: int = 5) -> str:
    """A code that stays valid for at least ``min_seconds`` more (waits for the next one if not)."""
    left = seconds_left()
    if left < min_seconds:
        time.sleep(left + 0.2)
    return code_for(secret)
