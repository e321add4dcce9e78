"""The hand-off's pages: Solve (the live view of the bot's browser, a code box, Give up), the frame
long-poll and the input endpoint. Only the team that owns the sale sees any of it (another team
gets 404); every post carries the CSRF token (a form field, or the X-CSRFToken header of the
page's script). The web process never holds a browser: frames and input go through Redis
(autoorder.live_view) to the hand-off process (jobs/handoff.py).
"""

import base64

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError

from autoorder import actions, handoff, live_view
from autoorder.auth import team_get_or_404
from autoorder.extensions import db
from autoorder.models import Handoff, Order
from autoorder.queues import redis_connection
from autoorder.scrapers.base import CHALLENGE_KINDS

bp = Blueprint("handoff", __name__)
FRAME_WAIT_MS = 1000  # a frame request waits this long for a new frame (then 204)


@bp.app_context_processor
def badge():
    """The dashboard badge: how many of the team's sales wait for a person."""

    def nav_needs_you() -> int:
        if not current_user.is_authenticated or current_user.team_id is None:
            return 0
        return handoff.waiting_count(current_user.team_id)

    return {"nav_needs_you": nav_needs_you}


def _actor() -> str:
    return f"user:{current_user.id}"


def _open_or_ended(order: Order) -> Handoff:
    row = handoff.latest_for_order(order.id)
    if row is None:
        abort(404)
    return row


@bp.get("/orders/<int:order_id>/solve")
def solve(order_id):
    """The live view of the order's hand-off (or how it ended)."""
    order = team_get_or_404(Order, order_id)
    row = _open_or_ended(order)
    return render_template(
        "handoff/solve.html",
        order=order,
        handoff=row,
        open=row.status in handoff.OPEN,
        kind_text=CHALLENGE_KINDS.get(row.kind, row.kind),
        code_box=row.kind in handoff.CODE_KINDS,
        section="orders",
    )


@bp.get("/handoffs/<int:handoff_id>/frame")
def frame(handoff_id):
    """The newest frame after ``after`` (a stream id), waiting up to a second for one: JSON
    {id, jpeg (base64), w, h}; 204 when none came; {"ended": status} once the hand-off ended."""
    row = team_get_or_404(Handoff, handoff_id)
    if row.status not in handoff.OPEN:
        return jsonify(ended=row.status, outcome=row.outcome)
    after = live_view.valid_after(request.args.get("after"))
    db.session.rollback()  # hold no transaction (or pooled connection state) while waiting
    try:
        got = live_view.frame_after(redis_connection(), handoff_id, after, FRAME_WAIT_MS)
    except RedisError:
        return jsonify(error="The live view is unavailable (Redis); retrying."), 503
    if got is None:
        return "", 204
    response = jsonify(
        id=got["id"], w=got["w"], h=got["h"], jpeg=base64.b64encode(got["jpeg"]).decode()
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/handoffs/<int:handoff_id>/input")
def send_input(handoff_id):
    """The person's mouse, key and text events (JSON {"events": [...]}, live_view.clean_events)."""
    row = team_get_or_404(Handoff, handoff_id)
    if row.status not in handoff.OPEN:
        return jsonify(error="This hand-off has ended.", ended=row.status), 409
    try:
        events = live_view.clean_events(request.get_json(silent=True))
    except live_view.InputError as exc:
        return jsonify(error=str(exc)), 422
    try:
        live_view.push_input(redis_connection(), handoff_id, events)
    except RedisError:
        return jsonify(error="The live view is unavailable (Redis); try again."), 503
    return "", 204


@bp.post("/handoffs/<int:handoff_id>/code")
def send_code(handoff_id):
    """The code box: the bot types the one-time code the person read from their phone or mail."""
    row = team_get_or_404(Handoff, handoff_id)
    back = redirect(url_for("handoff.solve", order_id=row.order_id))
    if row.status not in handoff.OPEN:
        flash("This hand-off has ended.", "error")
        return back
    try:
        events = live_view.clean_events(
            {"events": [{"t": "code", "text": request.form.get("code", "")}]}
        )
        live_view.push_input(redis_connection(), handoff_id, events)
    except live_view.InputError as exc:
        flash(f"Code: {exc}.", "error")
        return back
    except RedisError:
        flash("The live view is unavailable (Redis); try again.", "error")
        return back
    flash("The bot is entering the code.", "success")
    return back


@bp.post("/handoffs/<int:handoff_id>/give-up")
def give_up(handoff_id):
    """End the hand-off: the sale needs attention, nothing is bought."""
    row = team_get_or_404(Handoff, handoff_id)
    order = db.session.get(Order, row.order_id)
    if "give_up" not in actions.allowed(order) or not handoff.end(
        handoff_id, "gave_up", actor=_actor()
    ):
        flash("This hand-off has already ended.", "error")
    else:
        flash("Given up: the sale needs attention; nothing was bought.", "success")
    return redirect(url_for("orders.detail", order_id=row.order_id))
