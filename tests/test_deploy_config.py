"""The Heroku manifest (app.json), the README and the Procfile agree with autoorder/config.py.

Every environment variable the production configuration reads must be described in app.json (its
``env``, or the config var of an add-on it attaches) and in the README's configuration table, and
every Procfile process except ``release`` (Heroku runs that one itself on each deploy) must be in
app.json's formation.
"""

import ast
import json
import re
import secrets
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READERS = {"env_str", "env_int", "env_bool", "env_list", "os.environ.get", "os.getenv", "env_trace"}


def env_names(source: str) -> set[str]:
    """Names of the environment variables read in ``source``, outside the TestConfig class.

    A read is a call of one of READERS (config.py's env_* helpers, os.environ.get, os.getenv) or
    ``os.environ[...]``. Only the helpers themselves may pass a name that is not a string literal;
    anywhere else that fails, because the test could not tell which variable is read.
    """
    names: set[str] = set()
    unknown: list[str] = []

    def visit(node, inside: str = ""):
        if isinstance(node, ast.ClassDef) and node.name == "TestConfig":
            return  # test-only settings (TEST_DATABASE_URL), never deployed
        if isinstance(node, ast.FunctionDef):
            inside = node.name
        key = None
        if isinstance(node, ast.Call) and ast.unparse(node.func) in READERS and node.args:
            key = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            key = node.slice
        if key is not None:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
            elif inside not in READERS:
                unknown.append(ast.unparse(node))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(source))
    assert not unknown, f"environment reads with a computed name: {unknown}"
    return names


@pytest.fixture(scope="module")
def config_vars() -> set[str]:
    names = env_names((ROOT / "autoorder" / "config.py").read_text())
    # the parser must see at least these, or it is reading nothing
    assert {"SECRET_KEY", "FERNET_KEYS", "DATABASE_URL", "REDIS_URL", "EBAY_RU_NAME"} <= names
    assert "TEST_DATABASE_URL" not in names
    return names


@pytest.fixture(scope="module")
def app_json() -> dict:
    return json.loads((ROOT / "app.json").read_text())


def described_in_app_json(manifest: dict) -> dict[str, str]:
    """Variable -> description: the env entries, plus each add-on's config var (<as>_URL)."""
    described = {
        name: (spec.get("description", "") if isinstance(spec, dict) else "")
        for name, spec in manifest.get("env", {}).items()
    }
    for addon in manifest.get("addons", []):
        if isinstance(addon, dict) and addon.get("as"):
            described[f"{addon['as']}_URL"] = f"set by the {addon['plan']} add-on"
    return described


def readme_config_table() -> set[str]:
    """Variable names in the first column of the table under README's '## Configuration'."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n#", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def procfile_processes() -> set[str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {line.split(":", 1)[0].strip() for line in lines if ":" in line and line.strip()}


def test_env_names_finds_reads_and_refuses_computed_names():
    source = (
        "import os\n"
        "def env_str(name, default=None):\n    return os.environ.get(name) or default\n"
        "class Config:\n    def __init__(self):\n"
        "        self.A = env_str('A_VAR')\n        self.B = os.environ['B_VAR']\n"
        "class TestConfig(Config):\n    X = env_str('TEST_ONLY')\n"
    )
    assert env_names(source) == {"A_VAR", "B_VAR"}
    with pytest.raises(AssertionError, match="computed name"):
        env_names(source + "C = env_str('C_' + 'VAR')\n")


def test_every_config_var_is_described_in_app_json(config_vars, app_json):
    described = described_in_app_json(app_json)
    missing = sorted(name for name in config_vars if not described.get(name, "").strip())
    assert not missing, f"read by autoorder/config.py but not described in app.json: {missing}"
    stale = sorted(set(app_json["env"]) - config_vars)
    assert not stale, f"in app.json's env but not read by autoorder/config.py: {stale}"


def test_every_config_var_is_in_the_readme_configuration_table(config_vars):
    missing = sorted(config_vars - readme_config_table())
    assert not missing, f"read by autoorder/config.py but not in README's table: {missing}"


def test_every_procfile_process_is_in_the_formation(app_json):
    processes = procfile_processes()
    assert {"release", "web", "worker", "scheduler"} <= processes
    assert set(app_json["formation"]) == processes - {"release"}
    assert app_json["formation"]["scheduler"]["quantity"] == 1  # run one scheduler


def test_addons_and_secrets(app_json):
    plans = {addon["plan"] if isinstance(addon, dict) else addon for addon in app_json["addons"]}
    assert {"heroku-postgresql", "heroku-redis"} <= {plan.split(":")[0] for plan in plans}
    env = app_json["env"]
    assert env["SECRET_KEY"]["generator"] == "secret"
    # Heroku's generator makes a hex string, which is not a Fernet key: FERNET_KEYS is asked for.
    from autoorder.crypto import CryptoConfigError, make_fernet

    with pytest.raises(CryptoConfigError):
        make_fernet([secrets.token_hex(32)])
    assert "generator" not in env["FERNET_KEYS"] and env["FERNET_KEYS"].get("required", True)
    assert "Fernet.generate_key()" in env["FERNET_KEYS"]["description"]
