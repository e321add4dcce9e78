"""Run the AliExpress replica: python -m sandbox.aliexpress --port 8803 [--seed 0]."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import threading
import time

from werkzeug.serving import make_server

from .app import STORE_KEY, create_app


def start_auto_shipper(store, after_seconds: float) -> threading.Thread:
    """Ship each order awaiting shipment ``after_seconds`` after it was placed (the demo's
    warehouse): one Cainiao package, or two packages when the order has two pieces or more."""

    def loop():
        while True:
            time.sleep(1)
            now = dt.datetime.now(dt.UTC)
            for order in list(store.orders.values()):
                placed = dt.datetime.fromisoformat(order["placed_at"])
                if order["status"] != "WAIT_SELLER_SEND_GOODS" or order["packages"]:
                    continue
                if (now - placed).total_seconds() < after_seconds:
                    continue
                pieces = sum(i["quantity"] for i in order["items"])
                specs = [{"format": "cainiao"}]
                if pieces > 1:
                    specs.append({"format": "yunexpress"})
                store.ship(order["number"], specs)

    thread = threading.Thread(target=loop, name="auto-shipper", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.aliexpress")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8803)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    parser.add_argument("--auto-ship-after", type=float, default=None, metavar="SECONDS")
    args = parser.parse_args(argv)
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(seed=args.seed)
    if args.auto_ship_after is not None:
        start_auto_shipper(app.extensions[STORE_KEY], args.auto_ship_after)
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"aliexpress replica on http://{args.host}:{server.port} (seed {args.seed})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
