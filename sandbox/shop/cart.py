"""Cart: add (from the product page), view, change quantity, remove, clear."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from .errors import ShopError
from .web import challenged, current_account, form_value, get_store, login_required

bp = Blueprint("cart", __name__)


def _int(value: str, default: int = 1) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


@bp.route("/cart")
@login_required
def view():
    store = get_store()
    lines = store.cart_lines(current_account()["email"])
    subtotal = sum(line["line_total"] for line in lines)
    return render_template("cart.html", lines=lines, subtotal=subtotal)


@bp.route("/cart/add", methods=["POST"])
def add():
    store = get_store()
    variant_id = form_value("variant_id", "sku_id")
    product, _ = store.find_variant(variant_id)
    slug = product["slug"] if product else request.form.get("product_slug", "")
    back = url_for("catalog.product", slug=slug) if store.product(slug) else url_for("catalog.home")
    acct = current_account()
    if acct is None:
        return redirect(url_for("account.login", next=back))
    if challenged(acct):
        return redirect(url_for("account.challenge"))
    quantity = _int(form_value("quantity", "qty"), default=0)
    try:
        store.add_to_cart(acct["email"], variant_id, quantity)
    except ShopError as exc:
        flash(exc.message, "product_error")
        return redirect(back + (f"?variant={variant_id}" if product else ""))
    flash(f"Added {quantity} x {product['title']} to your cart.", "success")
    return redirect(url_for("cart.view"))


@bp.route("/cart/update", methods=["POST"])
@login_required
def update():
    try:
        get_store().set_cart_quantity(
            current_account()["email"],
            request.form.get("variant_id", ""),
            _int(request.form.get("quantity", "1")),
        )
    except ShopError as exc:
        flash(exc.message, "error")
    return redirect(url_for("cart.view"))


@bp.route("/cart/remove", methods=["POST"])
@login_required
def remove():
    get_store().set_cart_quantity(current_account()["email"], request.form.get("variant_id", ""), 0)
    return redirect(url_for("cart.view"))


@bp.route("/cart/clear", methods=["POST"])
@login_required
def clear():
    get_store().clear_cart(current_account()["email"])
    return redirect(url_for("cart.view"))
