"""``python -m sandbox.ebay --port N [--seed S] [--generate-sales-every SECONDS]``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from sandbox.ebay import app as app_module
from sandbox.ebay.server import make_threaded_server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m sandbox.ebay",
        description="Local emulator of eBay's Sell Fulfillment API and OAuth.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port (see --port-file)")
    p.add_argument("--port-file", help="write the bound port to this file once listening")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--generate-sales-every", type=float, default=None, metavar="SECONDS")
    p.add_argument("--client-id", default=app_module.DEFAULT_CLIENT_ID)
    p.add_argument("--client-secret", default=app_module.DEFAULT_CLIENT_SECRET)
    p.add_argument(
        "--redirect-uri",
        default=app_module.DEFAULT_REDIRECT_URI,
        help="the auth accepted URL the consent page redirects to",
    )
    p.add_argument(
        "--ru-name",
        default=app_module.DEFAULT_RU_NAME,
        help="the RuName clients send as redirect_uri",
    )
    p.add_argument("--seller-id", default=app_module.DEFAULT_SELLER_ID)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = app_module.create_app(
        seed=args.seed,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uri=args.redirect_uri,
        ru_name=args.ru_name,
        seller_id=args.seller_id,
        generate_sales_every=args.generate_sales_every,
    )
    server = make_threaded_server(app, args.host, args.port)
    port = server.server_port
    if args.port_file:
        tmp = Path(f"{args.port_file}.tmp{os.getpid()}")
        tmp.write_text(str(port), encoding="utf-8")
        tmp.replace(args.port_file)

    def _terminate(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _terminate)
    print(f"eBay sandbox listening on http://{args.host}:{port} (seed {args.seed})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["ebay_sandbox"].generator.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
