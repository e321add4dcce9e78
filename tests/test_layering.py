"""The import direction (issue #12): routes → the jobs API (``autoorder.jobs``) → domain →
models. No route imports a job module, and the domain imports neither routes nor jobs."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "autoorder"
DOMAIN = [
    p
    for p in PACKAGE.glob("*.py")
    if p.name not in ("__init__.py", "cli.py", "demo.py", "runner.py", "worker.py")
]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_route_imports_a_job_module():
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m.startswith("autoorder.jobs."))
        for path in (PACKAGE / "routes").glob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_domain_imports_neither_routes_nor_jobs():
    offenders = {
        path.name: sorted(
            m
            for m in imported_modules(path)
            if m.startswith(("autoorder.routes", "autoorder.jobs"))
        )
        for path in DOMAIN
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
