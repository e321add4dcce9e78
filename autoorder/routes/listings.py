"""Listings: an eBay listing (item id + variation id / SKU) mapped to the supplier product, variant
and order bot that fill it. Saving a mapping puts the sales stuck on "no supplier mapping" back in
line."""

from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import exists, or_, select

from autoorder import actions, listings_csv, netguard, sku_rules
from autoorder.auth import team_get_or_404, team_select
from autoorder.ebay.sync import find_listing
from autoorder.extensions import db
from autoorder.forms import ListingForm
from autoorder.inputs import arg_int, money
from autoorder.models import Listing, Order, OrderBot, SkuRule
from autoorder.orders import OrderStatus
from autoorder.routes import back_in_line, is_htmx, render_form
from autoorder.scrapers import ADAPTERS

bp = Blueprint("listings", __name__, url_prefix="/listings")

NO_MAPPING = "no_mapping"
STUCK = (OrderStatus.WAITING, OrderStatus.NEEDS_ATTENTION)
FIELDS = (
    "ebay_item_id",
    "ebay_variation_key",
    "sku",
    "title",
    "supplier_product_url",
    "supplier_variant",
    "shipping_rule",
    "bot_id",
    "max_buy_price",
    "quantity_per_sale",
    "notes",
)


@bp.get("/")
def index():
    listings = db.session.scalars(
        team_select(Listing).order_by(Listing.title, Listing.ebay_item_id)
    ).all()
    unmapped = db.session.scalars(
        team_select(Order)
        .where(Order.failure_code == NO_MAPPING, Order.status.in_(STUCK))
        .order_by(Order.sold_at.desc())
    ).all()
    return render_template(
        "listings/index.html",
        listings=listings,
        unmapped=_one_per_item(unmapped),
        rules=sku_rules.rules(current_user.team_id),
        bots=db.session.scalars(team_select(OrderBot).order_by(OrderBot.name)).all(),
    )


# --- in bulk: CSV import (preview, all or nothing) and export -------------------------------------
def _uploaded_text() -> str | None:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return listings_csv.decode(upload.read(listings_csv.MAX_BYTES + 1))
    pasted = request.form.get("text")
    return pasted if pasted and pasted.strip() else None


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    """GET: the upload page. POST: check every row and import them all in one transaction, or
    nothing and the errors per row."""
    if request.method == "GET":
        return render_template("listings/import.html", parsed=None, columns=listings_csv.COLUMNS)
    text = _uploaded_text()
    if text is None:
        parsed = listings_csv.Parsed([], [(0, "Choose a CSV file (or paste its text).")])
    else:
        parsed = listings_csv.parse(text, current_user.team_id)
    if not parsed.ok:
        return render_template(
            "listings/import.html", parsed=parsed, columns=listings_csv.COLUMNS
        ), 422
    created, updated = listings_csv.apply(parsed, current_user.team_id)
    resumed = _resume_all_unmapped()
    db.session.commit()  # one transaction: every row or none
    flash(
        f"Imported {len(parsed.rows)} listings: {created} new, {updated} updated."
        + back_in_line(resumed, "Sales waiting for a mapping and now back in line:"),
        "success",
    )
    return redirect(url_for("listings.index"))


@bp.post("/import/preview")
def import_preview():
    """HTMX: what the file would do, row by row, with every error; writes nothing."""
    text = _uploaded_text()
    if text is None:
        parsed = listings_csv.Parsed([], [(0, "Choose a CSV file (or paste its text).")])
    else:
        parsed = listings_csv.parse(text, current_user.team_id)
    db.session.rollback()
    template = "listings/_import_preview.html" if is_htmx() else "listings/import.html"
    return render_template(template, parsed=parsed, columns=listings_csv.COLUMNS)


@bp.get("/export.csv")
def export_csv():
    body = listings_csv.export(current_user.team_id)
    return Response(
        "\ufeff" + body,  # a BOM: spreadsheets then read it as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=listings.csv"},
    )


def _resume_all_unmapped() -> list[int]:
    """Every no-mapping sale of the team that a listing now maps: attach it and retry it."""
    stuck = db.session.scalars(
        team_select(Order).where(Order.failure_code == NO_MAPPING, Order.status.in_(STUCK))
    ).all()
    resumed = []
    for order in stuck:
        found = find_listing(
            order.team_id, order.legacy_item_id, order.legacy_variation_id or "", order.sku
        )
        if found is None:
            continue
        order.listing_id, order.bot_id = found.id, found.bot_id
        if order.status == OrderStatus.NEEDS_ATTENTION:
            actions.retry(order, actor=current_user.email)
        resumed.append(order.id)
    return resumed


