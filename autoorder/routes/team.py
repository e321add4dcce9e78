"""Team: the admins of a team create its users, change their roles and deactivate them.
A team always keeps at least one active admin."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from autoorder.auth import admin_required, team_get_or_404, team_select
from autoorder.extensions import db
from autoorder.forms import NewUserForm, RoleForm
from autoorder.models import SignIn, User

bp = Blueprint("team", __name__, url_prefix="/team")


@bp.before_request
@admin_required
def only_admins():
    """Every page of this blueprint is for admins (checked here, not in the templates)."""


@bp.get("/")
def index():
    return _page(NewUserForm(formdata=None))


@bp.post("/users")
def create_user():
    form = NewUserForm()
    if not form.validate():
        return _page(form, status=422)
    email = form.email.data.lower()
    holder = db.session.scalar(select(User.team_id).where(func.lower(User.email) == email))
    if holder is not None:
        # Say which only for this team's own users: another team's are none of this admin's
        # business.
        form.email.errors.append(
            "A user of this team already has this email."
            if holder == current_user.team_id
            else "This email cannot be used for a new user; choose another."
        )
        return _page(form, status=422)
    user = User(team_id=current_user.team_id, email=email, role=form.role.data, active=True)
    user.set_password(form.password.data)
    db.session.add(user)
    db.session.commit()
    flash(
        f"User {user.email} created as {user.role}. Give them the initial password; "
        "they can log in now.",
        "success",
    )
    return redirect(url_for("team.index"))


def _operator_untouchable(user) -> bool:
    """A team admin cannot demote or deactivate the server operator (only another operator can)."""
    if user.is_operator and not current_user.is_operator:
        flash(f"{user.email} is the server operator; only an operator can change them.", "error")
        return True
    return False


@bp.post("/users/<int:user_id>/role")
def change_role(user_id):
    user = team_get_or_404(User, user_id)
    form = RoleForm()
    if _operator_untouchable(user):
        pass
    elif not form.validate():
        flash("Choose a role: admin or member.", "error")
    elif form.role.data != "admin" and _is_last_admin(user):
        flash(
            f"{user.email} is the team's last active admin; make someone else admin first.", "error"
        )
    else:
        user.role = form.role.data
        db.session.commit()
        flash(f"{user.email} is now {user.role}.", "success")
    return redirect(url_for("team.index"))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id):
    user = team_get_or_404(User, user_id)
    if _operator_untouchable(user):
        pass
    elif _is_last_admin(user):
        flash(f"{user.email} is the team's last active admin and cannot be deactivated.", "error")
    else:
        user.active = False
        db.session.commit()
        flash(f"{user.email} is deactivated and can no longer log in.", "success")
    return redirect(url_for("team.index"))


@bp.post("/users/<int:user_id>/activate")
def activate(user_id):
    user = team_get_or_404(User, user_id)
    user.active = True
    db.session.commit()
    flash(f"{user.email} can log in again.", "success")
    return redirect(url_for("team.index"))


def _is_last_admin(user) -> bool:
    """Return whether removing this user's admin rights would leave the team without an active
    admin."""
    if not (user.active and user.is_admin):
        return False
    others = db.session.scalar(
        team_select(User)
        .where(User.role == "admin", User.active.is_(True), User.id != user.id)
        .with_only_columns(func.count())
    )
    return others == 0


SIGN_INS_SHOWN = 50


def _page(form, status=200):
    users = db.session.scalars(team_select(User).order_by(User.active.desc(), User.email)).all()
    # The sign-in audit: the team's own users; the operator sees every attempt on the server
    # (also those for unknown e-mail addresses).
    query = select(SignIn).order_by(SignIn.at.desc(), SignIn.id.desc()).limit(SIGN_INS_SHOWN)
    if not current_user.is_operator:
        query = query.where(SignIn.team_id == current_user.team_id)
    sign_ins = db.session.scalars(query).all()
    return render_template("team/index.html", users=users, form=form, sign_ins=sign_ins), status
