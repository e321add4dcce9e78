"""HTTP: one blueprint per module. Views check auth/ownership, call domain code, render."""

from flask import render_template, request

from autoorder import jobs
from autoorder.extensions import htmx


def is_htmx() -> bool:
    """Return whether the request came from htmx (and wants a fragment): flask-htmx reads the
    ``HX-Request`` header."""
    return bool(htmx)


def render_form(template: str, form, **context):
    """A form's page: answered 422 when the submitted form has errors, else 200."""
    return render_template(template, form=form, **context), 422 if form.errors else 200


def back_in_line(resumed: list[int], sentence: str) -> str:
    """Enqueue the sales put back in line, after the commit (else the due-orders duty does); return
    what the flash message adds: ``sentence`` and how many, and whether the queue was
    unreachable."""
    queued = jobs.after_commit(jobs.enqueue_order, *resumed)
    if not resumed:
        return ""
    added = f" {sentence} {len(resumed)}."
    if not queued:
        added += " (The job queue is unreachable; they start with the next tick.)"
    return added


def register_blueprints(app):
    from autoorder.routes import auth, bots, handoff, health, orders

    for module in (auth, bots, handoff, health, orders):
        app.register_blueprint(module.bp)
    from autoorder.routes import (
        console,
        ebay_notifications,
        ebay_setup,
        listings,
        monitoring,
        notifications,
        reports,
        settings,
        suppliers,
        team,
    )

    for module in (
        console,
        ebay_notifications,
        ebay_setup,
        listings,
        notifications,
        reports,
        settings,
        suppliers,
        team,
    ):
        app.register_blueprint(module.bp)
    monitoring.init_app(app)
    register_error_pages(app)
    policy = content_security_policy(app.config.get("EBAY_AUTH_BASE_URL"))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        dashboard = request.blueprint == monitoring.BLUEPRINT
        response.headers.setdefault(
            "Content-Security-Policy", monitoring.CONTENT_SECURITY_POLICY if dashboard else policy
        )
        return response


def content_security_policy(ebay_auth_url: str | None) -> str:
    """Scripts and styles from our own static files only: no inline script, no eval, so text a
    user typed can never run as script. Forms post here, or (connect eBay) redirect to eBay."""
    from urllib.parse import urlsplit

    ebay = urlsplit(ebay_auth_url or "")
    form_targets = "'self'" + (f" {ebay.scheme}://{ebay.netloc}" if ebay.netloc else "")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            f"form-action {form_targets}",
        )
    )


def register_error_pages(app):
    """Plain error pages: no stack traces, no request data, no secrets."""
    from flask import render_template
    from flask_wtf.csrf import CSRFError

    def render(code, title, message):
        if is_htmx():
            return f'<div class="flash flash-error" role="alert">{title}: {message}</div>', code
        return render_template("errors.html", code=code, title=title, message=message), code

    app.register_error_handler(
        CSRFError,
        lambda e: render(
            400,
            "Form expired",
            "The CSRF token is missing or invalid. Reload the page and try again.",
        ),
    )
    app.register_error_handler(
        403, lambda e: render(403, "Not allowed", "Only an admin can do that.")
    )
    app.register_error_handler(404, lambda e: render(404, "Not found", "There is nothing here."))
    app.register_error_handler(
        500,
        lambda e: render(
            500,
            "Something went wrong",
            "The error was logged. Nothing you entered was shown or lost.",
        ),
    )
