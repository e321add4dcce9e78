"""The emulator's Flask app: ``create_app(seed=0, client_id=..., client_secret=...,
redirect_uri=..., clock=None)``."""

from __future__ import annotations

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from sandbox.ebay import control, fulfillment, notification, oauth
from sandbox.ebay.clock import Clock
from sandbox.ebay.errors import ApiError, error_response
from sandbox.ebay.generator import SaleGenerator
from sandbox.ebay.state import Config, SandboxState

DEFAULT_CLIENT_ID = "autoorder-demo"
DEFAULT_CLIENT_SECRET = "demo-secret"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:5000/ebay/callback"
DEFAULT_RU_NAME = "autoorder-demo-RuName"
DEFAULT_SELLER_ID = "autoorder_demo_seller"
REQUEST_ID_HEADER = "X-EBAY-C-REQUEST-ID"


def create_app(
    seed: int = 0,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
    clock: Clock | None = None,
    ru_name: str = DEFAULT_RU_NAME,
    seller_id: str = DEFAULT_SELLER_ID,
    generate_sales_every: float | None = None,
) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False
    config = Config(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        ru_name=ru_name,
        seller_id=seller_id,
    )
    state = SandboxState(config, seed=seed, clock=clock)
    state.generator = SaleGenerator(state)
    app.extensions["ebay_sandbox"] = state
    app.register_blueprint(oauth.bp)
    app.register_blueprint(fulfillment.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(notification.bp)
    app.register_blueprint(notification.control)

    @app.before_request
    def _request_id():
        g.ebay_request_id = state.request_id()

    @app.after_request
    def _tag(resp):
        request_id = g.get("ebay_request_id") or state.request_id()
        resp.headers[REQUEST_ID_HEADER] = request_id
        endpoint = (request.endpoint or "").partition(".")
        if endpoint[0] in ("fulfillment", "oauth", "notification"):
            state.record(
                endpoint[2],
                request.method,
                request.path,
                request.query_string.decode("latin-1"),
                resp.status_code,
                request_id,
            )
        return resp

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if request.path.startswith(("/sell/", "/commerce/")):
            if err.code in (404, 405):
                return error_response(ApiError(404, 2002))
            return error_response(ApiError(500, 2003))
        return jsonify({"error": err.description}), err.code

    if generate_sales_every:
        state.generator.start(generate_sales_every)
    return app
