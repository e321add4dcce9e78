"""WTForms forms (Flask-WTF adds the CSRF token)."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from autoorder import clock

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_email(form, field):
    if field.data and not EMAIL_RE.match(field.data.strip()):
        raise ValidationError("Enter a valid email address.")


def luhn_ok(number: str) -> bool:
    """Return whether the digits pass the Luhn check."""
    digits = [int(ch) for ch in number if ch.isdigit()]
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def expiry_in_future(value: str) -> bool:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", value or "")
    if not match:
        return False
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    today = clock.now()
    return 1 <= month <= 12 and (year, month) >= (today.year, today.month)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), valid_email])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


class BotForm(FlaskForm):
    """An order bot. Secret fields are write-only: blank on edit means "keep the stored one"."""

    supplier_id = SelectField("Source", coerce=int, validators=[DataRequired()])
    name = StringField("Bot name", validators=[DataRequired(), Length(max=120)])
    account_email = EmailField("Account email", validators=[DataRequired(), valid_email])
    password = PasswordField("Account password", validators=[Optional(), Length(max=200)])
    payment_method = RadioField("Payment", choices=[("card", "Credit card"),
                                                    ("gift_card", "Use a gift card")], default="card")
    card_holder = StringField("Card holder", validators=[Optional(), Length(max=120)])
    card_number = PasswordField("Card number", validators=[Optional(), Length(max=23)])
    card_expiry = StringField("Expiry (MM/YY)", validators=[Optional(), Length(max=7)])
    card_cvc = PasswordField("CVC", validators=[Optional(), Length(min=3, max=4)])
    billing_line1 = StringField("Billing address", validators=[Optional(), Length(max=200)])
    billing_city = StringField("City", validators=[Optional(), Length(max=100)])
    billing_state = StringField("State", validators=[Optional(), Length(max=100)])
    billing_postal_code = StringField("Postal code", validators=[Optional(), Length(max=20)])
    billing_country = StringField("Country", validators=[Optional(), Length(max=2)], default="US")
    gift_card_balance = DecimalField("Gift card balance", places=2,
                                     validators=[Optional(), NumberRange(min=0)])
    enabled = BooleanField("Enabled", default=True)

    def validate_for(self, bot=None) -> bool:
        """Validate, requiring secrets only where none is stored yet."""
        ok = self.validate()
        if not self.password.data and (bot is None or not bot.password):
            self.password.errors.append("Enter the account password.")
            ok = False
        if self.payment_method.data == "card":
            ok &= self._validate_card(has_stored=bot is not None and bool(bot.card_number))
        return ok

    def _validate_card(self, has_stored: bool) -> bool:
        ok = True
        if self.card_number.data or not has_stored:
            if not luhn_ok(self.card_number.data or ""):
                self.card_number.errors.append("Enter a valid card number.")
                ok = False
            if not expiry_in_future(self.card_expiry.data):
                self.card_expiry.errors.append("Enter an expiry date (MM/YY) in the future.")
                ok = False
            if not re.fullmatch(r"\d{3,4}", self.card_cvc.data or ""):
                self.card_cvc.errors.append("Enter the 3 or 4 digit CVC.")
                ok = False
            if not (self.card_holder.data or "").strip():
                self.card_holder.errors.append("Enter the card holder's name.")
                ok = False
        return ok
