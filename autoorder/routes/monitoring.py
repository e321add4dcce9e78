"""Jobs monitoring: rq-dashboard at /rq, inside the app's login, for the server operator only
(the queues hold every team's jobs, so a team admin may not see them).

rq-dashboard's blueprint is global (one object per process), so it gets no decorators of ours: an
app-level ``before_request`` guards its endpoints instead. Its JavaScript posts without our form
token, so the blueprint is exempt from Flask-WTF's automatic check; the guard checks the token
itself, from the ``X-CSRFToken`` header that rq-dashboard's script copies from the ``_csrf_token``
cookie we set on its pages. Its state-changing GET (requeue all) is held to the same check.
"""

from flask import abort, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from autoorder.extensions import csrf
from autoorder.queues import QUEUE_NAMES, redis_connection

URL_PREFIX = "/rq"
BLUEPRINT = "rq_dashboard"
TOKEN_COOKIE = "_csrf_token"  # the name rq-dashboard's dashboard.js reads
UNSAFE_GETS = {"rq_dashboard.requeue_all"}
# rq-dashboard's own pages run an inline script and underscore templates (eval): its pages get this
# looser policy. They are the operator's only and render job data through escaping templates.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def init_app(app):
    import rq_dashboard
    from rq_dashboard.web import setup_rq_connection

    app.config["RQ_DASHBOARD_REDIS_URL"] = _dashboard_url(app.config["REDIS_URL"])
    setup_rq_connection(app)
    csrf.exempt(rq_dashboard.blueprint)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    app.before_request(guard)
    app.after_request(hand_token_to_dashboard)


def guard():
    """The operator only (403 for everyone else); CSRF token on every change; follow REDIS_URL."""
    if request.blueprint != BLUEPRINT or not current_user.is_authenticated:
        return None  # the login requirement itself is enforced by autoorder.auth
    if not current_user.is_operator:
        abort(403)
    if request.method not in ("GET", "HEAD", "OPTIONS") or request.endpoint in UNSAFE_GETS:
        _check_token()
    url = _dashboard_url(current_app.config["REDIS_URL"])
    if current_app.config.get("RQ_DASHBOARD_REDIS_URL") != (url,):
        current_app.config["RQ_DASHBOARD_REDIS_URL"] = (url,)
        current_app.redis_conn = redis_connection(url)
    _404_unless_known(request.view_args or {})
    return None


REGISTRIES = {"queued", "failed", "deferred", "scheduled", "finished", "started", "canceled"}


def _404_unless_known(args):
    """rq-dashboard answers 500 (or "OK" for nothing) on a job, queue, registry or Redis instance
    that does not exist: answer 404 before its view runs."""
    from rq import Queue
    from rq.job import Job

    connection = current_app.redis_conn
    if args.get("instance_number", 0) != 0:  # one Redis: REDIS_URL
        abort(404)
    if args.get("registry_name") not in (None, *REGISTRIES):
        abort(404)
    name = args.get("queue_name")
    if name is not None and name not in QUEUE_NAMES:
        if name not in {q.name for q in Queue.all(connection=connection)}:
            abort(404)
    job_id = args.get("job_id")
    if job_id is not None and (len(job_id) > 200 or not Job.exists(job_id, connection=connection)):
        abort(404)


def _check_token():
    """Raise CSRFError (answered 400) unless the request carries a valid token."""
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None


def hand_token_to_dashboard(response):
    if (
        request.blueprint == BLUEPRINT
        and current_user.is_authenticated
        and current_user.is_operator
        and response.mimetype == "text/html"
    ):
        response.set_cookie(
            TOKEN_COOKIE,
            generate_csrf(),
            path=URL_PREFIX,
            samesite="Strict",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", True),
            httponly=False,
        )
    return response


def _dashboard_url(url: str) -> str:
    """rq-dashboard builds its own clients from this URL: give rediss:// the TLS option ours
    uses."""
    if url.startswith("rediss://") and "ssl_cert_reqs" not in url:
        url += ("&" if "?" in url else "?") + "ssl_cert_reqs=none"
    return url
