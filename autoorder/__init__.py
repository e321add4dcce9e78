"""autoorder: buys each eBay sale from its supplier, then uploads the tracking to eBay."""

import logging
from pathlib import Path

from flask import Flask

from autoorder.config import Config, ConfigError
from autoorder.extensions import csrf, db, htmx, login_manager, migrate

__all__ = ["create_app", "db", "ConfigError"]


def create_app(config: Config | None = None) -> Flask:
    """Build the app; raise ConfigError naming every missing secret."""
    config = config if config is not None else Config()
    missing = config.missing()
    if missing:
        raise ConfigError(
            "autoorder cannot start: missing required environment variable(s): "
            + ", ".join(missing)
            + ". See .env.example (`make demo` writes local development keys)."
        )
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_mapping(config.as_dict())
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.logger.setLevel(logging.INFO)
    _make_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])

    from autoorder import auth, cli, crypto, routes
    from autoorder.inputs import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added

    crypto.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    auth.init_app(app, login_manager)
    routes.register_blueprints(app)
    cli.register(app)
    return app


def _make_sqlite_folder(url: str) -> None:
    """The embedded default keeps its SQLite file under instance/; make sure the folder exists."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
