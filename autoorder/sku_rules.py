"""A team's SKU rules: a seller's own SKU pattern that carries the supplier product id, e.g.
``^AMZ-(?P<id>B0[A-Z0-9]{8})$``. A sale with no listing mapping whose SKU matches a rule is mapped
by itself: a listing is created for its eBay item/variation, pointing at that product, bought by
the rule's bot.

A pattern is a user's regex run on every unmapped sale, so it is bounded: at most 200 characters,
a named group ``id``, compiled by the ``regex`` library and matched with a time limit (a pattern
with catastrophic backtracking, like ``(a+)+$``, is refused when saved, and a match that still
runs too long counts as no match).
"""

import logging

import regex
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.inputs import text_problem
from autoorder.models import Listing, OrderBot, SkuRule
from autoorder.scrapers import ADAPTERS

log = logging.getLogger(__name__)

MAX_PATTERN = 200
MATCH_TIMEOUT = 0.05  # seconds per match
# Inputs that make a backtracking pattern explode: long runs, with a character that breaks the end.
PROBES = [c * 64 + "!" for c in "aA0-_. "] + ["AMZ-" + "B0" * 40 + "!", "ab" * 40 + "!"]


class RuleError(ValueError):
    """The pattern cannot be used; the message says why."""


def compile_pattern(pattern: str):
    """Validate and compile a SKU pattern; RuleError with a reason a person can act on."""
    text = (pattern or "").strip()
    if not text:
        raise RuleError("Enter a pattern.")
    if len(text) > MAX_PATTERN:
        raise RuleError(f"Use at most {MAX_PATTERN} characters.")
    if problem := text_problem(text):
        raise RuleError(problem)
    try:
        compiled = regex.compile(text)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise RuleError(f"Not a valid regular expression: {exc}") from None
    if "id" not in compiled.groupindex:
        raise RuleError("The pattern needs a named group for the product id: (?P<id>…).")
    for probe in PROBES:
        try:
            compiled.search(probe, timeout=MATCH_TIMEOUT)
        except TimeoutError:
            raise RuleError(
                "This pattern takes too long on some SKUs (nested repetition such as (a+)+): "
                "simplify it."
            ) from None
    return compiled


def product_id(compiled, sku: str) -> str | None:
    """The product id the SKU carries under this pattern, or None (no match, or too slow)."""
    try:
        match = compiled.search(sku or "", timeout=MATCH_TIMEOUT)
    except TimeoutError:
        log.warning("SKU rule %r timed out on a SKU; treated as no match", compiled.pattern)
        return None
    return match.group("id") if match and match.group("id") else None


def rules(team_id: int) -> list[SkuRule]:
    return db.session.scalars(
        select(SkuRule).where(SkuRule.team_id == team_id).order_by(SkuRule.position, SkuRule.id)
    ).all()


def product_url(bot: OrderBot, product: str) -> str | None:
    """The product page of a supplier product id (an ASIN, an item number) on the bot's supplier,
    read as a pasted id in the listing form is (the adapter's ``product_ref``); None when this
    supplier needs the full URL. For SKU rules and listings imported by id."""
    adapter_class = ADAPTERS.get(bot.supplier.key)
    if adapter_class is None:
        return None
    try:
        return adapter_class.product_ref(product, bot.supplier.base_url)
    except ValueError:  # recognised but unusable as given (e.g. a short link): the URL is needed
        return None


def listing_from_rules(team_id: int, item_id, variation_key, sku) -> Listing | None:
    """Create (not commit) the listing the team's first matching SKU rule gives this sale, or
    None. The listing is for the eBay item and variation of the sale, so later sales of it map at
    once and a person can edit it like any other."""
    if not sku or not item_id:
        return None
    for rule in rules(team_id):
        try:
            compiled = compile_pattern(rule.pattern)
        except RuleError:
            continue
        product = product_id(compiled, sku)
        if product is None or rule.bot is None:
            continue
        url = product_url(rule.bot, product)
        if url is None:
            continue
        listing = Listing(
            team_id=team_id,
            ebay_item_id=item_id,
            ebay_variation_key=variation_key or "",
            sku=sku,
            supplier_product_url=url,
            bot_id=rule.bot_id,
            max_buy_price=rule.max_buy_price,
            quantity_per_sale=1,
            notes=f"mapped by SKU rule {rule.pattern}",
        )
        db.session.add(listing)
        db.session.flush()
        return listing
    return None
