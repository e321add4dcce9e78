"""Tracking numbers: real formats with check digits, verified by an independent implementation."""

import random
import re

import pytest

from sandbox.shop import tracking


def independent_usps_ok(number: str) -> bool:
    """USPS IMpb mod 10: from the left over 21 digits, positions with the same parity as the
    last body digit weigh 3, the others 1; check = (10 - sum % 10) % 10."""
    if not re.fullmatch(r"\d{22}", number):
        return False
    body, check = [int(c) for c in number[:21]], int(number[21])
    odd_positions = sum(body[0::2])  # positions 1,3,..,21 -> last body digit is position 21
    even_positions = sum(body[1::2])
    return (10 - (odd_positions * 3 + even_positions) % 10) % 10 == check


def independent_s10_ok(number: str) -> bool:
    m = re.fullmatch(r"[A-Z]{2}(\d{8})(\d)[A-Z]{2}", number)
    if not m:
        return False
    weights = [8, 6, 4, 2, 3, 5, 9, 7]
    s = sum(w * int(d) for w, d in zip(weights, m.group(1), strict=True))
    expected = {10: 0, 11: 5}.get(11 - s % 11, 11 - s % 11)
    return expected == int(m.group(2))


def test_independent_checkers_accept_published_examples():
    assert independent_s10_ok("LX123456785CN")
    assert independent_s10_ok("RR473124829GB")  # UPU S10 example
    assert not independent_s10_ok("LX123456784CN")
    assert independent_usps_ok("9400100000000000000006")  # 9*3 + 4 + 1*3 = 34 -> check 6
    assert not independent_usps_ok("9400100000000000000007")


def test_check_digit_functions():
    assert tracking.s10_check_digit("12345678") == 5
    assert tracking.s10_check_digit("47312482") == 9
    assert tracking.gs1_mod10_check_digit("940010000000000000000") == 6


@pytest.mark.parametrize("seed", range(25))
def test_generated_numbers_have_valid_formats_and_check_digits(seed):
    rng = random.Random(seed)
    usps = tracking.generate("usps", rng)
    assert re.fullmatch(r"9400\d{18}", usps) and independent_usps_ok(usps)
    assert re.fullmatch(r"LP\d{14}", tracking.generate("cainiao", rng))
    assert re.fullmatch(r"YT\d{16}", tracking.generate("yunexpress", rng))
    cp = tracking.generate("chinapost", rng)
    assert re.fullmatch(r"[A-Z]{2}\d{9}CN", cp) and independent_s10_ok(cp)


def test_identify():
    rng = random.Random(3)
    for fmt in tracking.FORMATS:
        assert tracking.identify(tracking.generate(fmt, rng)) == fmt
    assert tracking.identify("LX123456785CN") == "chinapost"
    assert tracking.identify("LX123456784CN") is None
    assert tracking.identify("9400100000000000000007") is None
    assert tracking.identify("hello") is None


def test_unknown_format_raises():
    with pytest.raises(ValueError):
        tracking.generate("dhl", random.Random(0))
