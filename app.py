"""Entry point for gunicorn and the flask CLI."""

from autoorder import create_app

app = create_app()