# --- SKU rules -----------------------------------------------------------------------------------
@bp.post("/sku-rules")
def add_sku_rule():
    """A seller's SKU pattern that carries the supplier product id (validated, bounded)."""
    pattern = (request.form.get("pattern") or "").strip()
    bot = db.session.scalar(
        team_select(OrderBot).where(OrderBot.id == arg_int(request.form, "bot_id", default=-1))
    )
    problem = None
    try:
        sku_rules.compile_pattern(pattern)
    except sku_rules.RuleError as exc:
        problem = f"Pattern: {exc}"
    price = None
    if problem is None and bot is None:
        problem = "Choose the order bot that buys what the rule maps."
    if problem is None and request.form.get("max_buy_price", "").strip():
        try:
            price = money(request.form["max_buy_price"])
        except ValueError as exc:
            problem = f"Max price: {exc}"
    if problem is None and sku_rules.product_url(bot, "x") is None:
        problem = f"{bot.supplier.name} cannot open a product by its id; map its listings by URL."
    if problem:
        flash(f"SKU rule not saved. {problem}", "error")
        return redirect(url_for("listings.index") + "#sku-rules")
    db.session.add(
        SkuRule(
            team_id=current_user.team_id,
            pattern=pattern,
            bot_id=bot.id,
            max_buy_price=price,
            position=len(sku_rules.rules(current_user.team_id)),
        )
    )
    db.session.commit()
    flash("SKU rule saved: new sales whose SKU matches it are mapped by themselves.", "success")
    return redirect(url_for("listings.index") + "#sku-rules")


@bp.post("/sku-rules/<int:rule_id>/delete")
def delete_sku_rule(rule_id):
    rule = team_get_or_404(SkuRule, rule_id)
    db.session.delete(rule)
    db.session.commit()
    flash("SKU rule deleted (the listings it created stay).", "success")
    return redirect(url_for("listings.index") + "#sku-rules")


@bp.route("/new", methods=["GET", "POST"])
def new():
    source = (
        team_get_or_404(Order, arg_int(request.args, "from_order", default=0))
        if request.args.get("from_order")
        else None
    )
    form = _form()
    if not form.is_submitted() and source is not None:
        form.ebay_item_id.data = source.legacy_item_id
        form.ebay_variation_key.data = source.legacy_variation_id or source.sku or ""
        form.sku.data, form.title.data = source.sku, source.title
    if form.is_submitted() and _validate(form, None):
        listing = Listing(team_id=current_user.team_id)
        _apply(form, listing)
        db.session.add(listing)
        db.session.flush()
        return _saved(listing, "created")
    return render_form("listings/form.html", form, listing=None, source=source)


@bp.route("/<int:listing_id>", methods=["GET", "POST"])
def edit(listing_id):
    listing = team_get_or_404(Listing, listing_id)
    form = _form(obj=listing)
    if form.is_submitted() and _validate(form, listing):
        _apply(form, listing)
        db.session.flush()
        return _saved(listing, "saved")
    return render_form("listings/form.html", form, listing=listing, source=None)


@bp.post("/<int:listing_id>/delete")
def delete(listing_id):
    listing = team_get_or_404(Listing, listing_id)
    if db.session.scalar(select(exists().where(Order.listing_id == listing.id))):
        flash(
            "Sales were bought or are waiting with this mapping, so it cannot be deleted; "
            "edit it instead.",
            "error",
        )
        return redirect(url_for("listings.index"))
    db.session.delete(listing)
    db.session.commit()
    flash(f"Mapping for eBay item {listing.ebay_item_id} deleted.", "success")
    return redirect(url_for("listings.index"))


def _saved(listing, verb):
    """Attach the sales waiting for this mapping, retry them, commit, then enqueue them."""
    resumed = _resume_unmapped(listing)
    db.session.commit()
    flash(
        f"Mapping for eBay item {listing.ebay_item_id} {verb}."
        + back_in_line(resumed, "Sales waiting for it and now back in line:"),
        "success",
    )
    return redirect(url_for("listings.index"))


