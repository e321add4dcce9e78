import json
from pathlib import Path

import pytest

from autoorder import tracking_numbers as tn
from autoorder.tracking_numbers import InvalidTrackingNumberError, identify, validate

DATA = Path(tn.__file__).resolve().parent / "data"
COURIER_FILES = sorted((DATA / "tracking_number_data" / "couriers").glob("*.json"))
COURIERS = [json.loads(p.read_text(encoding="utf-8")) for p in COURIER_FILES]
DEFINITIONS = [(c["courier_code"], d) for c in COURIERS for d in c["tracking_numbers"]]


def _cases(kind):
    return [
        pytest.param(code, d["name"], number, id=f"{d.get('id') or d['name']}-{i}")
        for code, d in DEFINITIONS
        for i, number in enumerate((d.get("test_numbers") or {}).get(kind, []))
    ]


def _hits(number):
    return {(m.courier_code, m.definition_name) for m in identify(number)}


def test_reads_repo_copy_of_all_data():
    assert len(COURIER_FILES) == 18 and len(DEFINITIONS) == 39
    assert tn.COURIERS_DIR == DATA / "tracking_number_data" / "couriers"
    assert (DATA / "tracking_number_data" / "LICENSE").is_file()
    assert len(tn._definitions()) == 39 + 1  # + the built-in Cainiao LP format


@pytest.mark.parametrize(("courier_code", "name", "number"), _cases("valid"))
def test_data_valid_numbers_identify(courier_code, name, number):
    assert (courier_code, name) in _hits(number)


@pytest.mark.parametrize(("courier_code", "name", "number"), _cases("invalid"))
def test_data_invalid_numbers_do_not_identify(courier_code, name, number):
    assert (courier_code, name) not in _hits(number)


# -------------------------------------------------------------- checksum algorithms, hand-computed
def test_mod7():
    assert 331881002 % 7 == 5
    assert tn.checksum_mod7("331881002", "5")
    assert not tn.checksum_mod7("331881002", "6")


def test_mod10_weights_reverse_and_letters():
    # forward 1*3 + 2*1 + 3*3 + 4*1 = 18 -> 10 - 8 = 2
    assert tn.checksum_mod10("1234", "2", evens_multiplier=3, odds_multiplier=1)
    # reversed (4,3,2,1): 4*3 + 3 + 2*3 + 1 = 22 -> 8
    assert tn.checksum_mod10("1234", "8", evens_multiplier=3, odds_multiplier=1, reverse=True)
    assert not tn.checksum_mod10("1234", "2", evens_multiplier=3, odds_multiplier=1, reverse=True)
    # letter value (ord - 3) % 10: A -> 2; 2*1 + 1*2 = 4 -> 6
    assert tn.checksum_mod10("A1", "6", evens_multiplier=1, odds_multiplier=2)
    # total divisible by 10 -> check 0
    assert tn.checksum_mod10("55", "0")


def test_luhn():
    assert tn.checksum_luhn("7992739871", "3")
    assert not tn.checksum_luhn("7992739871", "4")


def test_s10():
    # 4*8 + 7*6 + 3*4 + 1*2 + 2*3 + 4*5 + 8*9 + 2*7 = 200; 200 % 11 = 2 -> 11 - 2 = 9
    assert tn.checksum_s10("47312482", "9", weightings=[8, 6, 4, 2, 3, 5, 9, 7], modulo=11)
    assert tn.checksum_s10("00000000", "5")  # remainder 0 -> 5
    assert tn.checksum_s10("00004000", "0")  # 4*3 = 12, remainder 1 -> 0
    assert not tn.checksum_s10("47312482", "8")


def test_sum_product_with_weightings_and_modulo():
    # 1*3 + 2*1 = 5 -> 5 % 11 % 10 = 5
    assert tn.checksum_sum_product_with_weightings_and_modulo(
        "12", "5", weightings=[3, 1], modulo1=11, modulo2=10
    )
    # 3*3 + 1*1 = 10 -> 10 % 11 = 10 -> % 10 = 0
    assert tn.checksum_sum_product_with_weightings_and_modulo(
        "31", "0", weightings=[3, 1], modulo1=11, modulo2=10
    )
    assert not tn.checksum_sum_product_with_weightings_and_modulo(
        "31", "1", weightings=[3, 1], modulo1=11, modulo2=10
    )


def test_mod_37_36():
    # "A": 36 + 10 = 46 -> 10 -> 20; 37 - 20 = 17 -> "H"
    assert tn.checksum_mod_37_36("A", "H")
    # "0": 36 -> 72 -> 35; 37 - 35 = 2
    assert tn.checksum_mod_37_36("0", "2")
    # "J" (19): 55 -> 19 -> 38 -> 1; 37 - 1 = 36 -> 0
    assert tn.checksum_mod_37_36("J", "0")
    assert not tn.checksum_mod_37_36("A", "G")


# ---------------------------------------------------------------- identify details
def test_identify_s10_lookups():
    (m,) = identify("rb 123 456 785 cn")
    assert (m.number, m.courier_code, m.definition_id) == ("RB123456785CN", "s10", "s10")
    assert (m.country_code, m.courier_name, m.tracking_url) == ("CN", "China Post", None)
    assert ("Service Type", "Letter Post Registered") in m.details
    assert (
        identify("RB123456785XX") == []
    )  # country not in the lookup (validation.additional.exists)


def test_identify_fills_tracking_url_and_country():
    (m,) = identify("1Z5R89390357567127")
    assert (
        m.tracking_url
        == "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z5R89390357567127"
    )
    (d,) = identify("00 81827 0998 0000 0200 33 350 276 C")
    assert d.definition_id == "dpd" and d.country_code == "DE"


