"""The authenticator key (TOTP) of a bot: parsing what a seller pastes, codes, and the form."""

import pytest

from autoorder import otp
from autoorder.scrapers.base import CHALLENGE_KINDS, BlockedError, Credentials

# RFC 6238 appendix B's SHA-1 key ("12345678901234567890") in base32, and its published codes
# (the last six digits of the eight-digit test vectors).
RFC_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(
    "at, code",
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_match_the_rfc_test_vectors(at, code):
    assert otp.code_for(RFC_KEY, at=at) == code


@pytest.mark.parametrize(
    "pasted",
    [
        "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
        "GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ",
        f"otpauth://totp/Shop:me@example.com?secret={RFC_KEY}&issuer=Shop",
        RFC_KEY + "====",
    ],
)
def test_what_a_seller_pastes_is_normalised(pasted):
    assert otp.normalize_secret(pasted) == RFC_KEY


@pytest.mark.parametrize(
    "pasted",
    ["", "123456", "not a key at all!!", "otpauth://hotp/x?secret=" + RFC_KEY, "A1" * 20],
)
def test_anything_else_is_refused_with_a_message(pasted):
    with pytest.raises(otp.InvalidSecretError) as exc:
        otp.normalize_secret(pasted)
    assert str(exc.value)


def test_credentials_hide_the_key_and_give_the_code():
    creds = Credentials(email="a@b.test", password="pw", totp_secret=RFC_KEY)
    assert RFC_KEY not in repr(creds)
    code = creds.one_time_code()
    assert code.isdigit() and len(code) == 6
    assert Credentials(email="a@b.test", password="pw").one_time_code() is None


def test_a_blocked_error_names_what_a_person_would_do():
    err = BlockedError("slider", challenge="slider")
    assert err.code == "challenge" and err.challenge == "slider"
    assert BlockedError("x").challenge == "blocked"
    assert set(CHALLENGE_KINDS) >= {"captcha", "slider", "code", "approve", "press_hold"}
    with pytest.raises(ValueError):
        BlockedError("x", challenge="riddle")
