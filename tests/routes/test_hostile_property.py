"""Property test (issue 10): generated hostile values posted to every form field and put into every
URL and query string of every route (discovered from ``app.url_map``) never answer 5xx.

Hypothesis draws, per route, a few examples (fixed count, derandomized: the same cases every run)
from NaN, sNaN, ±Infinity, 1e30, 10^26, ids no column holds, dates out of range, NUL and control
characters, 1 MB strings, right-to-left text and emoji, mixed with free text.
"""

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoorder.extensions import db
from tests.factories import make_bot, make_listing, make_order, make_supplier, make_user
from tests.support import csrf_token, login

HOSTILE = [
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e30",
    "10^26",
    str(10**26),
    "99999999999999999999",
    "2147483648",
    "-1",
    "0",
    "9999-12-31",
    "0001-01-01",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "x" * 1_000_000,
    "\u202eevil\u202c",
    "\U0001f4a9\U0001f525",
    "' OR 1=1--",
    "<script>alert(1)</script>",
    "x'+alert(document.domain)+'",
    "../../etc/passwd",
    "http://127.0.0.1:6379/",
    "%ED%A0%80%00",
    "",
    " ",
]
# The probe's exact payloads: each once in every place of every route.
SWEEP = [
    "sNaN",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e30",
    "10^26",
    "99999999999999999999",
    "2147483648",
    "9999-12-31",
    "a\x00b",
    "x" * 1_000_000,
    "\u202eevil\u202c\U0001f4a9",
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),  # a client sends UTF-8
)
# Every form field and query parameter name the app reads (a field a route ignores costs nothing).
FIELDS = (
    "email password remember current_password new_password confirm name account_email "
    "payment_method card_holder card_number card_expiry card_cvc billing_line1 billing_city "
    "billing_state billing_postal_code billing_country gift_card_balance enabled supplier_id "
    "credits price currency every_team idempotency_key confirmed team_id ebay_item_id "
    "ebay_variation_key sku title supplier_product_url supplier_variant bot_id max_buy_price "
    "quantity_per_sale notes buffer_minutes min_profit role supplier_order_number cost "
    "tracking_number carrier action ids view url label credits_below gift_card_below"
).split()
QUERY = "page bot supplier sold_from sold_to q cart envelope v at mode from_order state code error "
QUERY += "start end"
QUERY = QUERY.split()
SKIP = {"static", "rq_dashboard.static", "auth.logout", "health.health"}
EXAMPLES_PER_ROUTE = 3


@pytest.fixture
def world(app, client, redis):
    with app.app_context():
        admin = make_user(email="op@example.com", role="admin", is_operator=True)
        supplier = make_supplier(key="demo_shop", name="Demo Shop")
        bot = make_bot(admin.team, supplier, name="main")
        listing = make_listing(admin.team, bot, supplier_product_url="http://127.0.0.1:1/p")
        for status in ("waiting", "failed", "succeeded"):
            make_order(admin.team, status=status, listing_id=listing.id, bot_id=bot.id)
        db.session.commit()
    login(client, "op@example.com")


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _path(rule, values):
    def fill(match):
        name = match.group(1)
        return quote(values[name], safe="") or "x"

    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", fill, rule.rule)


def _request(client, token, rule, method, args, query, form):
    """One request; assert it is no 5xx. Back in if a value ended the session (it must not)."""
    path = _path(rule, args)
    headers = {"X-CSRFToken": token}
    if method == "GET":
        response = client.get(path, query_string=query, headers=headers)
    else:
        data = {**form, "csrf_token": token}
        response = client.open(path, method=method, data=data, headers=headers)
    assert response.status_code < 500, (method, path[:200], query, sorted(form))
    if response.status_code in (301, 302) and "/login" in response.headers.get("Location", ""):
        login(client, "op@example.com")


def _check_route(client, token, rule, method):
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        args=st.fixed_dictionaries({a: VALUES for a in sorted(rule.arguments)}),
        query=st.dictionaries(st.sampled_from(QUERY), VALUES, max_size=4),
        form=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8),
    )
    def generated(args, query, form):
        _request(client, token, rule, method, args, query, form)

    generated()
    # …and each of the probe's payloads once in every place at the same time
    for value in SWEEP:
        short = value[:5000]  # a megabyte in the form; URLs and queries get 5 kB
        _request(
            client,
            token,
            rule,
            method,
            dict.fromkeys(rule.arguments, short),
            dict.fromkeys(QUERY, short) if method == "GET" else {},
            dict.fromkeys(FIELDS, value) if method != "GET" else {},
        )


def test_no_route_answers_5xx_to_hostile_input(app, client, world):
    token = csrf_token(client, "/")
    checked = set()
    for rule, method in _routes(app):
        _check_route(client, token, rule, method)
        checked.add(rule.endpoint)
    assert len(checked) >= 40
