"""Sales & Orders: the list of sales and one order's detail."""

from flask import Blueprint, render_template
from sqlalchemy import func

from autoorder.auth import team_get_or_404, team_select
from autoorder.extensions import db
from autoorder.models import Order

bp = Blueprint("orders", __name__)

PAGE_SIZE = 50


@bp.get("/")
def index():
    orders = db.session.scalars(
        team_select(Order).order_by(Order.sold_at.desc(), Order.id.desc()).limit(PAGE_SIZE)
    ).all()
    total = db.session.scalar(team_select(Order).with_only_columns(func.count()))
    return render_template("orders/index.html", orders=orders, total=total)


@bp.get("/orders/<int:order_id>")
def detail(order_id):
    order = team_get_or_404(Order, order_id)
    return render_template("orders/detail.html", order=order)
