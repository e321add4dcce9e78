"""Server-side validation of shipping addresses and payment cards."""

from __future__ import annotations

import datetime as dt
import re

US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
}
_STATE_BY_NAME = {name.lower(): code for code, name in US_STATES.items()}

COUNTRIES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "AU": "Australia",
    "DE": "Germany",
    "FR": "France",
}

ADDRESS_FIELDS = (
    "full_name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "phone",
)
REQUIRED_ADDRESS_FIELDS = ("full_name", "address_line1", "city", "postal_code", "country", "phone")
FIELD_LABELS = {
    "full_name": "Full name",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "city": "City",
    "state": "State / Province",
    "postal_code": "ZIP / Postal code",
    "country": "Country",
    "phone": "Phone number",
}
US_ZIP = re.compile(r"\d{5}(-\d{4})?")


def validate_address(raw: dict) -> tuple[dict, dict, str | None]:
    """Return (clean address, {field: error}, address-rejected message or None)."""
    clean = {f: " ".join(str(raw.get(f) or "").split()) for f in ADDRESS_FIELDS}
    clean["country"] = clean["country"].upper()
    errors: dict[str, str] = {}
    for field in REQUIRED_ADDRESS_FIELDS:
        if not clean[field]:
            errors[field] = f"{FIELD_LABELS[field]} is required."
    for field in ADDRESS_FIELDS:
        if len(clean[field]) > 80:
            errors[field] = f"{FIELD_LABELS[field]} is too long (max 80 characters)."
    if clean["country"] and clean["country"] not in COUNTRIES:
        errors["country"] = "We do not ship to this country."
    if clean["phone"] and len(re.sub(r"\D", "", clean["phone"])) < 7:
        errors["phone"] = "Enter a valid phone number."
    rejected = None
    if clean["country"] == "US":
        state = clean["state"]
        code = state.upper() if state.upper() in US_STATES else _STATE_BY_NAME.get(state.lower())
        if not state:
            errors["state"] = "State is required for US addresses."
        elif code is None:
            errors["state"] = "Enter a valid US state."
        else:
            clean["state"] = code
        if clean["postal_code"] and not US_ZIP.fullmatch(clean["postal_code"]):
            errors.setdefault("postal_code", "ZIP code must be 5 digits or ZIP+4 (12345-6789).")
            rejected = (
                "Address rejected: the ZIP code is not valid for a United States address. "
                "Use 5 digits or ZIP+4 (12345-6789)."
            )
    return clean, errors, rejected


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "American Express"
    if number.startswith("6011") or number.startswith("65"):
        return "Discover"
    return "Card"


def normalize_card_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def validate_card(
    holder: str, number: str, expiry: str, cvc: str, today: dt.date | None = None
) -> dict:
    """Return {field: error} for the card form (empty when valid). number is already normalized."""
    today = today or dt.date.today()
    errors = {}
    if not (holder or "").strip():
        errors["card_holder"] = "Name on card is required."
    if not number:
        errors["card_number"] = "Card number is required."
    elif not luhn_ok(number):
        errors["card_number"] = "Card number is invalid."
    m = re.fullmatch(r"\s*(\d{2})\s*/\s*(\d{2}|\d{4})\s*", expiry or "")
    if not m or not 1 <= int(m.group(1)) <= 12:
        errors["card_expiry"] = "Expiry must be MM/YY."
    else:
        month, year = int(m.group(1)), int(m.group(2))
        year = year + 2000 if year < 100 else year
        if (year, month) < (today.year, today.month):
            errors["card_expiry"] = "This card has expired."
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        errors["card_cvc"] = "Security code must be 3 or 4 digits."
    return errors
