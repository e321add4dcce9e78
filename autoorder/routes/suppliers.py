"""Suppliers (server-wide, operators only): each registered adapter's selectors and the per-supplier
override a person edits when a supplier changes its pages. Saving validates the JSON, keeps who and
when, and takes effect on the next supplier session (no restart); any earlier version can be
restored (which saves it again as the newest)."""

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from autoorder.auth import operator_required
from autoorder.extensions import db
from autoorder.models import SelectorOverride, Supplier
from autoorder.scrapers import ADAPTERS, selectors
from autoorder.scrapers.session import selector_override

bp = Blueprint("suppliers", __name__, url_prefix="/suppliers")

MAX_OVERRIDE_CHARS = 20_000


@bp.get("")
@operator_required
def index():
    suppliers = db.session.scalars(select(Supplier).order_by(Supplier.name)).all()
    return render_template(
        "suppliers/index.html", suppliers=suppliers, adapters=ADAPTERS, section="suppliers"
    )


def _page(supplier, text=None, error=None, status=200):
    adapter = ADAPTERS.get(supplier.key)
    history = db.session.scalars(
        select(SelectorOverride)
        .where(SelectorOverride.supplier_id == supplier.id)
        .order_by(SelectorOverride.id.desc())
    ).all()
    current = selector_override(supplier) or {}
    return (
        render_template(
            "suppliers/detail.html",
            supplier=supplier,
            adapter=adapter,
            defaults=adapter.SELECTORS if adapter else {},
            current=current,
            text=text if text is not None else json.dumps(current, indent=2),
            history=history,
            error=error,
            section="suppliers",
        ),
        status,
    )


@bp.get("/<int:supplier_id>")
@operator_required
def detail(supplier_id):
    return _page(db.get_or_404(Supplier, supplier_id))


@bp.post("/<int:supplier_id>/selectors")
@operator_required
def save_selectors(supplier_id):
    supplier = db.get_or_404(Supplier, supplier_id)
    adapter = ADAPTERS.get(supplier.key)
    if adapter is None:
        abort(404)
    text = request.form.get("selectors", "")
    if len(text) > MAX_OVERRIDE_CHARS:
        return _page(supplier, text[:MAX_OVERRIDE_CHARS], "The override is too long.", 400)
    try:
        clean = selectors.validate(adapter.SELECTORS, text)
    except ValueError as exc:
        return _page(supplier, text, str(exc), 400)
    _save(supplier, clean, (request.form.get("note") or "")[:200] or None)
    flash("Selector override saved; the next supplier session uses it.", "success")
    return redirect(url_for("suppliers.detail", supplier_id=supplier.id))


@bp.post("/<int:supplier_id>/selectors/<int:version_id>/restore")
@operator_required
def restore(supplier_id, version_id):
    supplier = db.get_or_404(Supplier, supplier_id)
    version = db.session.get(SelectorOverride, version_id)
    if version is None or version.supplier_id != supplier.id:
        abort(404)
    _save(supplier, dict(version.selectors or {}), f"restored version {version.id}")
    flash(f"Version {version.id} restored.", "success")
    return redirect(url_for("suppliers.detail", supplier_id=supplier.id))


def _save(supplier, clean: dict, note: str | None) -> None:
    db.session.add(
        SelectorOverride(
            supplier_id=supplier.id, selectors=clean, saved_by=current_user.email, note=note
        )
    )
    db.session.commit()
