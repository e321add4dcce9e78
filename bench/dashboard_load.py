"""200 Sales & Orders dashboards polling `/sales/poll` every 5 s against gunicorn (2 workers × 4
threads).

    .venv/bin/python bench/dashboard_load.py  # throwaway SQLite file
    TEST_DATABASE_URL=postgresql://… .venv/bin/python bench/dashboard_load.py
        # + PostgreSQL (own database)

Per database: fill 100,000 orders of one team (bench/sales_page.fill: real migrations, 3 events per
order, a user), start `python -m gunicorn --workers 2 --threads 4 app:app` on a free loopback port
(with a throwaway redis-server), then start a SECOND process (this file with --client) that plays
the browsers: each dashboard logs in with its own session (CSRF token from the form), loads `/`
once, reads the rows' `data-v` and the `#sales-poll` element (hx-get, hx-vals, `every Ns`) and
sends what htmx + static/orders.js send: the hx-vals plus `v=id.version,…`, with the HX-* headers.
It applies each answer like htmx would (oob rows update their versions, an oob poller replaces the
parameters and interval). Dashboards start at evenly spread phases, each tick with ±JITTER s.

Meanwhile this process changes one order per second (status + status_changed_at + updated_at, direct
SQL), picked at random among the newest BENCH_WRITE_WINDOW orders (default 500 = 10 pages), so about
one write in ten lands on page 1 and some polls answer changes. It toggles between two statuses of
the same kind (waiting↔in_progress, failed↔needs_attention, succeeded↔cancelled) so no poller drops
to slow.

Then the same dashboards, on the same schedule, GET the trivial `/healthz` (SELECT 1): the baseline.
Printed: count, p50/p95/p99/max, errors, share of 204s, gunicorn's CPU per request (its workers'
utime+stime), the polls sent within one period after a write on page 1 (every dashboard then fetches
row + counts) vs the others; PASS/MISS vs p99 < 100 ms for the poll. The user's password is
re-hashed with cheap PBKDF2 so 200 logins do not burn 10-30 s of CPU before anything is measured.

Environment: BENCH_DASHBOARDS (200), BENCH_SECONDS (60, polling), BENCH_BASELINE_SECONDS (30),
BENCH_PERIOD (5), BENCH_WRITE_WINDOW (500), BENCH_WRITES_PER_SECOND (1; 0 = no writer),
BENCH_ORDERS (100,000). Diagnosis only: BENCH_SQLITE_WAL=1 (journal_mode=WAL on the bench file),
BENCH_ACCESS_LOG=1 (adds gunicorn --access-logfile; prints the time inside a worker thread),
BENCH_RESULTS=/path/prefix (keeps the raw records + write times as JSON).
SQLite alone takes ≈ 2.5 min; PostgreSQL (own database, created and dropped) adds about as much.
"""

import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = int(os.environ.get("BENCH_DASHBOARDS", 200))
SECONDS = float(os.environ.get("BENCH_SECONDS", 60))
BASELINE_SECONDS = float(
    os.environ.get("BENCH_BASELINE_SECONDS", 30)
)  # same load, shorter: keeps the run < 3 min
PERIOD = float(os.environ.get("BENCH_PERIOD", 5))
WRITE_WINDOW = int(os.environ.get("BENCH_WRITE_WINDOW", 500))
WRITES_PER_SECOND = float(os.environ.get("BENCH_WRITES_PER_SECOND", 1))  # 0: no writer
SQLITE_WAL = (
    os.environ.get("BENCH_SQLITE_WAL") == "1"
)  # diagnosis: journal_mode=WAL (persists in the file)
# BENCH_SCALE=1: the cached database of bench/_scale_data.py (BENCH_ORDERS, default 1,000,000;
# BENCH_DBS=sqlite,postgresql chooses) instead of a fresh 100,000-order one (its writes go around
# the ORM: bench/scale.py rebuilds the status counts before it measures).
SCALE = os.environ.get("BENCH_SCALE") == "1"
ACCESS_LOG = (
    os.environ.get("BENCH_ACCESS_LOG") == "1"
)  # diagnosis: gunicorn's own request time per request
JITTER = 0.25  # ± seconds around each tick (browser timers, tabs opened at different moments)
TARGET_P99_MS = 100.0
EMAIL, PASSWORD = "bench@example.com", "correct horse battery"  # what sales_page.fill creates
SETUP_CONCURRENCY = 8  # logins + first page loads, before the measured phases
TOGGLE = {
    "waiting": "in_progress",
    "in_progress": "waiting",
    "failed": "needs_attention",
    "needs_attention": "failed",
    "succeeded": "cancelled",
    "cancelled": "succeeded",
}


