"""Login, roles and the one team-scoping helper every team-data query goes through.

Two separate roles: a team's admin manages that team only (``admin_required``); the server
operator (``User.is_operator``, ``operator_required``) runs the server for every team: the job
dashboard, credit packages offered to every team, recording payments, eBay set-up.
"""

from functools import wraps

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import User

PUBLIC_ENDPOINTS = {
    "auth.login",
    "static",
    "health.health",
    "ebay_notifications.account_deletion",  # eBay calls it; it checks eBay's signature itself
}


def init_app(app, login_manager):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)

    @app.before_request
    def require_login():
        """Every endpoint needs a logged-in user unless listed in PUBLIC_ENDPOINTS."""
        if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
            return None
        return login_manager.unauthorized()


def _load_user(user_id):
    """The user of a session or remember cookie ("<id>:<generation>"), if it was not revoked
    since."""
    raw_id, _, generation = str(user_id).partition(":")
    if not (raw_id.isdigit() and generation.isdigit()) or len(raw_id) > 10 or len(generation) > 10:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or (user.session_generation or 0) != int(generation):
        return None
    return user


def admin_required(view):
    """Refuse (403) a logged-in member who is not an admin."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def operator_required(view):
    """Refuse (403) anyone but the server operator (a team admin is not an operator)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def team_select(model):
    """Return ``select(model)`` limited to the current user's team."""
    return select(model).where(model.team_id == current_user.team_id)


def team_get_or_404(model, object_id):
    """Return the current team's row with this id; another team's id answers 404."""
    row = db.session.scalar(team_select(model).where(model.id == object_id))
    if row is None:
        abort(404)
    return row
