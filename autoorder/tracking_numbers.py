"""Tracking-number validation and eBay carrier mapping.

Formats come from the vendored jkeen/tracking_number_data (``data/tracking_number_data``), eBay
carrier codes from ``data/ebay_carrier_codes.txt``; only these repo copies are read. Main entry
point: ``validate()``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
COURIERS_DIR = DATA_DIR / "tracking_number_data" / "couriers"
EBAY_CODES_FILE = DATA_DIR / "ebay_carrier_codes.txt"

# Courier (``courier_code`` in the data) -> eBay shippingCarrierCode. Every value must be in
# ebay_carrier_codes.txt. "Other" is used where eBay's list has no code for the carrier (Amazon,
# Canada Post, GOFO, LaserShip, Purolator, YunExpress, Cainiao); validate(allow_other=False) turns
# those into an ``unmappable_carrier`` error instead.
EBAY_CODE_BY_COURIER: dict[str, str] = {
    "usps": "USPS",
    "ups": "UPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "canpar": "CanPar",
    "dpd": "DPD",
    "landmark": "Landmark",
    "old_dominion": "ODFL",
    "ontrac": "ONTRACK",
    "speedee": "SpeeDee",
    "yodel": "Yodel",
    "amazon": "Other",
    "canada_post": "Other",
    "gofo": "Other",
    "lasership": "Other",
    "purolator": "Other",
    "yunexpress": "Other",
    "cainiao": "Other",
}
# S10 (UPU) numbers: issuing country suffix -> that national post's eBay code; other countries ->
# "Other".
EBAY_CODE_BY_S10_COUNTRY: dict[str, str] = {
    "CN": "ChinaPost",
    "HK": "HongKongPost",
    "SG": "SINGAPOREPOST",
    "US": "USPS",
    "GB": "RoyalMail",
    "AU": "AustraliaPost",
    "JP": "JapanPost",
    "KR": "KoreaPost",
    "IN": "IndiaPost",
    "ID": "IndonesiaPost",
    "IL": "IsraelPost",
    "MY": "MALAYSIAPOST",
    "TH": "THAILANDPOST",
    "VN": "VietnamPost",
    "PH": "Philpost",
    "PL": "PocztaPolska",
    "IT": "PosteItaliane",
    "NL": "PostNL",
    "AT": "OsterreichischePostAG",
    "CH": "SwissPost",
    "DE": "DeutschePost",
    "FR": "LAPOSTE",
    "ES": "Correos",
    "BE": "BPost",
    "IE": "AnPost",
}
# Supplier-only formats missing from the data. Cainiao "LP" + 14 digits has NO check digit (format
# only).
EXTRA_COURIERS: list[dict] = [
    {
        "name": "Cainiao",
        "courier_code": "cainiao",
        "tracking_numbers": [
            {
                "id": "cainiao_lp",
                "name": "Cainiao (LP)",
                "regex": r"\s*L\s*P\s*(?<SerialNumber>([0-9]\s*){14})\s*",
            }
        ],
    }
]
# Free-text carrier hint (word regex on the lower-cased hint) -> (couriers the number may belong to,
# S10 country it may carry: a country code, "*" for any S10 number, or None for no S10).
# Consolidators (Cainiao, YunExpress, 4PX, Yanwen) hand parcels to postal services, so they accept
# S10.
_HINTS: list[tuple[str, frozenset[str], str | None]] = [
    (rx, frozenset(codes.split()), country)
    for rx, codes, country in [
        (r"usps|united states postal|us postal", "usps", "US"),
        (r"ups|united parcel", "ups", None),
        (r"fed ?ex", "fedex", None),
        (r"dhl", "dhl", None),
        (r"china ?post|china ems", "", "CN"),
        (r"hong ?kong ?post", "", "HK"),
        (r"sing ?post|singapore ?post", "", "SG"),
        (r"royal ?mail", "", "GB"),
        (r"canada ?post|postes canada", "canada_post", "CA"),
        (r"cainiao|aliexpress", "cainiao", "*"),
        (r"yun ?express", "yunexpress", "*"),
        (r"4 ?px|four ?px", "", "*"),
        (r"yanwen", "", "*"),
        (r"canpar", "canpar", None),
        (r"dpd", "dpd", None),
        (r"landmark", "landmark", None),
        (r"old dominion|odfl", "old_dominion", None),
        (r"on ?trac", "ontrac", None),
        (r"spee ?dee", "speedee", None),
        (r"yodel", "yodel", None),
        (r"amazon", "amazon", None),
        (r"gofo", "gofo", None),
        (r"laser ?ship", "lasership", None),
        (r"purolator", "purolator", None),
    ]
]


class InvalidTrackingNumberError(ValueError):
    """Reason codes: empty, not_alphanumeric, unknown_format, bad_check_digit, carrier_mismatch,
    ambiguous_carrier, unmappable_carrier."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass(frozen=True)
class TrackingMatch:
    number: str
    courier_code: str
    courier_name: str  # for S10: the issuing national post (e.g. "China Post")
    definition_id: str
    definition_name: str
    tracking_url: str | None
    country_code: str | None = None
    details: tuple[
        tuple[str, str], ...
    ] = ()  # (lookup name, value) from the data's ``additional`` lookups
    has_check_digit: bool = False


