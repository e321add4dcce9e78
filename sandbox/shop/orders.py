"""Order history and order detail pages of the signed-in buyer."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from .web import current_account, get_store, login_required

bp = Blueprint("orders", __name__)

STATUS_TEXT = {
    "processing": "Processing",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "returned": "Returned",
    "cancelled": "Cancelled",
}


@bp.route("/orders")
@login_required
def history():
    orders = get_store().orders_for(current_account()["email"])
    return render_template("orders.html", orders=orders, status_text=STATUS_TEXT)


@bp.route("/orders/<number>")
@login_required
def detail(number: str):
    order = get_store().order(number)
    if order is None or order["account_email"] != current_account()["email"]:
        abort(404)
    return render_template(
        "order_detail.html",
        order=order,
        status_text=STATUS_TEXT,
        notes=get_store().fault("no_order_note") is None,
    )