# ---------------------------------------------------------------- validate
@pytest.mark.parametrize(
    ("number", "hint", "code", "definition_id"),
    [
        ("9400 1112 0108 0805 4830 16", "USPS", "USPS", "usps_impb_n"),
        ("9400111201080805483016", None, "USPS", "usps_impb_n"),
        ("1Z5R89390357567127", "UPS", "UPS", "ups"),
        ("986578788855", "FedEx", "FedEx", "fedex_12"),
        ("3318810025", "DHL Express", "DHL", "dhl_express"),
        ("RB123456785CN", "China Post", "ChinaPost", "s10"),
        ("RB123456785CN", "Cainiao", "ChinaPost", "s10"),
        ("LX123456785CN", None, "ChinaPost", "s10"),  # beats format-only dhl_ecommerce
        ("LX123456785CN", "DHL eCommerce", "DHL", "dhl_ecommerce"),
        ("RB123456785HK", "Hong Kong Post", "HongKongPost", "s10"),
        ("RB123456785US", None, "USPS", "s10"),
        ("YT2229521272164446", "YunExpress", "Other", "yunexpress"),
        ("LP00123456789012", "Cainiao", "Other", "cainiao_lp"),
        ("LP00123456789012", None, "Other", "cainiao_lp"),
        ("4201028200009261290113185417468510", "USPS", "USPS", "usps_impb_c"),
        ("287809468872", "Purolator", "Other", "purolator_numeric"),
        ("287809468872", "FedEx Express", "FedEx", "fedex_12"),
        ("1Z5R89390357567127", "Speedy Shipping Co", "UPS", "ups"),  # unrecognised hint is ignored
    ],
)
def test_validate_happy_paths(number, hint, code, definition_id):
    result = validate(number, hint)
    assert result.ebay_carrier_code == code
    assert result.definition.definition_id == definition_id
    assert result.number == tn.normalize(number)


def test_validate_result_fields():
    r = validate("RB123456785CN", "china post")
    assert r == tn.ValidatedTracking(
        "RB123456785CN", "ChinaPost", "China Post", identify("RB123456785CN")[0]
    )
    c = validate("LP00123456789012")
    assert c.courier_name == "Cainiao" and c.definition.has_check_digit is False


def test_normalises_spaces_dashes_case():
    assert tn.normalize(" 1z5r-8939 0357\u20135671\t27 ") == "1Z5R89390357567127"
    assert validate("1z5r-8939-0357-5671-27").number == "1Z5R89390357567127"


@pytest.mark.parametrize(
    ("number", "hint", "reason"),
    [
        ("", None, "empty"),
        (" - ", None, "empty"),
        ("1Z5R8939#0357567127", None, "not_alphanumeric"),
        ("ÄB123456785CN", None, "not_alphanumeric"),
        ("HELLO", None, "unknown_format"),
        ("1Z5R89390357567128", "UPS", "bad_check_digit"),
        ("RB123456786CN", None, "bad_check_digit"),
        ("1Z5R89390357567127", "FedEx", "carrier_mismatch"),
        ("RB123456785SG", "China Post", "carrier_mismatch"),
        ("YT2229521272164446", "4PX", "carrier_mismatch"),
        ("287809468872", None, "ambiguous_carrier"),
    ],
)
def test_validate_errors(number, hint, reason):
    with pytest.raises(InvalidTrackingNumberError) as exc:
        validate(number, hint)
    assert exc.value.reason_code == reason
    assert exc.value.message and str(exc.value) == exc.value.message


def test_unmappable_carrier(monkeypatch):
    with pytest.raises(InvalidTrackingNumberError) as exc:
        validate("YT2229521272164446", allow_other=False)
    assert exc.value.reason_code == "unmappable_carrier"
    monkeypatch.delitem(tn.EBAY_CODE_BY_COURIER, "ups")
    with pytest.raises(InvalidTrackingNumberError) as exc:
        validate("1Z5R89390357567127")
    assert exc.value.reason_code == "unmappable_carrier"
    with pytest.raises(InvalidTrackingNumberError) as exc:
        validate("RB123456785CV", allow_other=False)  # S10 from a post with no eBay code
    assert exc.value.reason_code == "unmappable_carrier"


# ----------------------------------------------------------- mapping only yields listed eBay codes
def test_ebay_codes_file():
    codes = tn.ebay_carrier_codes()
    assert (
        len(codes) == 167
        and {"USPS", "UPS", "FedEx", "DHL", "ChinaPost", "HongKongPost", "Other"} <= codes
    )
    assert not any(c.startswith("#") for c in codes)


def test_mapping_covers_every_courier_with_listed_codes():
    codes = tn.ebay_carrier_codes()
    couriers = {c["courier_code"] for c in COURIERS + tn.EXTRA_COURIERS} - {"s10"}
    assert couriers <= tn.EBAY_CODE_BY_COURIER.keys()
    assert set(tn.EBAY_CODE_BY_COURIER.values()) <= codes
    assert set(tn.EBAY_CODE_BY_S10_COUNTRY.values()) <= codes
    s10 = next(c for c in COURIERS if c["courier_code"] == "s10")["tracking_numbers"][0]
    lookup = next(a for a in s10["additional"] if a["name"] == "Courier")["lookup"]
    assert set(tn.EBAY_CODE_BY_S10_COUNTRY) <= {e["matches"] for e in lookup}


@pytest.mark.parametrize(("courier_code", "name", "number"), _cases("valid"))
def test_validate_only_returns_listed_codes(courier_code, name, number):
    try:
        result = validate(number)
    except InvalidTrackingNumberError as exc:
        assert exc.reason_code == "ambiguous_carrier"
        return
    assert result.ebay_carrier_code in tn.ebay_carrier_codes()