@dataclass(frozen=True)
class ValidatedTracking:
    number: str
    ebay_carrier_code: str
    courier_name: str
    definition: TrackingMatch


# ------------------------------------------ check-digit algorithms (CHECKSUM_ALGORITHMS.md)
def checksum_mod7(sequence: str, check_digit: str, *, modulo: int = 7, **_: object) -> bool:
    return int(sequence) % modulo == int(check_digit)


def checksum_mod10(
    sequence: str,
    check_digit: str,
    *,
    modulo: int = 10,
    evens_multiplier: int | None = None,
    odds_multiplier: int | None = None,
    reverse: bool = False,
    **_: object,
) -> bool:
    total = 0
    for i, c in enumerate(reversed(sequence) if reverse else sequence):
        x = (
            int(c) if c.isdigit() else (ord(c) - 3) % 10
        )  # letters as in the reference implementation
        if odds_multiplier and i % 2 == 1:
            x *= int(odds_multiplier)
        elif evens_multiplier and i % 2 == 0:
            x *= int(evens_multiplier)
        total += x
    check = total % modulo
    return (modulo - check if check else 0) == int(check_digit)


def checksum_luhn(sequence: str, check_digit: str, *, modulo: int = 10, **_: object) -> bool:
    total = 0
    for i, c in enumerate(reversed(sequence)):
        x = int(c) * (2 if i % 2 == 0 else 1)
        total += x - 9 if x > 9 else x
    check = total % modulo
    return (modulo - check if check else 0) == int(check_digit)


def checksum_s10(
    sequence: str,
    check_digit: str,
    *,
    weightings: list[int] | None = None,
    modulo: int = 11,
    **_: object,
) -> bool:
    total = sum(
        int(a) * b for a, b in zip(sequence, weightings or [8, 6, 4, 2, 3, 5, 9, 7], strict=False)
    )
    remainder = total % modulo
    check = 0 if remainder == 1 else 5 if remainder == 0 else modulo - remainder
    return check == int(check_digit)


def checksum_sum_product_with_weightings_and_modulo(
    sequence: str,
    check_digit: str,
    *,
    weightings: list[int],
    modulo1: int,
    modulo2: int,
    **_: object,
) -> bool:
    total = sum(int(a) * b for a, b in zip(sequence, weightings, strict=False))
    return total % modulo1 % modulo2 == int(check_digit)


def checksum_mod_37_36(
    sequence: str,
    check_digit: str,
    *,
    modulo: int = 36,
    alphabet: str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    **_: object,
) -> bool:
    cd = modulo
    for char in sequence:
        cd += alphabet.index(char)
        if cd > modulo:
            cd -= modulo
        cd *= 2
        if cd > modulo:
            cd -= modulo + 1
    cd = modulo + 1 - cd
    if cd == modulo:
        cd = 0
    return alphabet[cd] == check_digit


CHECKSUMS = {
    "mod7": checksum_mod7,
    "mod10": checksum_mod10,
    "luhn": checksum_luhn,
    "s10": checksum_s10,
    "sum_product_with_weightings_and_modulo": checksum_sum_product_with_weightings_and_modulo,
    "mod_37_36": checksum_mod_37_36,
}


# ---------------------------------------------------------------- definitions
@dataclass(frozen=True)
class _Definition:
    id: str
    name: str
    courier_code: str
    courier_name: str
    pattern: re.Pattern[str]
    raw: dict


def _python_regex(regex: str | list[str]) -> str:
    rx = "".join(regex) if isinstance(regex, list) else regex
    rx = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", rx)  # Ruby/PCRE named group -> Python
    # Numbers are matched after dashes are stripped, so a literal dash outside a [...] class is
    # dropped.
    return re.sub(r"(?<!\\)-(?![^\[]*\])", "", rx)


@cache
def _definitions() -> tuple[_Definition, ...]:
    couriers = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(COURIERS_DIR.glob("*.json"))
    ]
    return tuple(
        _Definition(
            id=d.get("id") or re.sub(r"[^a-z0-9]+", "_", d["name"].lower()).strip("_"),
            name=d["name"],
            courier_code=c["courier_code"],
            courier_name=c["name"],
            pattern=re.compile(_python_regex(d["regex"])),
            raw=d,
        )
        for c in couriers + EXTRA_COURIERS
        for d in c["tracking_numbers"]
    )


@cache
def ebay_carrier_codes() -> frozenset[str]:
    lines = EBAY_CODES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))


def normalize(number: str) -> str:
    """Strip whitespace and dashes, upper-case."""
    return re.sub(r"[\s\-\u2010-\u2015]", "", str(number or "")).upper()


def _lookup(entries: list[dict], value: str) -> dict | None:
    for e in entries:
        if ("matches" in e and e["matches"] == value) or (
            "matches_regex" in e and re.fullmatch(e["matches_regex"], value)
        ):
            return e
    return None


