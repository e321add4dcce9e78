"""Run the Walmart replica: python -m sandbox.walmart --port 8805 [--seed 0] [--host 127.0.0.1]."""

from __future__ import annotations

import argparse
import logging
import sys

from werkzeug.serving import make_server

from .app import create_app
from .store import DEFAULT_DECLINE_CARDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.walmart", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8805)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--decline-card", action="append", dest="decline_cards")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(args.seed, decline_cards=tuple(args.decline_cards or DEFAULT_DECLINE_CARDS))
    server = make_server(args.host, args.port, app, threaded=True)
    print(
        f"walmart replica listening on http://{args.host}:{server.port} (seed {args.seed})",
        flush=True,
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