# ============================================================== the browsers (the --client process)

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
EVERY_RE = re.compile(r"every\s+(\d+(?:\.\d+)?)(ms|s)")


class SalesHTML(HTMLParser):
    """What htmx and orders.js read: `#sales-rows > tr.sale[data-v]` and the `#sales-poll`
    element."""

    def __init__(self, *, rows_anywhere: bool):
        super().__init__()
        self.rows_anywhere, self.in_rows = rows_anywhere, False
        self.rows: dict[str, str] = {}
        self.poll: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tbody" and a.get("id") == "sales-rows":
            self.in_rows = True
        elif (
            tag == "tr"
            and (self.in_rows or self.rows_anywhere)
            and "data-v" in a
            and "sale" in (a.get("class") or "").split()
            and (a.get("id") or "").startswith("order-")
        ):
            self.rows[a["id"][len("order-") :]] = a["data-v"]
        elif tag == "div" and a.get("id") == "sales-poll":
            self.poll = a

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_rows = False


class Dashboard:
    """One browser tab: its own session cookie, its rows' versions and its poller's parameters."""

    def __init__(self, base: str, number: int):
        import requests

        self.base, self.number, self.http = base, number, requests.Session()
        self.http.headers["User-Agent"] = "autoorder-bench/1"
        self.versions: dict[str, str] = {}
        self.poll_url, self.vals, self.period, self.stopped, self.last_ms = (
            None,
            {},
            PERIOD,
            False,
            0.0,
        )

    def open(self) -> float:
        html = self.http.get(self.base + "/login", timeout=30).text
        match = CSRF_RE.search(html)
        assert match, "no CSRF token on /login"
        answer = self.http.post(
            self.base + "/login",
            allow_redirects=False,
            timeout=30,
            data={
                "email": EMAIL,
                "password": PASSWORD,
                "csrf_token": match.group(1) or match.group(2),
            },
        )
        assert answer.status_code == 302, (answer.status_code, answer.text[:300])
        t0 = time.perf_counter()
        page = self.http.get(self.base + "/", timeout=30)
        page_ms = (time.perf_counter() - t0) * 1000
        assert page.status_code == 200, page.status_code
        parsed = SalesHTML(rows_anywhere=False)
        parsed.feed(page.text)
        assert parsed.rows and parsed.poll, "no rows or no #sales-poll on /"
        self.versions = parsed.rows
        self.use_poller(parsed.poll)
        return page_ms

    def use_poller(self, element: dict):
        self.poll_url = self.base + element["hx-get"]
        self.vals = json.loads(element["hx-vals"])
        every = EVERY_RE.search(element.get("hx-trigger", ""))
        self.period = (
            float(every.group(1)) / (1000 if every.group(2) == "ms" else 1) if every else PERIOD
        )

    def poll(self):
        """One tick of the poller: hx-vals + v (orders.js, htmx:configRequest), as a GET query."""
        params = {**self.vals, "v": ",".join(f"{i}.{v}" for i, v in self.versions.items())}
        headers = {
            "HX-Request": "true",
            "HX-Trigger": "sales-poll",
            "HX-Target": "sales-poll",
            "HX-Current-URL": self.base + "/",
        }
        t0 = time.perf_counter()
        answer = self.http.get(self.poll_url, params=params, headers=headers, timeout=30)
        self.last_ms = (
            time.perf_counter() - t0
        ) * 1000  # the request alone, not applying the answer
        if answer.status_code in (200, 286) and answer.content:
            parsed = SalesHTML(rows_anywhere=True)  # oob rows and new sales carry their new data-v
            parsed.feed(answer.text)
            self.versions.update(parsed.rows)
            if parsed.poll:
                self.use_poller(parsed.poll)
            elif answer.status_code == 286:
                self.stopped = True  # htmx stops this poller and nothing replaced it
        return answer

    def healthz(self):
        t0 = time.perf_counter()
        answer = self.http.get(self.base + "/healthz", timeout=30)
        self.last_ms = (time.perf_counter() - t0) * 1000
        return answer


