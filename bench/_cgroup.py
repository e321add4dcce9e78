"""A memory cgroup of the benchmark's own (v1 or v2, as root): how a container — a Heroku dyno — is
charged for a worker and everything it starts (bench/worker_memory.py, bench/workers.py); and what
each process of a worker's tree is."""

import os
import shlex
import signal
import threading
import time
from pathlib import Path


def read_proc(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def field_kb(text: str, field: str) -> int:
    for line in text.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def kind_of(pid: int, root: int) -> str:
    if pid == root:
        return "worker"
    cmd = (
        read_proc(f"/proc/{pid}/cmdline").replace("\0", " ").split()
    )  # Chromium rewrites its argv as one string
    exe = os.path.basename(cmd[0]) if cmd else read_proc(f"/proc/{pid}/comm").strip()
    if "chrom" in exe:
        kind = next((a.split("=", 1)[1] for a in cmd if a.startswith("--type=")), "browser")
        return f"chromium {kind}"
    if exe.startswith("node") or "playwright" in " ".join(cmd):
        return "playwright driver"
    if "python" in exe or "rq:" in " ".join(cmd) or "flask" in " ".join(cmd):
        return "python fork (horse/scheduler)"
    return exe or "?"


class Cgroup:
    """A memory cgroup of our own (v1 ``/sys/fs/cgroup/memory`` or v2 ``/sys/fs/cgroup``); None if
    not allowed."""

    def __init__(self, path: Path, version: int):
        self.path, self.version = path, version
        self.peak_anon = 0
        self._halt = threading.Event()
        self._thread = None

    @classmethod
    def create(cls, name: str, limit_mb: int | None = None):
        for root, version in ((Path("/sys/fs/cgroup/memory"), 1), (Path("/sys/fs/cgroup"), 2)):
            controllers = read_proc(str(root / "cgroup.subtree_control")).split()
            if version == 2 and "memory" not in controllers:
                continue
            path = root / f"{name}-{os.getpid()}-{time.monotonic_ns()}"
            try:
                path.mkdir()
            except OSError:
                continue
            group = cls(path, version)
            try:
                if limit_mb is not None:
                    group.limit(limit_mb)
                return group
            except OSError:
                group.remove()
        return None

    def limit(self, mb: int):
        value = str(mb * 1024 * 1024)
        if self.version == 1:
            (self.path / "memory.limit_in_bytes").write_text(value)
            swap = self.path / "memory.memsw.limit_in_bytes"  # memory + swap: no swap at all
            if swap.exists():
                swap.write_text(value)
        else:
            (self.path / "memory.max").write_text(value)
            (self.path / "memory.swap.max").write_text("0")

    def wrap(self, argv: list[str]) -> list[str]:
        """Run ``argv`` inside this cgroup (the shell moves itself in, then execs: children
        follow)."""
        procs = self.path / "cgroup.procs"
        return ["sh", "-c", f'echo $$ > {shlex.quote(str(procs))} && exec "$@"', "sh", *argv]

    def stat(self) -> dict:
        out = {}
        for line in read_proc(str(self.path / "memory.stat")).splitlines():
            key, _, value = line.partition(" ")
            if value.isdigit():
                out[key] = int(value)
        return out

    def anon(self) -> int:
        stat = self.stat()
        return (
            stat.get("total_rss", stat.get("rss", 0)) if self.version == 1 else stat.get("anon", 0)
        )

    def peak(self) -> int:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        text = read_proc(str(self.path / name)).strip()
        return int(text) if text.isdigit() else 0

    def oom_kills(self) -> int:
        if self.version == 1:
            return field_kb(
                read_proc(str(self.path / "memory.oom_control")).replace("oom_kill ", "oom_kill: "),
                "oom_kill:",
            )
        events = read_proc(str(self.path / "memory.events"))
        return field_kb(events.replace("oom_kill ", "oom_kill: "), "oom_kill:")

    def start_sampling(self, interval: float = 0.1):
        def run():
            while not self._halt.is_set():
                self.peak_anon = max(self.peak_anon, self.anon())
                self._halt.wait(interval)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop_sampling(self):
        self._halt.set()
        if self._thread:
            self._thread.join(5)

    def remove(self):
        for pid in read_proc(str(self.path / "cgroup.procs")).split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def drop_page_cache() -> bool:
    """Empty the kernel's page cache (root only), so that the binaries' pages are charged to the
    cgroup of the first worker that reads them, as in a fresh container, instead of to whoever
    read them before the benchmark. False if not allowed."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3")
        return True
    except OSError:
        return False
