"""Listings: an eBay listing (item id + variation id / SKU) mapped to the supplier product, variant
and order bot that fill it. Saving a mapping puts the sales stuck on "no supplier mapping" back in line."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import exists, or_, select

from autoorder import actions, jobs, netguard
from autoorder.auth import team_get_or_404, team_select
from autoorder.ebay.sync import find_listing
from autoorder.extensions import db
from autoorder.forms import ListingForm
from autoorder.inputs import arg_int
from autoorder.models import Listing, Order, OrderBot
from autoorder.orders import OrderStatus
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
        "listings/index.html", listings=listings, unmapped=_one_per_item(unmapped)
    )


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
    return render_template(
        "listings/form.html", form=form, listing=None, source=source
    ), 422 if form.errors else 200


@bp.route("/<int:listing_id>", methods=["GET", "POST"])
def edit(listing_id):
    listing = team_get_or_404(Listing, listing_id)
    form = _form(obj=listing)
    if form.is_submitted() and _validate(form, listing):
        _apply(form, listing)
        db.session.flush()
        return _saved(listing, "saved")
    return render_template(
        "listings/form.html", form=form, listing=listing, source=None
    ), 422 if form.errors else 200


@bp.post("/<int:listing_id>/delete")
def delete(listing_id):
    listing = team_get_or_404(Listing, listing_id)
    if db.session.scalar(select(exists().where(Order.listing_id == listing.id))):
        flash(
            "Sales were bought or are waiting with this mapping, so it cannot be deleted; edit it instead.",
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
    queued = jobs.after_commit(jobs.enqueue_order, *resumed)  # else the due-orders duty does
    message = f"Mapping for eBay item {listing.ebay_item_id} {verb}."
    if resumed:
        message += f" Sales waiting for it and now back in line: {len(resumed)}."
        if not queued:
            message += " (The job queue is unreachable; they start with the next tick.)"
    flash(message, "success")
    return redirect(url_for("listings.index"))


def _resume_unmapped(listing) -> list[int]:
    """Return the ids of this team's no-mapping sales that this listing now maps, after retrying them."""
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