def run_phase(dashboards: list[Dashboard], name: str, seconds: float) -> list[list]:
    """Every dashboard ticks every `period` s (evenly spread phases, ± JITTER) until `seconds` pass.

    Returns [sent at (time.perf_counter(): CLOCK_MONOTONIC, shared with the writer), latency ms,
    status (0 = connection error), bytes, late ms, error].
    """
    records, lock = [], threading.Lock()
    start = time.perf_counter() + 0.5
    rng = random.Random(name)

    def tab(d: Dashboard, offset: float):
        tick = 0
        while True:
            due = start + offset + tick * d.period + rng.uniform(-JITTER, JITTER)
            if due - start >= seconds or d.stopped:
                return
            time.sleep(max(0.0, due - time.perf_counter()))
            sent = time.perf_counter()
            try:
                answer = d.poll() if name == "poll" else d.healthz()
                status, size, ms, error = answer.status_code, len(answer.content), d.last_ms, ""
            except Exception as exc:  # noqa: BLE001
                # a refused/reset connection is a result, not a crash
                status, size, ms = 0, 0, (time.perf_counter() - sent) * 1000
                error = f"{type(exc).__name__}: {str(exc)[-80:]}"
            with lock:
                records.append(
                    [round(sent, 4), ms, status, size, max(0.0, (sent - due) * 1000), error]
                )
            tick += 1

    threads = [
        threading.Thread(target=tab, args=(d, JITTER + n * PERIOD / len(dashboards)), daemon=True)
        for n, d in enumerate(dashboards)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records


def client(base: str, out: str) -> None:
    """The second process: open every dashboard, then the poll phase, then the /healthz baseline."""
    from concurrent.futures import ThreadPoolExecutor

    dashboards = [Dashboard(base, n) for n in range(DASHBOARDS)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(SETUP_CONCURRENCY) as pool:
        page_ms = list(pool.map(Dashboard.open, dashboards))
    result = {
        "setup_s": time.perf_counter() - t0,
        "page_ms": page_ms,
        "rows": len(dashboards[0].versions),
        "vals": dashboards[0].vals,
        "period": dashboards[0].period,
    }
    for name, seconds in (("poll", SECONDS), ("healthz", BASELINE_SECONDS)):
        print(f"PHASE {name} start", flush=True)
        cpu = time.process_time()
        result[name] = run_phase(dashboards, name, seconds)
        result[name + "_client_cpu_s"] = time.process_time() - cpu
        print(f"PHASE {name} end", flush=True)
    Path(out).write_text(json.dumps(result))


# =============================================================== the benchmark (this process)


def listening_socket() -> socket.socket:
    """A socket already bound to a free port and listening, for gunicorn to inherit (``--bind
    fd://N``): picking a free port and letting gunicorn bind it later races every other process
    that picks one meanwhile (bench/smoke.sh runs several benchmarks at once)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


def wait_for_app(base: str, server: subprocess.Popen, timeout: float = 180) -> None:
    """Until a gunicorn worker answers /healthz: on a busy machine booting the app can take longer
    than the client's 30 s request timeout."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s")
        time.sleep(0.2)


def worker_cpu_s(master_pid: int) -> float:
    """utime + stime of gunicorn's worker processes (children of the master), in seconds."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def pct(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms)) - 1))]


def summarize(records: list[list], ok: set[int]) -> dict:
    ms = sorted(r[1] for r in records)
    statuses = [r[2] for r in records]
    return dict(
        count=len(ms),
        p50=pct(ms, 50),
        p95=pct(ms, 95),
        p99=pct(ms, 99),
        max=ms[-1] if ms else 0,
        errors=sum(s not in ok for s in statuses),
        error_statuses=sorted({s for s in statuses if s not in ok}),
        share_204=statuses.count(204) / max(1, len(ms)),
        late_p99=pct(sorted(r[4] for r in records), 99),
    )


class Writer(threading.Thread):
    """One order changes per second (status + status_changed_at + updated_at), like a worker
    would."""

    def __init__(self, app, ids: list[int]):
        super().__init__(daemon=True)
        self.app, self.ids, self.page1 = app, ids, set(ids[:50])
        self.stop, self.writes, self.on_page1, self.failures = threading.Event(), 0, 0, []
        self.started, self.log = time.monotonic(), []

    def run(self):
        from sqlalchemy import select, update
        from sqlalchemy.exc import OperationalError

        from autoorder import clock
        from autoorder.extensions import db
        from autoorder.models import Order

        rng = random.Random(11)
        with self.app.app_context():
            next_at = self.started = time.monotonic()
            while not self.stop.is_set():
                order_id = rng.choice(self.ids)
                status = db.session.scalar(select(Order.status).where(Order.id == order_id))
                now = clock.now()
                try:
                    db.session.execute(
                        update(Order)
                        .where(Order.id == order_id)
                        .values(
                            status=TOGGLE.get(status, status), status_changed_at=now, updated_at=now
                        )
                    )
                    db.session.commit()
                except (
                    OperationalError
                ) as exc:  # SQLite: "database is locked" after the 5 s busy timeout
                    db.session.rollback()
                    self.failures.append(
                        f"{time.monotonic() - self.started:.0f} s: {str(exc.orig)[:60]}"
                    )
                else:
                    self.writes += 1
                    self.on_page1 += order_id in self.page1
                    self.log.append((time.perf_counter(), order_id in self.page1))
                next_at += 1.0 / WRITES_PER_SECOND
                self.stop.wait(max(0.0, next_at - time.monotonic()))
            db.session.remove()


def run(label: str, url: str, work: Path) -> list[str]:
    from sqlalchemy import inspect, select
    from werkzeug.security import generate_password_hash

    from autoorder import create_app
    from autoorder.config import TestConfig
    from autoorder.extensions import db
    from autoorder.models import Order, User
    from bench import sales_page
    from tests.support import RedisServer

    print(f"\n== {label}", flush=True)
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url, EVIDENCE_DIR=str(work / "evidence")))
    if not SCALE:
        sales_page.fill(app)  # real migrations, 100,000 orders (+1 % of another team), bench@…
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        # 200 scrypt checks take 10-30 s of CPU before anything is measured; the login is not the
        # subject
        user.password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        team_id = user.team_id
        db.session.commit()
        ids = list(
            db.session.scalars(
                select(Order.id)
                .where(Order.team_id == team_id)
                .order_by(Order.sold_at.desc(), Order.id.desc())
                .limit(WRITE_WINDOW)
            )
        )
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("orders")}
        if SQLITE_WAL and db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                print("  journal_mode:", conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar())
        db.session.remove()
        db.engine.dispose()
    has_status_index = "ix_orders_team_status" in indexes
    print(f"  ix_orders_team_status migrated: {'yes' if has_status_index else 'no'}")

    redis = RedisServer(work)
    redis.start()
    listener = listening_socket()
    port = listener.getsockname()[1]
    env = dict(
        os.environ,
        SECRET_KEY="bench-" + os.urandom(16).hex(),
        FERNET_KEYS=",".join(app.config["FERNET_KEYS"]),
        DATABASE_URL=url,
        AUTOORDER_SECURE_COOKIES="false",
        REDIS_URL=redis.url,
        AUTOORDER_EVIDENCE_DIR=str(work / "evidence"),
    )
    env.pop("TEST_DATABASE_URL", None)
    log_path = work / f"gunicorn-{label}.log"
    out_path = work / f"client-{label}.json"
    access_path = work / f"access-{label}.log"
    server = client_process = None
    writer = Writer(app, ids)
    marks = {}
    try:
        with log_path.open("w") as log:
            access = [
                "--access-logfile",
                str(access_path),
                "--access-logformat",
                "%(U)s %(s)s %(M)s",
            ]
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"fd://{listener.fileno()}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    *(access if ACCESS_LOG else []),
                    "app:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
            )
        listener.close()  # gunicorn holds its own copy; the port listens already
        wait_for_app(f"http://127.0.0.1:{port}", server)  # the workers boot after the port opens
        client_process = subprocess.Popen(
            [sys.executable, __file__, "--client", f"http://127.0.0.1:{port}", str(out_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        t0 = time.perf_counter()
        for line in client_process.stdout:  # PHASE <name> start|end
            _, name, edge = line.split()
            marks[(name, edge)] = (
                worker_cpu_s(server.pid),
                time.perf_counter(),
                os.getloadavg()[0],
            )
            if (name, edge) == ("poll", "start"):
                print(
                    f"  {DASHBOARDS} dashboards logged in and loaded / in "
                    f"{time.perf_counter() - t0:.1f} s; polling for {SECONDS:.0f} s",
                    flush=True,
                )
                if WRITES_PER_SECOND > 0:
                    writer.start()
            if (name, edge) == ("healthz", "start"):
                print(f"  baseline /healthz for {BASELINE_SECONDS:.0f} s", flush=True)
        if client_process.wait() != 0:
            raise RuntimeError(f"the client process failed (exit {client_process.returncode})")
    except BaseException:
        print(f"  gunicorn log ({log_path}):\n" + log_path.read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        writer.stop.set()
        try:
            if writer.is_alive():
                writer.join(10)
            for process in (client_process, server):
                if process is not None and process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(
                            40
                        )  # gunicorn lets running requests finish (graceful_timeout 30 s)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
        finally:
            listener.close()
            redis.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    server_logs(log_path, access_path)
    if os.environ.get(
        "BENCH_RESULTS"
    ):  # raw records + the writer's (time, on page 1) for a closer look
        raw = json.loads(out_path.read_text()) | {"writes": writer.log}
        Path(f"{os.environ['BENCH_RESULTS']}-{label}.json").write_text(json.dumps(raw))
    return report(label, json.loads(out_path.read_text()), marks, writer, has_status_index)


def server_logs(log_path: Path, access_path: Path) -> None:
    """Print gunicorn's errors, and with BENCH_ACCESS_LOG=1 the time spent inside a worker
    thread."""
    problems = [
        line
        for line in log_path.read_text().splitlines()
        if "Traceback" in line
        or "WORKER TIMEOUT" in line
        or line.startswith(("sqlalchemy.exc", "sqlite3."))
    ]
    if problems:
        print(
            f"  gunicorn log: {len(problems)} problem lines, e.g. "
            + " | ".join(sorted(set(problems))[:4])
        )
    if not ACCESS_LOG:
        return
    inside: dict[tuple, list[float]] = {}
    for line in access_path.read_text().splitlines():  # "%(U)s %(s)s %(M)s": path, status, ms
        path, status, ms = line.split()
        inside.setdefault((path, status), []).append(float(ms))
    for (path, status), values in sorted(inside.items()):
        values.sort()
        print(
            f"  inside gunicorn {path} {status}: n={len(values)} p50 {pct(values, 50):.0f} ms, "
            f"p99 {pct(values, 99):.0f} ms, max {values[-1]:.0f} ms"
        )


def report(label, result, marks, writer, has_status_index) -> list[str]:
    poll = summarize(result["poll"], {200, 204, 286})
    base = summarize(result["healthz"], {200})
    changed = summarize([r for r in result["poll"] if r[2] in (200, 286)], {200, 286})
    unchanged = summarize([r for r in result["poll"] if r[2] == 204], {204})
    cpu = {}
    for name in ("poll", "healthz"):
        (c0, t0, _), (c1, t1, load) = marks[(name, "start")], marks[(name, "end")]
        n = len(result[name])
        cpu[name] = (1000 * (c1 - c0) / max(1, n), (c1 - c0) / (t1 - t0), n / (t1 - t0), load)
    page1 = [at for at, on_page1 in writer.log if on_page1]
    after = [r for r in result["poll"] if any(0 <= r[0] - at < PERIOD + JITTER for at in page1)]
    burst, calm = (
        summarize(after, {200, 204, 286}),
        summarize([r for r in result["poll"] if r not in after], {204}),
    )
    pages = sorted(result["page_ms"])
    verdict = "PASS" if poll["p99"] < TARGET_P99_MS and poll["errors"] == 0 else "MISS"
    print(
        f"  setup: {DASHBOARDS} logins + `/` in {result['setup_s']:.1f} s (8 at a time); `/` p50 "
        f"{pct(pages, 50):.0f} ms, max {pages[-1]:.0f} ms; {result['rows']} rows, "
        f"poller {result['vals']} every {result['period']:g} s"
    )
    print(
        f"  writer: {writer.writes} writes, {writer.on_page1} on page 1 "
        f"(window {WRITE_WINDOW} newest), {len(writer.failures)} failed"
        f"{': ' + '; '.join(writer.failures[:5]) if writer.failures else ''}"
    )
    print(
        f"  polls sent < {PERIOD + JITTER:g} s after a write on page 1: {burst['count']}, "
        f"p50 {burst['p50']:.0f} ms, p99 {burst['p99']:.0f} ms, "
        f"{burst['share_204'] * 100:.0f} % 204; all other polls: {calm['count']}, "
        f"p50 {calm['p50']:.0f} ms, p99 {calm['p99']:.0f} ms"
    )
    failed = sorted({r[5] for name in ("poll", "healthz") for r in result[name] if r[5]})
    if failed:
        print(f"  connection errors: {'; '.join(failed[:3])}")
    print(
        f"  client process CPU: poll {result['poll_client_cpu_s']:.1f} s, healthz "
        f"{result['healthz_client_cpu_s']:.1f} s; scheduling lag p99: "
        f"poll {poll['late_p99']:.1f} ms, healthz {base['late_p99']:.1f} ms"
    )

    def row(what, s, c=None):
        extra = f"{c[0]:.1f} ms | {c[1]:.2f} cores | {c[2]:.1f}/s | {c[3]:.1f}" if c else " | | | "
        errors = f"{s['errors']} {s['error_statuses']}" if s["errors"] else "0"
        return (
            f"| {label} | {what} | {s['count']} | {s['p50']:.1f} | {s['p95']:.1f} | "
            f"{s['p99']:.1f} | {s['max']:.0f} | {errors} | {s['share_204'] * 100:.0f} % | {extra} |"
        )

    lines = [
        row("`/sales/poll` (all)", poll, cpu["poll"]),
        row("… unchanged (204)", unchanged),
        row("… with changes (200)", changed),
        row("`/healthz` baseline", base, cpu["healthz"]),
    ]
    print(
        "\n| DB | what | count | p50 ms | p95 ms | p99 ms | max ms | errors | 204 | server CPU/req "
        "| server CPU | rate | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    print("\n".join(lines))
    ratio = poll["p99"] / base["p99"] if base["p99"] else float("nan")
    summary = (
        f"{label}: poll p99 {poll['p99']:.1f} ms (baseline p99 {base['p99']:.1f} ms, "
        f"ratio {ratio:.1f}×; p50 ratio {poll['p50'] / base['p50']:.1f}×), "
        f"errors {poll['errors']}, target p99 < {TARGET_P99_MS:.0f} ms: {verdict} "
        f"(ix_orders_team_status: {'yes' if has_status_index else 'no'})"
    )
    print("  " + summary)
    return lines + [summary]


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        client(sys.argv[2], sys.argv[3])
        return
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import create_engine, text

    from autoorder.config import database_url

    print(
        f"{DASHBOARDS} dashboards × every {PERIOD:g} s, poll {SECONDS:.0f} s, "
        f"baseline {BASELINE_SECONDS:.0f} s; nproc {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    results = []
    if SCALE:  # bench/_scale_data.py's cached million-order databases (#19), kept afterwards
        from bench import _scale_data

        kinds = os.environ.get("BENCH_DBS", "sqlite,postgresql").split(",")
        with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
            if "sqlite" in kinds:
                results += run("SQLite", _scale_data.prepare("sqlite"), Path(tmp))
            pg = os.environ.get("TEST_DATABASE_URL")
            if pg and "postgresql" in kinds:
                url = _scale_data.prepare("postgresql", database_url(pg))
                results += run("PostgreSQL", url, Path(tmp))
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        if SCALE:
            tmp = None  # measured above
        else:
            results += run(
                "SQLite (WAL)" if SQLITE_WAL else "SQLite",
                f"sqlite:///{tmp}/bench.sqlite3",
                Path(tmp),
            )
        pg = os.environ.get("TEST_DATABASE_URL")
        if pg and not SCALE:
            name = f"autoorder_bench_dashboard_{os.getpid()}"
            admin = create_engine(database_url(pg), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:  # an own database: never touches the test database
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                results += run("PostgreSQL", url, Path(tmp))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(
        "\n| DB | what | count | p50 ms | p95 ms | p99 ms | max ms | errors | 204 | server CPU/req "
        "| server CPU | rate | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    print("\n".join(line for line in results if line.startswith("|")))
    print("\n".join(line for line in results if not line.startswith("|")))


if __name__ == "__main__":
    main()
