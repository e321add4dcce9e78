"""The one place user input becomes a number, a date or text the database can hold.

Every form, action and URL goes through these, so hostile input (NaN, sNaN, ±Infinity, 1e30,
20-digit ids, 9999-12-31, NUL bytes, megabyte strings) is a form error or a 404, never a 500, on
SQLite and on PostgreSQL.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from werkzeug.routing import IntegerConverter
from wtforms import DecimalField, IntegerField
from wtforms.validators import ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL integer; SQLite overflows at 2**63
MAX_MONEY = Decimal("9999999999.99")  # Numeric(12, 2)
CENT = Decimal("0.01")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# Control characters (a text area keeps tab, newline, return) and lone surrogates (not UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in every route: 0..MAX_ID, so an id no column can hold answers 404."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(value, *, default=None, minimum=0, maximum=MAX_ID):
    """Return ``value`` as an int within [minimum, maximum], else ``default`` (query/form
    values)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = (value or "").strip() if isinstance(value, str) else ""
        if not text or len(text) > 24 or not re.fullmatch(r"[+-]?\d+", text):
            return default
        number = int(text)
    return number if minimum <= number <= maximum else default


def arg_int(args, name, *, default=None, minimum=0, maximum=MAX_ID):
    """``request.args``/``request.form`` value as a bounded int (``default`` when absent or bad)."""
    return bounded_int(args.get(name), default=default, minimum=minimum, maximum=maximum)


def arg_ids(args, name) -> list[int]:
    """Every valid id in a repeated field (``ids=1&ids=2``); invalid ones are dropped."""
    ids = (bounded_int(v, minimum=1) for v in args.getlist(name))
    return [i for i in ids if i is not None]


def money(value, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    """Return the amount, rounded to cents; raise ValueError with a message a person can act on."""
    text = str(value).strip() if value is not None else ""
    if len(text) > 32:
        raise ValueError("Not a valid decimal value: enter the amount as a number, e.g. 12.34.")
    try:
        amount = Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(
            "Not a valid decimal value: enter the amount as a number, e.g. 12.34."
        ) from None
    if not amount.is_finite():
        raise ValueError("Not a valid decimal value: enter the amount as a number, e.g. 12.34.")
    if abs(amount) > MAX_MONEY:
        raise ValueError(f"Enter an amount below {MAX_MONEY:,}.")
    try:
        amount = amount.quantize(CENT)
    except InvalidOperation:
        raise ValueError(
            "Not a valid decimal value: enter the amount as a number, e.g. 12.34."
        ) from None
    if minimum is not None and amount < minimum:
        raise ValueError(f"Number must be at least {minimum}: the amount cannot be negative.")
    return amount


def day(value) -> date | None:
    """An ISO date within FIRST_DAY..LAST_DAY, else None (filters ignore what they cannot use)."""
    try:
        parsed = date.fromisoformat((value or "").strip()[:10])
    except (ValueError, TypeError, AttributeError):
        return None
    return parsed if FIRST_DAY <= parsed <= LAST_DAY else None


def text_problem(value: str, *, max_length: int | None = None, multiline=False) -> str | None:
    """Why this text cannot be stored (None if it can): control characters or too long."""
    if (_CONTROL if multiline else _CONTROL_ONE_LINE).search(value):
        return "Remove the control characters (such as NUL) from this text."
    if max_length is not None and len(value) > max_length:
        return f"Use at most {max_length} characters."
    return None


def printable(value, max_length: int) -> str:
    """Text for a search filter: control characters dropped, cut to max_length."""
    return _CONTROL_ONE_LINE.sub("", value or "")[:max_length]


class MoneyField(DecimalField):
    """A money input: finite, within Numeric(12, 2), ≥ ``minimum`` (None: any sign)."""

    def __init__(self, label=None, validators=None, *, minimum=Decimal(0), **kwargs):
        super().__init__(label, validators, places=2, **kwargs)
        self.minimum = minimum

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = money(valuelist[0], minimum=self.minimum)
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from None


class IdField(IntegerField):
    """An integer form field bounded like an id (0..MAX_ID)."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        self.data = bounded_int(valuelist[0])
        if self.data is None:
            raise ValueError("Not a valid choice.")


def clean_text(form, field):
    """WTForms validator: no control characters (tab/newline allowed in text areas)."""
    if isinstance(field.data, str):
        problem = text_problem(field.data, multiline=field.type == "TextAreaField")
        if problem:
            raise ValidationError(problem)
