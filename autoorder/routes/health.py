"""Liveness check for the platform's router (no login, no secrets)."""

from flask import Blueprint
from sqlalchemy import text

from autoorder.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
