"""Run the emulator as a subprocess for tests: ``start_ebay_sandbox()`` -> object with ``.url`` and
``.stop()``.

Example pytest fixture::

    @pytest.fixture(scope="session")
    def ebay_sandbox(tmp_path_factory):
        proc = start_ebay_sandbox(seed=1, log_path=tmp_path_factory.mktemp("ebay") / "sandbox.log")
        yield proc
        proc.stop()

The process binds a free port itself (``--port 0 --port-file``), so two runs never race for a port.
Readiness means ``GET /sandbox/health`` answers 200. Its stdout and stderr go to ``log_path``.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_RUNNING: set[SandboxProcess] = set()


class SandboxError(RuntimeError):
    pass


class SandboxProcess:
    def __init__(self, process: subprocess.Popen, url: str, port: int, log_path: Path, log_file):
        self.process, self.url, self.port, self.log_path = process, url, port, log_path
        self._log_file = log_file

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def control(
        self, method: str, path: str, body: dict | None = None, timeout: float = 10.0
    ) -> dict:
        """Call a ``/sandbox/...`` control endpoint. Returns the decoded JSON."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise SandboxError(f"{method} {path} -> {err.code}: {err.read()[:500]!r}") from None

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the process (kill it if it does not exit in ``timeout``). Safe to call
        twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if not self._log_file.closed:
            self._log_file.close()
        _RUNNING.discard(self)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _wait_ready(proc: subprocess.Popen, port_file: Path, deadline: float) -> int:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SandboxError(f"the sandbox exited with code {proc.returncode}")
        try:
            text = port_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            text = ""
        if text:
            port = int(text)
            url = f"http://127.0.0.1:{port}/sandbox/health"
            try:
                with urllib.request.urlopen(url, timeout=1.0) as resp:
                    if resp.status == 200:
                        return port
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.05)
    raise SandboxError("the sandbox did not answer in time")


def start_ebay_sandbox(
    seed: int = 0,
    *,
    port: int = 0,
    log_path: str | Path | None = None,
    extra_args: list[str] | tuple[str, ...] = (),
    timeout: float = 20.0,
    env: dict[str, str] | None = None,
) -> SandboxProcess:
    """Start ``python -m sandbox.ebay`` on 127.0.0.1 and wait until it answers.

    ``extra_args`` passes CLI flags such as ``["--generate-sales-every", "5", "--client-id", "x"]``.
    Raises SandboxError, with the log's tail, if the process dies or does not answer within
    ``timeout``.
    """
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="ebay-sandbox-", suffix=".log")
        os.close(fd)
        log_path = name
    log_path = Path(log_path)
    port_dir = Path(tempfile.mkdtemp(prefix="ebay-sandbox-port-"))
    port_file = port_dir / "port"
    cmd = [
        sys.executable,
        "-m",
        "sandbox.ebay",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--port-file",
        str(port_file),
        "--seed",
        str(seed),
        *extra_args,
    ]
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), child_env.get("PYTHONPATH")])
    )
    child_env["PYTHONUNBUFFERED"] = "1"
    log_file = open(log_path, "ab")  # noqa: SIM115 - closed by SandboxProcess.stop
    proc = subprocess.Popen(
        cmd,
        cwd=str(REPO_ROOT),
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        bound = _wait_ready(proc, port_file, time.monotonic() + timeout)
    except BaseException as exc:
        handle = SandboxProcess(proc, "", port, log_path, log_file)
        handle.stop()
        if isinstance(exc, SandboxError):
            raise SandboxError(f"{exc}; log {log_path}:\n{handle.log_tail()}") from None
        raise
    finally:
        port_file.unlink(missing_ok=True)
        port_dir.rmdir()
    handle = SandboxProcess(proc, f"http://127.0.0.1:{bound}", bound, log_path, log_file)
    _RUNNING.add(handle)
    return handle


@atexit.register
def _stop_leftovers() -> None:
    for handle in list(_RUNNING):
        handle.stop(timeout=2.0)
