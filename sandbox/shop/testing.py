"""Start the demo shop as a subprocess for tests and demos.

    from sandbox.shop.testing import start_shop
    shop = start_shop(seed=7)            # picks a free port, waits until /sandbox/health answers
    shop.url                             # "http://127.0.0.1:PORT"
    shop.control("POST", "/sandbox/faults", {"name": "upsell"})
    shop.stop()

Or as a context manager: ``with start_shop() as shop: ...``. stdout+stderr of the server go to a log
file (``shop.log_path``); the log tail is included in the error when the shop fails to start.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ShopStartError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ShopServer:
    def __init__(
        self, process: subprocess.Popen, host: str, port: int, seed: int, log_path: Path, log_file
    ):
        self.process = process
        self.host = host
        self.port = port
        self.seed = seed
        self.url = f"http://{host}:{port}"
        self.log_path = log_path
        self._log_file = log_file

    def __repr__(self) -> str:
        return f"<ShopServer {self.url} seed={self.seed} pid={self.process.pid} alive={self.alive}>"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def control(self, method: str, path: str, body: dict | None = None, timeout: float = 10.0):
        """Call a /sandbox/ JSON endpoint; returns the decoded JSON. Raises urllib.error.HTTPError
        on 4xx/5xx."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method.upper(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")

    def reset(self, seed: int | None = None) -> dict:
        return self.control("POST", "/sandbox/reset", {"seed": self.seed if seed is None else seed})

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if not self._log_file.closed:
            self._log_file.close()

    def __enter__(self) -> ShopServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _healthy(url: str, pid: int) -> bool:
    try:
        with urllib.request.urlopen(url + "/sandbox/health", timeout=1.0) as resp:
            return json.loads(resp.read()).get("pid") == pid
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _launch(
    seed, host, port, log_path, extra_args, env, python, timeout, module="sandbox.shop"
) -> ShopServer:
    log_file = open(log_path, "ab")  # noqa: SIM115 - closed by ShopServer.stop()
    cmd = [
        python,
        "-m",
        module,
        "--host",
        host,
        "--port",
        str(port),
        "--seed",
        str(seed),
        *extra_args,
    ]
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), full_env.get("PYTHONPATH")) if p
    )
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    process = subprocess.Popen(
        cmd,
        cwd=PROJECT_ROOT,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = ShopServer(process, host, port, seed, log_path, log_file)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise ShopStartError(
                f"shop exited with code {process.returncode}:\n{server.log_tail()}"
            )
        if _healthy(server.url, process.pid):
            atexit.register(server.stop)
            return server
        time.sleep(0.05)
    server.stop()
    raise ShopStartError(
        f"shop did not answer on {server.url} within {timeout}s:\n{server.log_tail()}"
    )


def start_shop(
    seed: int = 0,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    log_path: str | os.PathLike | None = None,
    timeout: float = 20.0,
    extra_args: tuple[str, ...] | list[str] = (),
    env: dict | None = None,
    python: str = sys.executable,
    attempts: int = 3,
    module: str = "sandbox.shop",
) -> ShopServer:
    """Start ``python -m sandbox.shop`` on a free port (or ``port``) and wait until it answers.

    Retries on a fresh port when the chosen one was taken meanwhile (only when ``port`` is None).
    ``extra_args`` e.g. ("--quiet",) or ("--decline-card", "4000000000000119"); ``module`` runs
    another sandbox with the same command line (``sandbox.aliexpress``).
    """
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="sandbox-shop-", suffix=".log")
        os.close(fd)
        log_path = name
    log_path = Path(log_path)
    last: ShopStartError | None = None
    for _ in range(attempts if port is None else 1):
        try:
            return _launch(
                seed,
                host,
                port or free_port(host),
                log_path,
                tuple(extra_args),
                env,
                python,
                timeout,
                module,
            )
        except ShopStartError as exc:
            last = exc
    assert last is not None
    raise last
