"""Notifications: the team's in-app list (unread badge in the navigation), its targets (apprise
URLs, write-only: shown masked) and thresholds, and a "Send test" button. Nothing is sent here:
the button records a test notification and enqueues its delivery job."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from autoorder import jobs, notifications
from autoorder.auth import admin_required, team_get_or_404, team_select
from autoorder.extensions import db
from autoorder.forms import NotificationSettingsForm, NotificationTargetForm
from autoorder.models import Notification, NotificationTarget, Team
from autoorder.routes import is_htmx

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

LIST_SIZE = 50


@bp.app_context_processor
def navigation_context():
    return {"nav_unread_notifications": _nav_unread}


def _nav_unread():
    """The unread count in the navigation; None if it cannot be read (e.g. on an error page)."""
    if not current_user.is_authenticated:
        return None
    try:
        return notifications.unread_count(current_user.team_id)
    except SQLAlchemyError:
        db.session.rollback()
        return None


@bp.get("/badge")
def badge():
    """The navigation's unread badge (polled by htmx)."""
    return render_template(
        "notifications/_badge.html", unread=notifications.unread_count(current_user.team_id)
    )


@bp.get("/")
def index():
    if is_htmx():
        return render_template("notifications/_list.html", items=_items())
    return _page()


@bp.post("/read")
def mark_read():
    count = notifications.mark_all_read(current_user.team_id)
    db.session.commit()
    if is_htmx():
        response = current_app.make_response(
            render_template("notifications/_list.html", items=_items())
        )
        response.headers["HX-Trigger"] = "notifications-read"
        return response
    flash(f"{count} notification{'s' if count != 1 else ''} marked read.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/targets")
@admin_required
def add_target():
    form = NotificationTargetForm()
    if not form.validate():
        return _page(target_form=form, status=422)
    try:
        target = notifications.add_target(
            current_user.team_id, form.url.data, label=form.label.data, actor=current_user.email
        )
    except ValueError as exc:
        form.url.errors = [str(exc)]
        return _page(target_form=form, status=422)
    db.session.commit()
    flash(f"Target {target.display} added.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/targets/<int:target_id>/remove")
@admin_required
def remove_target(target_id):
    target = team_get_or_404(NotificationTarget, target_id)
    shown = target.display
    notifications.remove_target(target)
    db.session.commit()
    flash(f"Target {shown} removed.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/test")
@admin_required
def send_test():
    """Record a test message to every target and enqueue its delivery (after the commit)."""
    has_targets = db.session.scalar(
        select(NotificationTarget.id)
        .where(NotificationTarget.team_id == current_user.team_id, NotificationTarget.enabled)
        .limit(1)
    )
    if not has_targets:
        flash("Add a target first: the test message goes to every target.", "error")
        return redirect(url_for("notifications.index"))
    notification = notifications.send_test(current_user.team_id, current_user.email)
    db.session.commit()
    queued = jobs.after_commit(jobs.enqueue_notification, notification.id)
    flash(
        "Test message queued: it is sent in the background; each target's result shows below."
        if queued
        else "Test message recorded; the job queue is unreachable, so it goes out when it is back.",
        "success" if queued else "error",
    )
    return redirect(url_for("notifications.index"))


@bp.post("/settings")
@admin_required
def save_settings():
    form = NotificationSettingsForm()
    if not form.validate():
        return _page(settings_form=form, status=422)
    team = db.session.get(Team, current_user.team_id)
    team.notify_credits_below = form.credits_below.data
    team.notify_gift_card_below = form.gift_card_below.data
    db.session.commit()
    flash("Notification settings saved.", "success")
    return redirect(url_for("notifications.index"))


def _items():
    return db.session.scalars(
        team_select(Notification)
        .options(selectinload(Notification.deliveries))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(LIST_SIZE)
    ).all()


def _page(*, target_form=None, settings_form=None, status=200):
    team = db.session.get(Team, current_user.team_id)
    targets = db.session.scalars(
        select(NotificationTarget)
        .where(NotificationTarget.team_id == team.id)
        .order_by(NotificationTarget.id)
    ).all()
    if settings_form is None:
        settings_form = NotificationSettingsForm(
            formdata=None,
            data={
                "credits_below": team.notify_credits_below,
                "gift_card_below": team.notify_gift_card_below,
            },
        )
    return render_template(
        "notifications/index.html",
        items=_items(),
        targets={t.id: t for t in targets},
        target_form=target_form or NotificationTargetForm(formdata=None),
        settings_form=settings_form,
        kinds=notifications.KINDS,
        default_credits_below=notifications.DEFAULT_CREDITS_BELOW,
        default_gift_card_below=notifications.DEFAULT_GIFT_CARD_BELOW,
    ), status
