"""WTForms forms (Flask-WTF adds the CSRF token)."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from autoorder import clock
from autoorder.inputs import IdField, MoneyField, bounded_int, text_problem

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def int_or_none(value):
    """A select's value as an id; anything that is no id becomes an invalid choice (-1)."""
    if value in (None, ""):
        return None
    number = bounded_int(value)
    return -1 if number is None else number


def strip(value):
    return value.strip() if isinstance(value, str) else value


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


class Form(FlaskForm):
    """Every form: text with control characters (NUL…) is a field error, never stored."""

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and field.type not in (
                "PasswordField",
                "CSRFTokenField",
            ):
                problem = text_problem(field.data, multiline=field.type == "TextAreaField")
                if problem:
                    field.errors = [*field.errors, problem]
                    ok = False
        return ok


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), valid_email, Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class PasswordChangeForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=8, max=200, message="Use 8 to 200 characters.")],
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="The two entries differ.")],
    )


class BotForm(Form):
    """An order bot. Secret fields are write-only: blank on edit means "keep the stored one"."""

    supplier_id = SelectField("Source", coerce=int_or_none, validators=[DataRequired()])
    name = StringField("Bot name", validators=[DataRequired(), Length(max=120)])
    account_email = EmailField(
        "Account email", validators=[DataRequired(), valid_email, Length(max=255)]
    )
    password = PasswordField("Account password", validators=[Optional(), Length(max=200)])
    totp_secret = PasswordField(
        "Authenticator key (optional)", validators=[Optional(), Length(max=300)]
    )
    clear_totp = BooleanField("Remove the saved authenticator key", default=False)
    payment_method = RadioField(
        "Payment",
        choices=[("card", "Credit card"), ("gift_card", "Use a gift card")],
        default="card",
    )
    card_holder = StringField("Card holder", validators=[Optional(), Length(max=120)])
    card_number = PasswordField("Card number", validators=[Optional(), Length(max=23)])
    card_expiry = StringField("Expiry (MM/YY)", validators=[Optional(), Length(max=7)])
    card_cvc = PasswordField("CVC", validators=[Optional(), Length(min=3, max=4)])
    billing_line1 = StringField("Billing address", validators=[Optional(), Length(max=200)])
    billing_city = StringField("City", validators=[Optional(), Length(max=100)])
    billing_state = StringField("State", validators=[Optional(), Length(max=100)])
    billing_postal_code = StringField("Postal code", validators=[Optional(), Length(max=20)])
    billing_country = StringField("Country", validators=[Optional(), Length(max=2)], default="US")
    gift_card_balance = MoneyField("Gift card balance", validators=[Optional()])
    enabled = BooleanField("Enabled", default=True)
    # Order limits of the supplier account (autoorder.bot_limits)
    max_orders_per_hour = IntegerField(
        "Orders per hour at most",
        default=10,
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    max_orders_per_day = IntegerField(
        "Orders per day at most",
        default=50,
        validators=[Optional(), NumberRange(min=1, max=10000)],
    )
    min_gap_seconds = IntegerField(
        "Seconds between two orders at least",
        default=60,
        validators=[Optional(), NumberRange(min=0, max=86400)],
    )
    quiet_start = StringField("Quiet hours from (HH:MM)", validators=[Optional(), Length(max=5)])
    quiet_end = StringField("Quiet hours until (HH:MM)", validators=[Optional(), Length(max=5)])

    def validate_for(self, bot=None) -> bool:
        """Validate, requiring secrets only where none is stored yet."""
        ok = self.validate()
        ok &= self._validate_limits()
        if not self.password.data and (bot is None or not bot.password):
            self.password.errors.append("Enter the account password.")
            ok = False
        if self.totp_secret.data:
            from autoorder import otp

            try:
                otp.normalize_secret(self.totp_secret.data)
            except otp.InvalidSecretError as exc:
                self.totp_secret.errors.append(str(exc))
                ok = False
        if self.payment_method.data == "card":
            ok &= self._validate_card(has_stored=bot is not None and bool(bot.card_number))
        return ok

    def _validate_limits(self) -> bool:
        from autoorder.bot_limits import parse_hhmm

        ok, times = True, {}
        for f in (self.quiet_start, self.quiet_end):
            try:
                times[f.name] = parse_hhmm(f.data)
            except ValueError as exc:
                f.errors = [*f.errors, str(exc)]
                ok = False
        if ok and (times["quiet_start"] is None) != (times["quiet_end"] is None):
            self.quiet_end.errors = [*self.quiet_end.errors, "Enter both ends of the quiet hours."]
            ok = False
        elif ok and times["quiet_start"] is not None and times["quiet_start"] == times["quiet_end"]:
            self.quiet_end.errors = [
                *self.quiet_end.errors,
                "The quiet hours cannot start and end at the same time.",
            ]
            ok = False
        hour, day = self.max_orders_per_hour.data, self.max_orders_per_day.data
        if isinstance(hour, int) and isinstance(day, int) and day < hour:
            self.max_orders_per_day.errors = [
                *self.max_orders_per_day.errors,
                "A day cannot allow fewer orders than an hour.",
            ]
            ok = False
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


# --- inline (HTMX) validation of one bot field --------------------------------------------------
# Not the password or the CVC: nothing about them is worth an extra trip to the server.
INLINE_FIELDS = (
    "name",
    "account_email",
    "card_holder",
    "card_number",
    "card_expiry",
    "billing_country",
    "gift_card_balance",
)


def bot_field_errors(form: BotForm, name: str) -> list[str]:
    """Return the errors of one BotForm field as typed so far (blank secrets are not errors
    here)."""
    field = getattr(form, name)
    field.validate(form)
    errors = list(field.errors)
    value = (field.data or "") if isinstance(field.data, str) else field.data
    if isinstance(value, str) and (problem := text_problem(value)):
        errors.append(problem)
    if name == "card_number" and value and not luhn_ok(value):
        errors.append("Enter a valid card number.")
    elif name == "card_expiry" and value and not expiry_in_future(value):
        errors.append("Enter an expiry date (MM/YY) in the future.")
    return list(dict.fromkeys(errors))


# --- Auto Order console ---------------------------------------------------------------------------
class CreditPackageForm(Form):
    name = StringField(
        "Package name", filters=[strip], validators=[DataRequired(), Length(max=120)]
    )
    credits = IntegerField(
        "Credits", validators=[InputRequired(), NumberRange(min=1, max=1_000_000)]
    )
    price = MoneyField("Price", validators=[InputRequired()])
    currency = StringField("Currency", filters=[strip], default="USD", validators=[DataRequired()])
    every_team = BooleanField("Offer to every team (operator)")

    def validate_currency(self, field):
        if not re.fullmatch(r"[A-Za-z]{3}", field.data or ""):
            raise ValidationError("Use a three-letter currency code, e.g. USD.")


class PurchaseForm(Form):
    """Record a package bought by the team. The key makes a resubmitted form one purchase."""

    idempotency_key = HiddenField(validators=[DataRequired()])
    confirmed = BooleanField("Payment received")
    team_id = IdField("Team", validators=[Optional()])  # the operator's own team if blank


# --- listings ------------------------------------------------------------------------------------


class ChoiceOrNoneField(SelectField):
    """A select whose empty option means "nothing chosen yet" (a required validator says so)."""

    def pre_validate(self, form):
        if self.data is not None:
            super().pre_validate(form)


class ListingForm(Form):
    ebay_item_id = StringField(
        "eBay item id", filters=[strip], validators=[DataRequired(), Length(max=64)]
    )
    ebay_variation_key = StringField(
        "Variation id or SKU", filters=[strip], validators=[Optional(), Length(max=128)]
    )
    sku = StringField("SKU", filters=[strip], validators=[Optional(), Length(max=128)])
    title = StringField("Title", filters=[strip], validators=[Optional(), Length(max=255)])
    supplier_product_url = StringField(
        "Supplier product URL", filters=[strip], validators=[DataRequired(), Length(max=1000)]
    )
    supplier_variant = StringField(
        "Supplier variant", filters=[strip], validators=[Optional(), Length(max=255)]
    )
    shipping_rule = StringField(
        "Shipping method",
        filters=[strip],
        default="cheapest",
        validators=[Optional(), Length(max=120)],
    )
    bot_id = ChoiceOrNoneField(
        "Order bot", coerce=int_or_none, validators=[DataRequired(message="Choose an order bot.")]
    )
    max_buy_price = MoneyField("Max buy price", validators=[Optional()])
    quantity_per_sale = IntegerField(
        "Quantity per sale", default=1, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])

    def validate_ebay_item_id(self, field):
        if not re.fullmatch(r"\d{6,20}", (field.data or "").strip()):
            raise ValidationError("Enter the eBay item number (digits only).")

    def validate_shipping_rule(self, field):
        from autoorder.scrapers.shipping import parse_rule

        try:
            field.data = str(parse_rule(field.data))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_supplier_product_url(self, field):
        text = (field.data or "").strip()
        if "://" not in text and re.fullmatch(r"[A-Za-z0-9._-]{3,64}", text):
            return  # a bare product id (ASIN, item id): the bot's supplier adapter reads it
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
            raise ValidationError(
                "Enter the full product URL, starting with https://, or the supplier's product id."
            )