def _resume_unmapped(listing) -> list[int]:
    """Return the ids of this team's no-mapping sales that this listing now maps, after retrying
    them."""
    match = [Order.legacy_item_id == listing.ebay_item_id]
    if listing.sku:
        match.append(Order.sku == listing.sku)
    stuck = db.session.scalars(
        team_select(Order).where(
            Order.failure_code == NO_MAPPING, Order.status.in_(STUCK), or_(*match)
        )
    ).all()
    resumed = []
    for order in stuck:
        found = find_listing(
            order.team_id, order.legacy_item_id, order.legacy_variation_id or "", order.sku
        )
        if found is None or found.id != listing.id:
            continue  # a more specific mapping (or none) applies to this sale
        order.listing_id, order.bot_id = listing.id, listing.bot_id
        if order.status == OrderStatus.NEEDS_ATTENTION:
            actions.retry(order, actor=current_user.email)
        resumed.append(order.id)
    return resumed


def _one_per_item(orders):
    """The unmapped sales, one per eBay item + variation, with how many wait on it."""
    groups: dict[tuple, dict] = {}
    for order in orders:
        key = (order.legacy_item_id, order.legacy_variation_id or order.sku or "")
        groups.setdefault(key, {"order": order, "count": 0})["count"] += 1
    return list(groups.values())


def _form(obj=None):
    form = ListingForm(obj=obj)
    bots = db.session.scalars(team_select(OrderBot).order_by(OrderBot.name)).all()
    form.bot_id.choices = [("", "Choose a bot…")] + [
        (b.id, f"{b.name} — {b.supplier.name}{'' if b.enabled else ' (disabled)'}") for b in bots
    ]
    if not form.is_submitted() and obj is None and len(bots) == 1:
        form.bot_id.data = bots[0].id
    return form


def _validate(form, listing) -> bool:
    ok = form.validate() and _url_on_supplier(form)
    if ok:
        query = team_select(Listing).where(
            Listing.ebay_item_id == form.ebay_item_id.data,
            Listing.ebay_variation_key == (form.ebay_variation_key.data or ""),
        )
        if listing is not None:
            query = query.where(Listing.id != listing.id)
        if db.session.scalar(query.with_only_columns(Listing.id).limit(1)) is not None:
            form.ebay_variation_key.errors.append(
                "This eBay item and variation is already mapped; edit that mapping instead."
            )
            ok = False
    return ok


def _url_on_supplier(form) -> bool:
    """The product URL must stay on the chosen bot's supplier (no requests to internal hosts). A
    URL or product id the supplier's adapter recognises is stored as its product page."""
    bot = db.session.scalar(team_select(OrderBot).where(OrderBot.id == form.bot_id.data))
    if bot is None:
        form.bot_id.errors.append("Choose an order bot.")
        return False
    field, supplier = form.supplier_product_url, bot.supplier
    adapter = ADAPTERS.get(supplier.key)
    try:
        canonical = adapter.product_ref(field.data, supplier.base_url) if adapter else None
    except ValueError as exc:  # recognised but unusable as given (e.g. an amzn.to short link)
        field.errors.append(str(exc))
        return False
    if canonical:
        field.data = canonical
    elif "://" not in field.data:
        field.errors.append(
            f"{supplier.name} does not use product ids like this one: paste the product's full "
            "URL (https://…)."
        )
        return False
    other = _other_supplier_of(field.data, supplier.key)
    if other is not None:
        field.errors.append(
            f"This is a {other.display_name} product URL, but the bot {bot.name} buys on "
            f"{supplier.name}: choose a {other.display_name} bot or a {supplier.name} product."
        )
        return False
    try:
        netguard.check_supplier_url(
            field.data, hosts=adapter.hosts if adapter else (), base_url=supplier.base_url
        )
    except netguard.UnsafeURLError as exc:
        field.errors.append(str(exc))
        return False
    return True


def _other_supplier_of(url: str, key: str):
    """The adapter of another registered supplier whose site ``url`` is on, if any."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    for adapter in ADAPTERS.values():
        if adapter.key != key and any(host == h or host.endswith("." + h) for h in adapter.hosts):
            return adapter
    return None


def _apply(form, listing):
    for name in FIELDS:
        setattr(listing, name, getattr(form, name).data)
    listing.ebay_variation_key = listing.ebay_variation_key or ""
    for name in ("sku", "title", "supplier_variant", "notes"):
        setattr(listing, name, getattr(listing, name) or None)
