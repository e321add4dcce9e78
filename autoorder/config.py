"""Configuration from the environment (12-factor). Validated in create_app, never at import."""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
EMBEDDED_REDIS_PORT = 6391

REQUIRED_SECRETS = ("SECRET_KEY", "FERNET_KEYS")


class ConfigError(RuntimeError):
    """Raised when the configuration cannot start the app; names every problem at once."""


def env_str(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name, default):
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from exc


def env_bool(name, default):
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


TRACE_MODES = ("actions", "snapshots")


def env_trace(name) -> str:
    """A supplier-trace mode: "actions" (default; true/yes/1 too), "snapshots", or "" (off)."""
    value = (env_str(name) or "actions").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return "actions"
    if value in ("0", "false", "no", "off"):
        return ""
    if value not in TRACE_MODES:
        raise ConfigError(f"{name} must be actions, snapshots or false, got {value!r}")
    return value


def env_list(name):
    return [item.strip() for item in (env_str(name) or "").split(",") if item.strip()]


def database_url(url):
    """Return a SQLAlchemy URL: Heroku's postgres:// becomes postgresql+psycopg://."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Production settings, read from the environment when instantiated."""

    TESTING = False

    def __init__(self):
        self.SECRET_KEY = env_str("SECRET_KEY")
        self.FERNET_KEYS = env_list("FERNET_KEYS")
        self.SQLALCHEMY_DATABASE_URI = database_url(
            env_str("DATABASE_URL", f"sqlite:///{INSTANCE / 'autoorder.sqlite3'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = env_str(
            "REDIS_URL",
            f"redis://127.0.0.1:{env_int('AUTOORDER_REDIS_PORT', EMBEDDED_REDIS_PORT)}/0",
        )
        self.ORDER_BUFFER_SECONDS = env_int("AUTOORDER_ORDER_BUFFER_SECONDS", 600)
        self.POLL_SECONDS = env_int("AUTOORDER_POLL_SECONDS", 60)  # eBay sale detection interval
        self.SALES_POLL_SECONDS = env_int("AUTOORDER_SALES_POLL_SECONDS", 5)  # dashboard refresh
        self.TRACKING_FIRST_CHECK_SECONDS = env_int("AUTOORDER_TRACKING_FIRST_CHECK_SECONDS", 86400)
        self.TRACKING_RETRY_SECONDS = env_int("AUTOORDER_TRACKING_RETRY_SECONDS", 14400)
        self.TRACKING_GIVE_UP_SECONDS = env_int("AUTOORDER_TRACKING_GIVE_UP_SECONDS", 604800)
        # After upload, look again this often (0: never) until the give-up deadline: a parcel
        # shipped later is uploaded too, and delivered/returned/cancelled is recorded.
        self.TRACKING_RECHECK_SECONDS = env_int("AUTOORDER_TRACKING_RECHECK_SECONDS", 43200)
        # eBay's ship-by date: in its last SHIP_BY_WINDOW_SECONDS look for tracking at least every
        # SHIP_BY_CHECK_SECONDS, and flag the sale at risk.
        self.SHIP_BY_WINDOW_SECONDS = env_int("AUTOORDER_SHIP_BY_WINDOW_SECONDS", 43200)
        self.SHIP_BY_CHECK_SECONDS = env_int("AUTOORDER_SHIP_BY_CHECK_SECONDS", 3600)
        # How long a worker owns an order it is buying before another may take over (> job time).
        self.ORDER_LEASE_SECONDS = env_int("AUTOORDER_ORDER_LEASE_SECONDS", 360)
        # One checkout per supplier account: the lock's lease, renewed while the checkout runs.
        self.ACCOUNT_LOCK_SECONDS = env_int("AUTOORDER_ACCOUNT_LOCK_SECONDS", 30)
        self.ORDER_JOB_TIMEOUT = env_int("AUTOORDER_ORDER_JOB_TIMEOUT", 300)
        # A supplier challenge handed to a person (captcha, code) ends unsolved after this long.
        self.HANDOFF_SECONDS = env_int("AUTOORDER_HANDOFF_SECONDS", 600)
        self.MIN_PROFIT = env_str("AUTOORDER_MIN_PROFIT")  # default minimum profit, e.g. "0.50"
        self.EBAY_CLIENT_ID = env_str("EBAY_CLIENT_ID")
        self.EBAY_CLIENT_SECRET = env_str("EBAY_CLIENT_SECRET")
        self.EBAY_REDIRECT_URI = env_str("EBAY_RU_NAME")
        self.EBAY_API_BASE_URL = env_str("EBAY_API_BASE_URL", "https://api.ebay.com")
        self.EBAY_AUTH_BASE_URL = env_str("EBAY_AUTH_BASE_URL", "https://auth.ebay.com")
        # eBay Marketplace Account Deletion: the endpoint URL exactly as registered with eBay
        # (default: PUBLIC_BASE_URL + /ebay/account-deletion) and its verification token.
        self.PUBLIC_BASE_URL = env_str("AUTOORDER_PUBLIC_BASE_URL")
        self.EBAY_DELETION_ENDPOINT_URL = env_str("EBAY_DELETION_ENDPOINT_URL")
        self.EBAY_DELETION_VERIFICATION_TOKEN = env_str("EBAY_DELETION_VERIFICATION_TOKEN")
        # eBay API calls this application may spend per eBay day (Pacific); polling is stretched
        # to fit. Unset: calls are counted and shown, polling is not stretched.
        self.EBAY_DAILY_CALL_BUDGET = env_int("AUTOORDER_EBAY_DAILY_CALL_BUDGET", 0) or None
        # None: found at launch (Debian's chromium, else Playwright's own): scrapers.browser.
        self.CHROMIUM_PATH = env_str("AUTOORDER_CHROMIUM_PATH")
        self.EVIDENCE_DIR = env_str("AUTOORDER_EVIDENCE_DIR", str(INSTANCE / "evidence"))
        # A Playwright trace of every supplier session, kept only when a step fails: "actions"
        # (the steps, their timing, network and console; the default), "snapshots" (also the DOM
        # at every step: ≈ 10 % slower orders), or off.
        self.SUPPLIER_TRACE = env_trace("AUTOORDER_SUPPLIER_TRACE")
        secure = env_bool("AUTOORDER_SECURE_COOKIES", True)
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_SECURE = secure
        self.SESSION_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=env_int("AUTOORDER_REMEMBER_DAYS", 14))
        # Reverse proxies in front of the app (Heroku's router: 1) whose X-Forwarded-For is trusted
        # for the client address (login throttling, sign-in audit). 0: use the socket's address.
        self.PROXY_HOPS = env_int("AUTOORDER_PROXY_HOPS", 0)
        self.WTF_CSRF_TIME_LIMIT = None  # token valid for the session; pages poll for hours
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False

    def missing(self):
        """Return the names of required settings that are absent."""
        return [name for name in REQUIRED_SECRETS if not getattr(self, name)]

    def as_dict(self):
        return {k: v for k, v in vars(self).items() if k.isupper()} | {"TESTING": self.TESTING}


class TestConfig(Config):
    """Settings for tests: throwaway keys and database, no secure cookies."""

    __test__ = False  # not a pytest test class
    TESTING = True

    def __init__(self, **overrides):
        super().__init__()
        from cryptography.fernet import Fernet

        self.SECRET_KEY = "test-secret-key"
        self.FERNET_KEYS = [Fernet.generate_key().decode()]
        self.SQLALCHEMY_DATABASE_URI = database_url(env_str("TEST_DATABASE_URL", "sqlite://"))
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        for key, value in overrides.items():
            setattr(self, key, value)
