"""HTTP: one blueprint per module. Views check auth/ownership, call domain code, render."""

from autoorder.extensions import htmx


def is_htmx() -> bool:
    """Return whether the request came from htmx (and wants a fragment): flask-htmx reads the
    ``HX-Request`` header."""
    return bool(htmx)


def register_blueprints(app):
    from autoorder.routes import auth, bots, health, orders

    for module in (auth, bots, health, orders):
        app.register_blueprint(module.bp)
    from autoorder.routes import console, listings, monitoring, settings, suppliers, team

    for module in (console, listings, settings, suppliers, team):
        app.register_blueprint(module.bp)
    monitoring.init_app(app)
    register_error_pages(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


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
