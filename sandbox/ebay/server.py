"""Serve the emulator with werkzeug's threaded server, in this process."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


def make_threaded_server(app: Flask, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded werkzeug server bound to ``host:port`` (port 0: a free port, see
    ``server.server_port``)."""
    return make_server(host, port, app, threaded=True)


def start_in_thread(
    app: Flask, port: int = 0, host: str = "127.0.0.1"
) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` on a background thread. Returns ``(base_url, stop)``. ``stop()`` shuts it
    down."""
    server = make_threaded_server(app, host, port)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="ebay-sandbox-http",
        daemon=True,
    )
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        generator = app.extensions["ebay_sandbox"].generator
        if generator is not None:
            generator.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.server_port}", stop