# --- settings ------------------------------------------------------------------------------------
class TeamSettingsForm(Form):
    buffer_minutes = IntegerField(
        "Cancellation buffer (minutes)", validators=[Optional(), NumberRange(min=0, max=60)]
    )
    max_buy_price = MoneyField("Max buy price", validators=[Optional()])
    min_profit = MoneyField("Minimum profit", minimum=None, validators=[Optional()])
    send_as_gift = BooleanField("Send orders as gifts", default=False)


class EbayConnectForm(Form):
    name = StringField(
        "eBay user id (a label for this account)",
        filters=[strip],
        validators=[Optional(), Length(max=120)],
    )


# --- team ----------------------------------------------------------------------------------------
class NewUserForm(Form):
    email = EmailField(
        "Email", filters=[strip], validators=[DataRequired(), valid_email, Length(max=255)]
    )
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=8, max=200, message="Use at least 8 characters.")],
    )
    role = SelectField("Role", choices=[("member", "Member"), ("admin", "Admin")], default="member")


class RoleForm(Form):
    role = SelectField("Role", choices=[("member", "Member"), ("admin", "Admin")])


# --- notifications -------------------------------------------------------------------------------
class NotificationTargetForm(Form):
    # Write-only: a PasswordField never renders its value, so a refused URL is not echoed back.
    url = PasswordField(
        "Apprise URL",
        filters=[strip],
        validators=[DataRequired(message="Enter an apprise URL."), Length(max=2000)],
    )
    label = StringField(
        "Label (optional)", filters=[strip], validators=[Optional(), Length(max=120)]
    )


class NotificationSettingsForm(Form):
    credits_below = IntegerField(
        "Tell me when credits fall to", validators=[Optional(), NumberRange(min=0, max=1000000)]
    )
    gift_card_below = MoneyField(
        "Tell me when a bot's gift-card balance is under", validators=[Optional()]
    )