def _match(defn: _Definition, number: str, *, check: bool = True) -> TrackingMatch | None:
    m = defn.pattern.fullmatch(number)
    if not m:
        return None
    groups = {k: re.sub(r"\s", "", v) for k, v in m.groupdict().items() if v is not None}
    validation = defn.raw.get("validation") or {}
    found: dict[str, dict] = {}
    for extra in defn.raw.get("additional") or []:
        hit = _lookup(extra.get("lookup", []), groups.get(extra.get("regex_group_name"), ""))
        if hit is not None:
            found[extra["name"]] = hit
    if any(name not in found for name in (validation.get("additional") or {}).get("exists", [])):
        return None
    checksum = validation.get("checksum")
    if check and checksum:
        serial = groups.get("SerialNumber", "")
        prepend = (validation.get("serial_number_format") or {}).get("prepend_if")
        if prepend and re.search(prepend["matches_regex"], serial):
            serial = prepend["content"] + serial
        params = {k: v for k, v in checksum.items() if k != "name"}
        if not CHECKSUMS[checksum["name"]](serial, groups.get("CheckDigit", ""), **params):
            return None
    url = defn.raw.get("tracking_url")
    country = groups.get("CountryCode")
    country_hit = next((h for h in found.values() if "country_short_code" in h), None)
    return TrackingMatch(
        number=number,
        courier_code=defn.courier_code,
        courier_name=found.get("Courier", {}).get("courier") or defn.courier_name,
        definition_id=defn.id,
        definition_name=defn.name,
        tracking_url=url.replace("%s", number) if url else None,
        country_code=country_hit["country_short_code"] if country_hit else country,
        details=tuple(
            (k, str(h.get("name") or h.get("courier") or h.get("country") or ""))
            for k, h in found.items()
        ),
        has_check_digit=bool(checksum),
    )


def identify(number: str) -> list[TrackingMatch]:
    """Every definition whose format AND check digit match the normalised number."""
    n = normalize(number)
    return [m for d in _definitions() if (m := _match(d, n)) is not None]


# ---------------------------------------------------------------- validation for upload
def ebay_code_for(match: TrackingMatch) -> str | None:
    if match.courier_code == "s10":
        return EBAY_CODE_BY_S10_COUNTRY.get(match.country_code or "", "Other")
    return EBAY_CODE_BY_COURIER.get(match.courier_code)


def _parse_hint(hint: str | None) -> tuple[set[str], set[str]] | None:
    text = " " + re.sub(r"[^a-z0-9]+", " ", (hint or "").lower()) + " "
    couriers: set[str] = set()
    countries: set[str] = set()
    for rx, codes, country in _HINTS:
        if re.search(rf"\b(?:{rx})\b", text):
            couriers |= codes
            countries |= {country} if country else set()
    return (couriers, countries) if couriers or countries else None


def _describe(matches: list[TrackingMatch]) -> str:
    return ", ".join(sorted({f"{m.courier_name} ({m.definition_id})" for m in matches}))


def validate(
    number: str, carrier_hint: str | None = None, *, allow_other: bool = True
) -> ValidatedTracking:
    """Validate a scraped tracking number and map it to an eBay carrier code, or raise
    InvalidTrackingNumberError. An unrecognised ``carrier_hint`` is ignored."""
    n = normalize(number)
    if not n:
        raise InvalidTrackingNumberError("empty", "The tracking number is empty.")
    if not (n.isascii() and n.isalnum()):
        raise InvalidTrackingNumberError(
            "not_alphanumeric",
            f"Tracking number {number!r} contains characters other than letters and digits.",
        )
    matches = identify(n)
    if not matches:
        near = [m for d in _definitions() if (m := _match(d, n, check=False)) is not None]
        if near:
            raise InvalidTrackingNumberError(
                "bad_check_digit",
                f"{n} looks like {_describe(near)} but its check digit is wrong (mistyped?).",
            )
        raise InvalidTrackingNumberError(
            "unknown_format", f"{n} does not match any known tracking-number format."
        )
    hint = _parse_hint(carrier_hint)
    if hint:
        couriers, countries = hint
        matches = [
            m
            for m in matches
            if m.courier_code in couriers
            or (m.courier_code == "s10" and ("*" in countries or m.country_code in countries))
        ]
        if not matches:
            raise InvalidTrackingNumberError(
                "carrier_mismatch",
                f"The supplier says the carrier is {carrier_hint!r}, "
                f"but {n} is a {_describe(identify(n))} number.",
            )
    matches = [
        m for m in matches if m.has_check_digit
    ] or matches  # a verified check digit is stronger evidence
    codes = {ebay_code_for(m) for m in matches}
    if len(codes) > 1:
        raise InvalidTrackingNumberError(
            "ambiguous_carrier",
            f"{n} could be {_describe(matches)}; give the carrier name to decide.",
        )
    best, code = matches[0], codes.pop()
    if code is None or code not in ebay_carrier_codes() or (code == "Other" and not allow_other):
        raise InvalidTrackingNumberError(
            "unmappable_carrier",
            f"{n} is a {best.courier_name} number, which has no eBay carrier code.",
        )
    return ValidatedTracking(
        number=n, ebay_carrier_code=code, courier_name=best.courier_name, definition=best
    )
