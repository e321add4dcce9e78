"""Run the demo shop: python -m sandbox.shop --port 8765 [--seed 0] [--host 127.0.0.1]."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import threading
import time

from werkzeug.serving import make_server

from .app import create_app
from .store import DEFAULT_DECLINE_CARDS
from .web import STORE_KEY


def start_auto_shipper(store, after_seconds: float) -> threading.Thread:
    """Ship each processing order ``after_seconds`` after it was placed (a warehouse, for the
    demo)."""

    def loop():
        while True:
            time.sleep(1)
            now = dt.datetime.now(dt.UTC)
            due = [
                o["number"]
                for o in list(store.orders.values())
                if o["status"] == "processing"
                and (now - dt.datetime.fromisoformat(o["placed_at"])).total_seconds()
                >= after_seconds
            ]
            for number in due:
                store.ship(number)

    thread = threading.Thread(target=loop, name="auto-shipper", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.shop", description="Demo supplier shop"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--decline-card",
        action="append",
        dest="decline_cards",
        help="card number that is always declined (repeatable; default 4000000000000002)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    parser.add_argument(
        "--auto-ship-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="demo: ship every processing order this long after it was placed",
    )
    args = parser.parse_args(argv)
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(
        seed=args.seed, decline_cards=tuple(args.decline_cards or DEFAULT_DECLINE_CARDS)
    )
    if args.auto_ship_after is not None:
        start_auto_shipper(app.extensions[STORE_KEY], args.auto_ship_after)
    server = make_server(args.host, args.port, app, threaded=True)
    print(
        f"sandbox shop listening on http://{args.host}:{server.port} (seed {args.seed})", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
